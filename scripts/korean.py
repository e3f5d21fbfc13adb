"""The Korean edition (한국어판) from the English sources, with Sphinx's gettext.

The English notebooks and pages are the only source: their prose is extracted into message catalogs
(locales/ko/LC_MESSAGES/<docname>.po, one per page), translated there, and put back by Sphinx in the
Korean HTML build and by this script in the Korean Colab notebooks (ko/<docname>.ipynb). Code cells,
outputs and figures are the English ones.

  python scripts/korean.py update     extract the English messages, merge them into the catalogs
                                      (a changed message turns fuzzy and keeps its old translation
                                      until reviewed; a removed one is dropped), then regenerate
                                      the Korean notebooks (make ko-update)
  python scripts/korean.py check      exit 1 if the catalogs or the Korean notebooks are stale
  python scripts/korean.py status     untranslated and fuzzy messages per catalog (make ko-status;
                                      --strict, make ko-complete: exit 1 unless there are none)
  python scripts/korean.py notebooks  regenerate ko/book/*.ipynb from book/*.ipynb and the catalogs
  python scripts/korean.py build      the Korean book into _build/html/ko, offline, warnings as
                                      errors; it reads the English build's execution cache, so no
                                      notebook runs again (run it after `jupyter-book build .`)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "ko"
LOCALES = ROOT / "locales"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES"
NOTEBOOKS = ROOT / LANGUAGE  # ko/book/01_introduction.ipynb mirrors book/01_introduction.ipynb
BUILD = ROOT / "_build"
HTML = BUILD / "html" / LANGUAGE  # the Korean pages, next to the English ones
KO_BUILD = BUILD / LANGUAGE  # the Korean Sphinx build itself (doctrees, pages, compiled catalogs)
EXECUTION_CACHE = BUILD / ".jupyter_cache"  # the English build's (execute_notebooks: cache)
PROJECT = "CGAN book"
TITLE = "조건부 GAN, 바닥부터 차근차근"  # the book's title, "Conditional GANs, from the ground up"


def toc_docnames() -> list[str]:
    """The pages of the book in reading order ('book/01_introduction', ..., 'book/glossary')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


def sphinx_build(outdir: Path, builder: str, overrides: dict, doctrees: Path, strict: bool) -> int:
    """Jupyter Book 1's own Sphinx build (the configuration `jupyter-book build .` makes), with overrides."""
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": (ROOT / "_toc.yml").as_posix(), "latex_individualpages": False,
                 **overrides}
    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"), confoverrides=overrides,
        doctreedir=doctrees, builder=builder, warningiserror=strict, keep_going=strict, quiet=True,
    )
    if isinstance(result, Exception):
        raise result
    return result


def extract(workdir: Path) -> dict[str, Catalog]:
    """The English messages of every page, {docname: template}, from Sphinx's gettext builder.

    Notebooks are not executed for this (nb_execution_mode off): the messages are the markdown's
    paragraphs, headings, list items, table cells and admonition titles, never code or outputs.
    The root page's .pot also holds an empty msgid (jupyter-book #2009); babel reads it as a header."""
    overrides = {"gettext_compact": False, "nb_execution_mode": "off", "gettext_location": False,
                 "gettext_uuid": False}
    with contextlib.redirect_stderr(io.StringIO()):  # glue keys have no value without execution
        status = sphinx_build(workdir / "gettext", "gettext", overrides, workdir / "doctrees", False)
    if status:
        raise SystemExit(f"the gettext build failed (status {status})")
    templates = {}
    for docname in toc_docnames():
        with open(workdir / "gettext" / f"{docname}.pot", "rb") as f:
            template = pofile.read_po(f)
        templates[docname] = template
    return templates


def messages(catalog: Catalog) -> list[str]:
    """The msgids of a catalog (header and obsolete entries excluded), in order."""
    return [m.id for m in catalog if m.id]


def catalog_path(docname: str) -> Path:
    return CATALOGS / f"{docname}.po"


def read_catalog(docname: str) -> Catalog:
    path = catalog_path(docname)
    if not path.exists():
        return Catalog(locale=LANGUAGE, domain=docname, project=PROJECT)
    with open(path, "rb") as f:
        return pofile.read_po(f, locale=LANGUAGE, domain=docname)


def render_catalog(catalog: Catalog) -> str:
    """The .po text of a catalog: no wrapping, no dates (so an unchanged catalog is unchanged)."""
    catalog.project, catalog.version = PROJECT, ""
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "CGAN book translators"
    catalog.language_team = "Korean"
    for message in catalog:  # babel guesses these from `{term}`; the messages are markdown, not Python
        message.flags.difference_update({"python-format", "python-brace-format"})
        # babel wraps a fuzzy entry's previous msgid ("#| msgid") and reads the wrapped lines back as
        # comments: write no previous msgid (git diff shows what changed in the English)
        message.previous_id = ()
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    buf = io.BytesIO()
    pofile.write_po(buf, catalog, width=0, omit_header=False)
    text = buf.getvalue().decode("utf-8")
    text = re.sub(r'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*\\n"\n', "", text, flags=re.M)
    return re.sub(r"^# (Translations template|FIRST AUTHOR|Copyright \(C\)).*\n", "", text, flags=re.M)


def merge(docname: str, template: Catalog, elsewhere: dict[str, str]) -> Catalog:
    """The catalog of a page updated to a new template (msgmerge's rules: fuzzy matches, obsolete);
    a message that moved here unchanged from another page keeps that page's translation."""
    catalog = read_catalog(docname)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    catalog.obsolete.clear()  # git keeps the history; an obsolete entry is noise in review
    for message in catalog:
        if message.id and (message.fuzzy or not message.string) and message.id in elsewhere:
            message.string = elsewhere[message.id]
            message.flags.discard("fuzzy")
    return catalog


def stale_catalogs(templates: dict[str, Catalog]) -> dict[str, tuple[list[str], list[str]]]:
    """{docname: (messages missing from its catalog, catalog messages no longer in the English)}."""
    stale = {}
    for docname, template in templates.items():
        exists = catalog_path(docname).exists()
        want, have = messages(template), messages(read_catalog(docname)) if exists else []
        missing, gone = [m for m in want if m not in have], [m for m in have if m not in want]
        if missing or gone or not exists:
            stale[docname] = (missing, gone)
    return stale


# --- counts -------------------------------------------------------------------------------------

def counts(docname: str) -> dict[str, int]:
    """Messages of a page's catalog: total, translated, fuzzy, untranslated."""
    catalog = read_catalog(docname)
    entries = [m for m in catalog if m.id]
    fuzzy = sum(m.fuzzy for m in entries)
    untranslated = sum(not m.string and not m.fuzzy for m in entries)
    return {"total": len(entries), "translated": len(entries) - fuzzy - untranslated, "fuzzy": fuzzy,
            "untranslated": untranslated}


def translations(docname: str) -> dict[str, str]:
    """{English message: Korean message} for the translated, non-fuzzy messages of a page."""
    return {m.id: m.string for m in read_catalog(docname) if m.id and m.string and not m.fuzzy}


# --- the Korean notebooks -----------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark").enable("table")
DIRECTIVE = re.compile(r"^\{([\w:-]+)\}\s*(.*)$")
PROSE_DIRECTIVES = {"admonition", "note", "tip", "warning", "important", "hint", "seealso", "caution",
                    "attention", "danger", "error"}


def normalise(text: str) -> str:
    """A message as Sphinx's gettext builder writes it: lines joined by spaces, stripped."""
    return text.replace("\n", " ").strip()


def translate_markdown(source: str, table: dict[str, str]) -> str:
    """A markdown cell with every translated message put in place of its English; the rest unchanged.

    The blocks that Sphinx extracts (paragraphs, headings, list items, table cells, the title and
    body of admonitions) are found with markdown-it; each keeps its line prefix (`## `, `1. `,
    indentation) and takes the translation of its text."""
    lines = source.split("\n")
    replaced: dict[int, list[str]] = {}  # first line -> new lines; the other lines of the block -> []
    tokens = MARKDOWN.parse(source)
    for i, token in enumerate(tokens):
        if token.type == "inline" and token.map and tokens[i - 1].type in ("paragraph_open", "heading_open"):
            start, end = token.map
            first = lines[start]
            head = token.content.split("\n")[0]
            korean = table.get(normalise(token.content))
            if korean is None or head not in first:
                continue
            prefix = first[: first.index(head)]
            indent = " " * len(prefix) if tokens[i - 1].type == "paragraph_open" else ""
            new = [prefix + line if n == 0 else indent + line for n, line in enumerate(korean.split("\n"))]
            replaced[start] = new
            for n in range(start + 1, end):
                replaced[n] = []
        elif token.type == "inline" and token.map and tokens[i - 1].type in ("th_open", "td_open"):
            row = token.map[0]
            korean = table.get(normalise(token.content))
            if korean is not None and token.content:
                line = replaced.get(row, [lines[row]])[0]
                cells = line.split("|")
                for n, cell in enumerate(cells):
                    if cell.strip() == token.content:
                        cells[n] = cell.replace(token.content, korean.replace("|", "\\|"))
                        break
                replaced[row] = ["|".join(cells)]
        elif token.type == "fence" and token.map and DIRECTIVE.match(token.info.strip()):
            name, argument = DIRECTIVE.match(token.info.strip()).groups()
            if name not in PROSE_DIRECTIVES:
                continue
            start, end = token.map
            opening = lines[start]
            if argument and normalise(argument) in table:
                opening = opening.replace(argument, table[normalise(argument)].replace("\n", " "), 1)
            body = token.content.rstrip("\n").split("\n")
            options = 0
            while options < len(body) and body[options].startswith(":"):
                options += 1
            inner = translate_markdown("\n".join(body[options:]), table).split("\n")
            closing = lines[end - 1] if end - 1 > start else ""
            replaced[start] = [opening, *body[:options], *inner, closing]
            for n in range(start + 1, end):
                replaced[n] = []
    out = []
    for n, line in enumerate(lines):
        out.extend(replaced.get(n, [line]))
    return "\n".join(out)


def korean_notebook(docname: str) -> str:
    """The text of the Korean notebook of a chapter: its markdown translated, its code cells unchanged."""
    notebook = nbformat.read(ROOT / f"{docname}.ipynb", as_version=4)
    table = translations(docname)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, table)
    return nbformat.writes(notebook) + "\n"


def chapters() -> list[str]:
    """The docnames of the notebooks (every toc entry that is a .ipynb)."""
    return [d for d in toc_docnames() if (ROOT / f"{d}.ipynb").exists()]


def write_notebooks() -> list[Path]:
    """Write ko/<docname>.ipynb for every chapter; return those whose text changed."""
    changed = []
    for docname in chapters():
        path = NOTEBOOKS / f"{docname}.ipynb"
        text = korean_notebook(docname)
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    wanted = {NOTEBOOKS / f"{d}.ipynb" for d in chapters()}
    for path in sorted(NOTEBOOKS.rglob("*.ipynb")):  # a chapter that left the toc
        if path not in wanted:
            path.unlink()
            changed.append(path)
    return changed


def stale_notebooks() -> list[str]:
    """The Korean notebooks that differ from what `notebooks` would write (or are missing)."""
    paths = {d: NOTEBOOKS / f"{d}.ipynb" for d in chapters()}
    return [d for d, path in paths.items() if not path.exists() or path.read_text() != korean_notebook(d)]


# --- the Korean HTML build ----------------------------------------------------------------------

GLUE = re.compile(r"\{glue:text\}`([^`]+)`")


def glue_from_own_notebook(message: str, docname: str) -> str:
    """`{glue:text}`key:fmt`` -> `{glue:text}`<notebook>::key:fmt``, for the Korean build.

    Sphinx parses a translated message as a markdown snippet of its own, without the notebook, so
    MyST-NB finds no glue data there ("No key ... found in glue data for this document"); the
    cross-document form is resolved later from the notebook's glue file, so the number still comes
    from the notebook's run. The catalogs keep the English form (translators copy it as it is)."""
    def pasted(match: re.Match) -> str:
        key, _, fmt = match.group(1).partition(":")
        if "::" in match.group(1):
            return match.group(0)
        return f"{{glue:text}}`{Path(docname).name}.ipynb::{key}:{fmt or 's'}`"

    return GLUE.sub(pasted, message)


def compile_catalogs(target: Path) -> None:
    """locales/ko/LC_MESSAGES/**.po -> target/ko/LC_MESSAGES/**.mo (fuzzy messages left out)."""
    for po in sorted(CATALOGS.rglob("*.po")):
        docname = po.relative_to(CATALOGS).with_suffix("").as_posix()
        mo = target / LANGUAGE / "LC_MESSAGES" / f"{docname}.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(docname)
        if (ROOT / f"{docname}.ipynb").exists():
            for message in catalog:
                if message.id and message.string:
                    message.string = glue_from_own_notebook(message.string, docname)
        buf = io.BytesIO()
        mofile.write_mo(buf, catalog, use_fuzzy=False)
        if not mo.exists() or mo.read_bytes() != buf.getvalue():
            mo.write_bytes(buf.getvalue())
        # Sphinx makes a page depend on its .mo only when the .po sits beside it (CatalogRepository
        # lists .po files): without it, an edited translation would not rebuild its page.
        if not mo.with_suffix(".po").exists() or mo.with_suffix(".po").read_bytes() != po.read_bytes():
            shutil.copyfile(po, mo.with_suffix(".po"))


# Korean search. Sphinx has no Korean search language (it would fall back to English): words are
# split at spaces, so a noun carries its particle (생성자는, 생성자가) and a search for 생성자 misses
# them. This one strips a final particle from Korean words, in the index (Python) and in the
# query (JavaScript), and stems other words as English does.
PARTICLES = sorted(
    "은 는 이 가 을 를 의 에 와 과 도 만 로 으로 에서 에게 부터 까지 처럼 보다 이나 이라고 라고 "
    "에서는 에서도 으로는 으로도 로는 로도 에는 에도 와는 과는 까지는 부터는 이며 이고 이다 입니다".split(),
    key=len, reverse=True,
)
HANGUL = re.compile("[\uac00-\ud7a3]")


def strip_particle(word: str) -> str:
    """생성자는 -> 생성자; a word of two syllables or fewer after stripping is left whole."""
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def setup(app) -> dict:
    """Sphinx extension (the Korean build only): the search language 'ko'."""
    from sphinx.search.en import SearchEnglish, js_porter_stemmer

    class SearchKorean(SearchEnglish):
        lang = LANGUAGE
        language_name = "Korean"
        js_stemmer_code = js_porter_stemmer + """
var PorterStemmer = Stemmer;
Stemmer = function() {
  var porter = new PorterStemmer();
  var particles = PARTICLES;
  this.stemWord = function(w) {
    if (!/[\uac00-\ud7a3]/.test(w)) return porter.stemWord(w);
    for (var i = 0; i < particles.length; i++) {
      var p = particles[i];
      if (w.length - p.length >= 2 && w.slice(-p.length) === p) return w.slice(0, -p.length);
    }
    return w;
  };
};
""".replace("PARTICLES", json.dumps(PARTICLES, ensure_ascii=False))

        def stem(self, word: str) -> str:
            return strip_particle(word) if HANGUL.search(word) else super().stem(word)

    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def uncached_notebooks() -> list[str]:
    """The chapters that the English build's execution cache does not hold as they are now."""
    from jupyter_cache import get_cache

    cache = get_cache(str(EXECUTION_CACHE))
    missing = []
    for docname in chapters():
        try:
            cache.match_cache_notebook(nbformat.read(ROOT / f"{docname}.ipynb", as_version=4))
        except KeyError:
            missing.append(docname)
    return missing


def build() -> int:
    """The Korean book into _build/html/ko: the English build's configuration with language ko.

    MyST-NB would put its execution cache and its output folder next to the output folder
    (_build/html/.jupyter_cache: a second, empty cache, so every notebook would run again), so the
    build writes to _build/ko/html with the English cache named explicitly, refuses to run if a
    notebook is not in that cache, and copies the pages to _build/html/ko."""
    missing = uncached_notebooks()
    if missing:
        raise SystemExit(f"not in the English build's execution cache: {missing}; "
                         "run `jupyter-book build .` (make book) first: the Korean build executes nothing")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    compile_catalogs(KO_BUILD / "locales")
    from jupyter_book.config import get_final_config

    english, _ = get_final_config(user_yaml=ROOT / "_config.yml", cli_config={"latex_individualpages": False},
                                  sourcedir=ROOT)
    sys.path.insert(0, str(Path(__file__).parent))  # this file is also the Korean search extension
    overrides = {
        "language": LANGUAGE,
        "extensions": [*english["extensions"], "korean"],
        "locale_dirs": [(KO_BUILD / "locales").as_posix()],
        "gettext_compact": False,
        "gettext_auto_build": False,
        "nb_execution_cache_path": EXECUTION_CACHE.as_posix(),
        "html_baseurl": config["html"]["baseurl"].rstrip("/") + f"/{LANGUAGE}/",
        "html_title": TITLE,
        # MyST-NB's labels of collapsed cells (hide-cell, hide-input, hide-output), not in any catalog
        "nb_code_prompt_show": "코드 셀 보기",
        "nb_code_prompt_hide": "코드 셀 숨기기",
        # The Colab button of a Korean page opens the Korean notebook, ko/book/<name>.ipynb.
        "html_theme_options": {"path_to_docs": LANGUAGE},
        # the footer's author line in Korean (the theme's own Korean for "By" reads wrong: "으로")
        "templates_path": [*english.get("templates_path", []), (ROOT / "book" / "_ko_templates").as_posix()],
    }
    status = sphinx_build(KO_BUILD / "html", "html", overrides, KO_BUILD / ".doctrees", True)
    if status == 0:
        shutil.rmtree(HTML, ignore_errors=True)
        shutil.copytree(KO_BUILD / "html", HTML)
        for docname in chapters():  # the page's download button gives the Korean notebook
            if (NOTEBOOKS / f"{docname}.ipynb").exists():
                shutil.copyfile(NOTEBOOKS / f"{docname}.ipynb", HTML / "_sources" / f"{docname}.ipynb")
        # as `jupyter-book build` does: index.html sends to the first page
        first = toc_docnames()[0]
        (HTML / "index.html").write_text(f'\n<meta http-equiv="Refresh" content="0; url={first}.html" />\n')
    return status


# --- command line -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "check", "status", "notebooks", "build"])
    parser.add_argument("--strict", action="store_true", help="status: exit 1 on any untranslated or fuzzy")
    args = parser.parse_args(argv)

    if args.command in ("update", "check"):
        with tempfile.TemporaryDirectory() as tmp:
            templates = extract(Path(tmp))
        if args.command == "update":
            known = {en: ko for docname in templates for en, ko in translations(docname).items()}
            for docname, template in templates.items():
                path = catalog_path(docname)
                text = render_catalog(merge(docname, template, known))
                if not path.exists() or path.read_text() != text:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
                    print(f"updated {path.relative_to(ROOT)}")
            for path in sorted(CATALOGS.rglob("*.po")):  # a page that left the toc
                if path.relative_to(CATALOGS).with_suffix("").as_posix() not in templates:
                    path.unlink()
                    print(f"removed {path.relative_to(ROOT)}")
            for path in write_notebooks():
                print(f"{'wrote' if path.exists() else 'removed'} {path.relative_to(ROOT)}")
            return 0
        stale, notebooks = stale_catalogs(templates), stale_notebooks()
        for docname, (missing, gone) in stale.items():
            print(f"{catalog_path(docname).relative_to(ROOT)}: {len(missing)} new or changed English "
                  f"messages, {len(gone)} no longer in the English")
        for docname in notebooks:
            print(f"{LANGUAGE}/{docname}.ipynb is stale")
        if stale or notebooks:
            print("run: python scripts/korean.py update   (make ko-update)")
            return 1
        print("catalogs and Korean notebooks are up to date")
        return 0
    if args.command == "notebooks":
        for path in write_notebooks():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "status":
        total = {"total": 0, "translated": 0, "fuzzy": 0, "untranslated": 0}
        row = "{:40} {:>8} {:>10} {:>6} {:>12}"
        print(row.format("catalog", "messages", "translated", "fuzzy", "untranslated"))
        for docname in toc_docnames():
            c = counts(docname)
            total = {k: total[k] + c[k] for k in total}
            print(row.format(f"{docname}.po", *c.values()))
        print(row.format("all", *total.values()))
        return 1 if args.strict and (total["fuzzy"] or total["untranslated"]) else 0
    if args.command == "build":
        return build()
    return 2


if __name__ == "__main__":
    sys.exit(main())
