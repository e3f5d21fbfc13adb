"""Helpers for the browser tests: headless Chromium (Debian's) on the built book, from disk."""

from __future__ import annotations

import atexit
import functools
import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)
from playwright.sync_api import (
    TimeoutError as PlaywrightTimeout,
)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
# Sphinx 7 adds twice a body-only <script> registered once the builder exists (filename None vs
# ""), so sphinx-thebe's `const THEBE_JS_URL` is declared twice on every page: harmless, upstream.
KNOWN_JS_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
WIDGET_STATE = 'script[type="application/vnd.jupyter.widget-state+json"]'

# Text nodes outside code and MathJax output that still hold a TeX delimiter: math left raw.
_RAW_MATH_JS = r"""() => {
  const root = document.querySelector('main') || document.body;
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    if (/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(n.textContent)) found.push(n.textContent.trim());
  }
  return found;
}"""


def require_built_book() -> Path:
    """Return _build/html, failing (not skipping) when the book has not been built."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML / 'index.html'} is missing: run `make book` first", pytrace=False)
    return HTML


def book_pages() -> list[str]:
    """Every HTML page of the built book, relative to _build/html (theme templates excluded)."""
    skip = {"_static", "_sources", "_images", "jupyter_execute"}
    pages = [p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")]
    return sorted(p for p in pages if p.split("/")[0] not in skip)


def notebook_for(page: str) -> Path | None:
    """The source notebook of a page (book/x.html -> book/x.ipynb), or None."""
    nb = ROOT / Path(page).with_suffix(".ipynb")
    return nb if nb.is_file() else None


def colab_url(notebook: Path) -> str:
    """The Colab launch URL that _config.yml's repository settings give for a notebook."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    slug = repo["url"].removeprefix("https://github.com/").strip("/")
    path = notebook.relative_to(ROOT / (repo.get("path_to_book") or "")).as_posix()
    return f"https://colab.research.google.com/github/{slug}/blob/{repo['branch']}/{path}"


def has_math_source(notebook: Path) -> bool:
    """Whether a notebook's markdown cells hold $...$, $$...$$ or \\(...\\) math."""
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    text = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.S)  # code spans are not math
    return bool(re.search(r"\$\$.+?\$\$|\$[^\s$][^$\n]*\$|\\\(.+?\\\)", text, flags=re.S))


_playwright: Playwright | None = None


def playwright() -> Playwright:
    """The process's one Playwright driver (the sync API allows one at a time): started once."""
    global _playwright
    if _playwright is None:
        _playwright = sync_playwright().start()
        atexit.register(_playwright.stop)
    return _playwright


@contextmanager
def launch() -> Iterator[Browser]:
    """Start headless Chromium (never a downloaded browser: `playwright install` is not used)."""
    browser = playwright().chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class PageLog:
    """What a page asked for and what went wrong while it loaded."""

    failed: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_page(browser: Browser, page_path: str, width: int = 1280) -> tuple[Page, PageLog]:
    """Open _build/html/<page_path> from disk; any non-local request is recorded and aborted."""
    log = PageLog()
    page = browser.new_page(viewport={"width": width, "height": 900})

    def on_route(route) -> None:  # offline the CDNs would fail: there must be no such request
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            log.external.append(route.request.url)
            route.abort()

    def on_failed(request: Request) -> None:
        if request.url.startswith("file:"):
            log.failed.append(f"{request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.url.startswith("file:") and response.status >= 400:
            log.failed.append(f"{response.url} (HTTP {response.status})")

    page.route("**/*", on_route)
    page.on("request", lambda request: log.requested.append(request.url))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", lambda e: None if str(e) in KNOWN_JS_ERRORS else log.errors.append(str(e)))
    page.goto((HTML / page_path).as_uri(), wait_until="load")
    try:  # best effort: on a loaded machine "idle" can take long; the wait_for_* checks still apply
        page.wait_for_load_state("networkidle", timeout=15_000)
    except PlaywrightTimeout:
        pass
    return page, log


def wait_for_mathjax(page: Page, timeout_ms: int = 30_000) -> None:
    """Wait until MathJax (when the page loads it) has typeset the page."""
    page.wait_for_function(
        "() => !document.querySelector('script[src*=\"mathjax\"]')"
        " || window.MathJax?.startup?.promise",
        timeout=timeout_ms,
    )
    page.evaluate("async () => { await window.MathJax?.startup?.promise; }")


def raw_math(page: Page) -> list[str]:
    """Visible text outside code that still holds TeX delimiters."""
    return page.evaluate(_RAW_MATH_JS)


def wait_for_widgets(page: Page, timeout_ms: int = 30_000) -> int:
    """Wait until every saved ipywidgets view is rendered; return how many there are."""
    views = page.locator(WIDGET_VIEW).count()
    if views:
        page.wait_for_function(
            "n => document.querySelectorAll('.widget-subarea > .jupyter-widgets, "
            ".widget-subarea > .lm-Widget').length >= n",
            arg=views,
            timeout=timeout_ms,
        )
    return views


def wait_for_images(page: Page, timeout_ms: int = 30_000) -> list[str]:
    """Wait until every <img> has finished loading; return the src of those that are broken."""
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=timeout_ms
    )
    return page.evaluate(
        "() => Array.from(document.images).filter(i => i.naturalWidth === 0)"
        ".map(i => i.currentSrc || i.src || i.outerHTML.slice(0, 120))"
    )


def screenshot(page: Page, page_path: str) -> Path:
    """Save a full-page screenshot as _build/screenshots/<page path>.png."""
    out = SCREENSHOTS / Path(page_path).with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    return out


def widget_state(page: Page) -> dict[str, dict]:
    """The saved ipywidgets models of a page, by model id (empty when it saved none)."""
    models: dict[str, dict] = {}
    for text in page.locator(WIDGET_STATE).all_text_contents():
        models.update(json.loads(text)["state"])
    return models


def image_bytes_b64(models: dict[str, dict], model_id: str) -> str | None:
    """The base64 PNG/JPEG bytes of an Image model, or of the first Image inside a container."""
    model = models[model_id.removeprefix("IPY_MODEL_")]
    if model["model_name"] == "ImageModel":
        return next((b["data"] for b in model.get("buffers", []) if b["path"] == ["value"]), None)
    for child in model["state"].get("children", []):
        if found := image_bytes_b64(models, child):
            return found
    return None


def displayed_image_b64(img: Locator) -> str:
    """The bytes an <img> shows (blob:, data: or file: URL), base64-encoded, fetched in the page."""
    return img.evaluate(
        """async img => {
          const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
          let s = ''; for (const b of bytes) s += String.fromCharCode(b);
          return btoa(s);
        }"""
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def served_book() -> Iterator[str]:
    """The built book over http on a free local port, as a web server gives it; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=HTML)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
