"""The built book in headless Chromium, offline: every page loads fully, math and widgets render."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from browser import (
    HTML,
    ROOT,
    book_pages,
    colab_url,
    has_math_source,
    launch,
    notebook_for,
    open_page,
    raw_math,
    require_built_book,
    screenshot,
    wait_for_images,
    wait_for_mathjax,
    wait_for_widgets,
)
from playwright.sync_api import Browser


def expected_pages() -> list[str]:
    """The pages the build must produce: one per _toc.yml entry, plus Sphinx's own."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    files += [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return ["index.html", "genindex.html", "search.html"] + [f"{f}.html" for f in files]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the session, on a built book."""
    require_built_book()
    with launch() as browser:
        yield browser


def test_every_toc_page_was_built() -> None:
    """The build made a page for every entry of the table of contents (plus Sphinx's own)."""
    require_built_book()
    assert not set(expected_pages()) - set(book_pages())


@pytest.mark.parametrize("page_path", expected_pages())
def test_page(chromium: Browser, page_path: str) -> None:
    """A page loads offline with no failed request, renders its math, images and widgets."""
    assert (HTML / page_path).is_file(), f"{page_path} was not built"
    page, log = open_page(chromium, page_path)
    try:
        wait_for_mathjax(page)
        views = wait_for_widgets(page)
        broken = wait_for_images(page)
        screenshot(page, page_path)
        problems = [f"failed local request: {u}" for u in log.failed]
        problems += [f"request to another host: {u}" for u in log.external]
        problems += [f"JavaScript error: {e}" for e in log.errors]
        problems += [f"image not loaded: {src}" for src in broken]
        problems += [f"raw TeX left visible: {t!r}" for t in raw_math(page)]
        if page.locator("mjx-merror").count():
            problems.append("MathJax reported a TeX error (mjx-merror)")
        unrendered = page.locator(".math:not(:has(mjx-container))").count()
        if unrendered:
            problems.append(f"{unrendered} math element(s) not rendered by MathJax")
        if views and page.get_by_text("Error displaying widget").count():
            problems.append("a widget failed to display")
        notebook = notebook_for(page_path)
        if notebook is not None:
            if has_math_source(notebook) and not page.locator("mjx-container").count():
                problems.append("the notebook has math but the page shows no MathJax output")
            hrefs = page.locator('a[href*="colab.research.google.com"]').evaluate_all(
                "links => links.map(a => a.href)"
            )
            if colab_url(notebook) not in hrefs:
                problems.append(f"no Colab link to {colab_url(notebook)} (found {hrefs})")
        assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)
    finally:
        page.close()
