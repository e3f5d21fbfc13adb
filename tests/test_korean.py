"""The Korean edition (한국어판): catalogs in step with the English, current Korean notebooks, one
Korean word per concept, translations that keep the markup, the built Korean pages.

The English notebooks and pages are the only source; scripts/korean.py extracts their prose into
locales/ko/LC_MESSAGES/*.po (Sphinx gettext), builds the Korean book into _build/html/ko and writes
the Korean Colab notebooks ko/book/*.ipynb. After any change of the English prose:
`make ko-update` (then translate what it marks). How much is translated: `make ko-status`.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("korean", ROOT / "scripts" / "korean.py")
korean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(korean)

# One Korean term per concept: the glossary gives each as "<Korean> (<English>)" and every page
# uses it (the TensorFlow and PyTorch Korean community translations, where they agree).
TERMS = {
    "generator": "생성자",
    "discriminator": "판별자",
    "latent vector": "잠재 벡터",
    "conditional GAN": "조건부 GAN",
    "binary cross-entropy": "이진 교차 엔트로피",
    "mode collapse": "모드 붕괴",
    "Fréchet distance": "프레셰 거리",
    "label embedding": "레이블 임베딩",
    "batch normalization": "배치 정규화",
    "dropout": "드롭아웃",
    "judge": "심판",
    "iteration": "반복",
    "prior": "사전 분포",
    "non-saturating loss": "비포화 손실",
    "precision and recall": "정밀도와 재현율",
    "conditional accuracy": "조건부 정확도",
    "conditioning": "조건 부여",
    "training mode": "훈련 모드",
    "train step": "훈련 스텝",
    "standard error": "표준 오차",
    "unconditional GAN": "비조건부 GAN",
    "logit": "로짓",
}
# These English words have no other meaning in the book: a message that uses one says the Korean term.
EVERY_USE = ["generator", "discriminator", "latent vector", "conditional GAN", "binary cross-entropy",
             "mode collapse", "Fréchet distance", "label embedding"]
# Other words for the same concepts, and the machine translation's 발전기 (electrical generator) and
# 탱크 (tank, for tanh): never.
FORBIDDEN = [
    "발전기", "탱크", "생성기", "제너레이터", "감별자", "구별자", "판별기", "식별자", "디스크리미네이터",
    "잠재벡터", "레이턴트", "조건적 GAN", "조건부GAN", "크로스 엔트로피", "크로스엔트로피", "교차엔트로피",
    "모드 콜랩스", "모드콜랩스", "모드 붕괴현상", "프레쳇", "프리쳇", "프레셰트", "라벨",
]


def translated() -> list[tuple[str, str, str]]:
    """(docname, English, Korean) for every translated, non-fuzzy message of every catalog."""
    return [(d, en, ko) for d in korean.toc_docnames() for en, ko in korean.translations(d).items()]


def korean_markdown() -> list[tuple[str, str]]:
    """(notebook, markdown) of every markdown cell of the Korean notebooks."""
    cells = []
    for docname in korean.chapters():
        notebook = nbformat.read(korean.NOTEBOOKS / f"{docname}.ipynb", as_version=4)
        cells += [(docname, c.source) for c in notebook.cells if c.cell_type == "markdown"]
    return cells


def prose(text: str) -> str:
    """A message without code spans, math, link targets and role targets: the words a reader reads."""
    text = re.sub(r"\{[\w:]+\}`([^`<]*)(?:<[^>]*>)?`", r"\1", text)  # {term}`words <target>` -> words
    text = re.sub(r"`[^`]*`|\$\$.+?\$\$|\$[^$]+\$", " ", text)
    return re.sub(r"\]\([^)]*\)|<https?://[^>]*>", "]", text)


# --- in step with the English -------------------------------------------------------------------

@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict:
    """The English messages as Sphinx's gettext builder extracts them now (no notebook runs)."""
    return korean.extract(tmp_path_factory.mktemp("gettext"))


def test_every_page_has_a_catalog_in_step_with_its_english(templates) -> None:
    """Every message of the English is in the Korean catalog and the catalog holds no other: a
    changed English sentence fails here until `make ko-update` merges it (it then shows as fuzzy)."""
    assert set(templates) == set(korean.toc_docnames())
    stale = korean.stale_catalogs(templates)
    said = [f"{d}: {len(new)} new or changed, {len(gone)} gone, e.g. {(new or gone)[:1]}"
            for d, (new, gone) in stale.items()]
    assert not stale, "catalogs behind the English sources (run `make ko-update`): " + "; ".join(said)


def test_korean_notebooks_are_current() -> None:
    """ko/book/*.ipynb are what scripts/korean.py writes from book/*.ipynb and the catalogs now."""
    stale = korean.stale_notebooks()
    assert not stale, f"stale Korean notebooks (run `make ko-update`): {stale}"
    assert sorted(p.relative_to(korean.NOTEBOOKS).with_suffix("").as_posix()
                  for p in korean.NOTEBOOKS.rglob("*.ipynb")) == sorted(korean.chapters())


@pytest.mark.parametrize("docname", korean.chapters())
def test_korean_notebook_has_the_english_code_cells(docname: str) -> None:
    """Same cells in the same order with the same ids; code cells, their outputs and the notebook's
    metadata (Colab's GPU runtime) exactly the English ones; only markdown differs."""
    english = nbformat.read(ROOT / f"{docname}.ipynb", as_version=4)
    ko = nbformat.read(korean.NOTEBOOKS / f"{docname}.ipynb", as_version=4)
    nbformat.validate(ko)
    assert ko.metadata == english.metadata
    kinds = [(c.cell_type, c.get("id")) for c in english.cells]
    assert [(c.cell_type, c.get("id")) for c in ko.cells] == kinds
    for k, e in zip(ko.cells, english.cells, strict=True):
        if e.cell_type == "code":
            assert k == e


def test_catalogs_hold_no_compiled_or_stray_files() -> None:
    """Only .po files are committed under locales/ (the build compiles them into _build/ko)."""
    files = [p for p in korean.LOCALES.rglob("*") if p.is_file()]
    assert files and all(p.suffix == ".po" for p in files)


# --- one word per concept -----------------------------------------------------------------------

def test_glossary_fixes_each_term_with_the_english_beside_it() -> None:
    """The Korean glossary names each term once, as '<Korean> (<English>)'."""
    glossary = korean.translations("book/glossary")
    terms = {en: ko for en, ko in glossary.items() if en in TERMS}
    assert terms, "the glossary has none of the terms translated"
    wrong = {en: ko for en, ko in terms.items() if ko != f"{TERMS[en]} ({en})"}
    assert not wrong, f"glossary terms not as fixed (want '<Korean> (<English>)'): {wrong}"


def test_no_other_word_for_a_fixed_term() -> None:
    """No synonym of a fixed term and none of the machine translation's words, on any Korean page."""
    texts = [(d, ko) for d, _, ko in translated()] + korean_markdown()
    found = [(d, w) for d, text in texts for w in FORBIDDEN if w in prose(text)]
    assert not found, f"words outside the term list: {sorted(set(found))}"


def test_every_use_of_a_fixed_term_says_the_korean_term() -> None:
    """A translated message whose English uses one of these terms uses its Korean term (or keeps the
    English words, as in a quoted title)."""
    missing = []
    for docname, en, ko in translated():
        for term in EVERY_USE:
            word = rf"(?<![\w-]){re.escape(term)}s?(?![\w-])"
            used = len(re.findall(word, prose(en), flags=re.I))
            quoted = len(re.findall(word, prose(ko), flags=re.I))  # a title kept in English
            if used > quoted and TERMS[term] not in ko:
                missing.append((docname, term, en[:60]))
    assert not missing, f"a fixed term not translated as fixed: {missing}"


def test_a_message_moved_to_another_page_keeps_its_translation(tmp_path, monkeypatch) -> None:
    """A paragraph moved unchanged from one chapter to another keeps its translation; a new one is
    left for the translator; an old translation of a changed message is kept as fuzzy."""
    from babel.messages.catalog import Catalog

    monkeypatch.setattr(korean, "CATALOGS", tmp_path)
    old = Catalog(locale="ko")
    old.add("The old wording.", "옛 문장입니다.")
    korean.catalog_path("book/x").parent.mkdir(parents=True)
    korean.catalog_path("book/x").write_text(korean.render_catalog(old))
    template = Catalog(locale="ko")
    ids = ("Moved here unchanged.", "Brand new.", "The old wording, changed.")
    for message in ids:
        template.add(message)
    merged = korean.merge("book/x", template, {"Moved here unchanged.": "그대로 옮겨 왔습니다."})
    moved, new, changed = (merged[m] for m in ids)
    assert (moved.string, moved.fuzzy) == ("그대로 옮겨 왔습니다.", False)
    assert (new.string or "", new.fuzzy) == ("", False)
    assert (changed.string, changed.fuzzy) == ("옛 문장입니다.", True)


def test_korean_readme_lists_every_chapter_with_its_korean_title_and_colab_badge() -> None:
    """README.ko.md's table: every chapter, under its translated title, with a Colab badge that opens
    the Korean notebook."""
    readme = (korean.ROOT / "README.ko.md").read_text()
    missing = []
    for docname in korean.chapters():
        cells = nbformat.read(korean.ROOT / f"{docname}.ipynb", as_version=4).cells
        title = re.match(r"#\s+(.*)", next(c.source for c in cells if c.cell_type == "markdown")).group(1)
        korean_title = korean.translations(docname).get(title.strip())
        badge = f"/blob/main/ko/{docname}.ipynb)"
        if not korean_title or f"[{korean_title}]" not in readme or badge not in readme:
            missing.append(docname)
    assert not missing, f"README.ko.md lacks these chapters' Korean titles or Colab badges: {missing}"


# --- translations keep what must not change -----------------------------------------------------

def markup(text: str) -> dict[str, Counter]:
    """What a translation keeps exactly: math, code spans, glue keys, term and doc targets, links, numbers."""
    roles = re.findall(r"\{([\w:]+)\}`([^`]*)`", text)
    targets = Counter(
        (name, (re.search(r"<([^>]*)>\s*$", body) or re.match(r"(.*)", body)).group(1).strip().lower())
        for name, body in roles if name in ("term", "doc", "ref", "numref", "cite")
    )
    plain = re.sub(r"\{[\w:]+\}`[^`]*`", " ", text)
    numbers = Counter(re.findall(r"\d+(?:[.,]\d+)*", re.sub(r"`[^`]*`|\$[^$]*\$|\]\([^)]*\)", " ", text)))
    return {
        "math": Counter(re.findall(r"\$\$.+?\$\$|\$[^$]+\$", plain)),
        "code": Counter(re.findall(r"`[^`]+`", plain)),
        "glue": Counter((n, b) for n, b in roles if n.startswith("glue")),
        "references": targets,
        "links": Counter(re.findall(r"\]\(([^)]+)\)|<(https?://[^>]+)>", plain)),
        "numbers": numbers,
    }


def test_translations_keep_equations_code_numbers_and_references() -> None:
    """Equations, code names, glue keys, cross-references, links: exactly as in English; every number
    of the English is in the Korean (a date may gain its month's number)."""
    problems = []
    for docname, en, ko in translated():
        want, have = markup(en), markup(ko)
        have["glue"] = Counter({(n, re.sub(r"_ko(?=:|$)", "", b)): k for (n, b), k in have["glue"].items()})
        for kind in ("math", "code", "glue", "references", "links"):
            if want[kind] != have[kind]:
                lost, added = dict(want[kind] - have[kind]), dict(have[kind] - want[kind])
                problems.append(f"{docname}: {kind} {lost} -> {added} in {en[:50]!r}")
        lost = want["numbers"] - have["numbers"]
        if lost:
            problems.append(f"{docname}: numbers {dict(lost)} missing in the Korean of {en[:50]!r}")
    assert not problems, "\n".join(problems)


def korean_phrases(docname: str) -> set[str]:
    """The glue names of a chapter whose phrase has a Korean version: `glue("name", ..., ko=...)`."""
    path = korean.ROOT / f"{docname}.ipynb"
    if not path.exists():
        return set()
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "ko=" not in cell.source:
            continue
        python = re.sub(r"^\s*[%!].*$", "", cell.source, flags=re.M)  # IPython magics and shell lines
        for node in ast.walk(ast.parse(python)):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "glue" and node.args
                    and isinstance(node.args[0], ast.Constant) and any(k.arg == "ko" for k in node.keywords)):
                names.add(node.args[0].value)
    return names


def test_a_glued_phrase_is_pasted_in_korean() -> None:
    """Where the English pastes a glued phrase that has a Korean version, the Korean pastes that."""
    english = []
    for docname, en, ko in translated():
        phrases = korean_phrases(docname)
        for role in re.findall(r"\{glue:text\}`([^`:]+)", en):
            if role in phrases and f"`{role}_ko" not in ko:
                english.append((docname, role))
    assert not english, f"English phrases pasted into Korean (use <name>_ko): {english}"


def test_translations_do_not_start_a_list_or_heading() -> None:
    """Sphinx keeps the English when a translation parses as another block: '1. 소개' is a list
    (MyST-Parser #852), so a table cell or heading that starts with a number writes '1\\. 소개'
    (checked: '2\\. ...' translates a chapter-9 heading, '1. ...' and '3) ...' leave it English)."""
    block = r"(\d+[.)]|[-*+>#]|\|)\s"  # "1." and "1)" start an ordered list
    bad = [(d, ko[:40]) for d, en, ko in translated() if re.match(block, ko) and not re.match(block, en)]
    assert not bad, f"translations that parse as a list or heading (escape: '1\\. '): {bad}"


def test_one_register_hamnida() -> None:
    """One register throughout, 합니다체: no sentence ends in 한다체 (-다.) or 해요체 (-요.)."""
    found = []
    for docname, _, ko in translated():
        for end in re.findall(r"[가-힣]+(?<!니)[다요][.!?](?=\s|$|\))", prose(ko)):
            found.append((docname, end))
    assert not found, f"sentence endings outside 합니다체: {found}"


# --- the counts -------------------------------------------------------------------------------

def test_every_message_is_translated_and_none_is_fuzzy(capsys) -> None:
    """The Korean edition is complete: an English change that leaves a message untranslated or fuzzy
    fails here until the catalog is brought up to date (`make ko-update`, then translate; `make
    ko-status` counts what is left)."""
    status = korean.main(["status", "--strict"])
    assert status == 0, "untranslated or fuzzy Korean messages:\n" + capsys.readouterr().out

def test_status_reports_the_counts_of_every_catalog(capsys) -> None:
    """`make ko-status` prints messages, translated, fuzzy and untranslated per page and in all."""
    assert korean.main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines[1:]}
    assert set(rows) == {f"{d}.po" for d in korean.toc_docnames()} | {"all"}
    for total, done, fuzzy, untranslated in rows.values():
        assert total == done + fuzzy + untranslated
    assert rows["all"][0] == sum(r[0] for name, r in rows.items() if name != "all")


# --- the built Korean book (make book builds it after the English one) --------------------------

def complete_pages() -> list[str]:
    """The pages with every message translated (no untranslated, no fuzzy message)."""
    counts = {d: korean.counts(d) for d in korean.toc_docnames()}
    return [d for d, c in counts.items() if c["fuzzy"] + c["untranslated"] == 0]


def require_korean_book() -> Path:
    if not (korean.HTML / "index.html").is_file():
        pytest.fail(f"{korean.HTML / 'index.html'} is missing: run `make book` first", pytrace=False)
    return korean.HTML


def test_korean_book_has_every_page() -> None:
    html = require_korean_book()
    missing = [d for d in korean.toc_docnames() if not (html / f"{d}.html").is_file()]
    assert not missing and (html / "search.html").is_file() and (html / "genindex.html").is_file(), missing
    page = (html / f"{korean.toc_docnames()[0]}.html").read_text()
    assert '<html lang="ko"' in page and "language-switch.js" in page
    assert "지은이: " in page and "으로 The" not in page  # the footer's author line (book/_ko_templates)
    first = korean.toc_docnames()[0]
    downloaded = html / "_sources" / f"{first}.ipynb"  # the page's download button
    assert downloaded.read_text() == (korean.NOTEBOOKS / f"{first}.ipynb").read_text()
    assert "https://colab.research.google.com/github/" in page and f"/blob/main/ko/{first}.ipynb" in page


@pytest.mark.parametrize("docname", complete_pages())
def test_a_complete_page_comes_out_all_korean(docname: str) -> None:
    """On a page whose catalog is complete, every paragraph, heading, list item, table cell and term
    outside code and outputs has Korean in it, unless its English was kept on purpose (references)."""
    from bs4 import BeautifulSoup

    html = require_korean_book()
    soup = BeautifulSoup((html / f"{docname}.html").read_text(), "html.parser")
    article = soup.select_one("article.bd-article") or soup.body
    for skip in article.select(".cell_output, .cell_input, pre, code, .math, .headerlink, script, style"):
        skip.decompose()
    for other in article.select('[lang]:not([lang="ko"])'):  # a raw-HTML note written in both languages
        other.decompose()
    same = [en for en, ko in korean.translations(docname).items() if en == ko]
    kept = {re.sub(r"[^A-Za-z0-9]", "", prose(en))[:40] for en in same}
    english = []
    for element in article.select("p, h1, h2, h3, h4, th, td, dt, .admonition-title"):
        text = element.get_text(" ", strip=True)
        if not re.search(r"[A-Za-z]{3,}.*[A-Za-z]{3,}", text) or re.search(r"[가-힣]", text):
            continue
        words = re.sub(r"[^A-Za-z0-9]", "", text)  # a kept reference may end in a link shown otherwise
        if not any(words[:n] == k[:n] for k in kept for n in [min(len(words), len(k), 40)] if n >= 12):
            english.append(text[:80])
    assert not english, f"English left on the Korean page {docname}: {english}"
    assert re.search(r"<title>[^<]*[가-힣]", (html / f"{docname}.html").read_text())



# --- the language switch, in headless Chromium (tests/browser.py), offline -----------------------

SWITCHED = ["book/01_introduction.html", "book/glossary.html", "search.html"]


@pytest.fixture(scope="module")
def chromium():
    from browser import launch

    require_korean_book()
    with launch() as browser:
        yield browser


@pytest.mark.parametrize("page_path", SWITCHED + [f"ko/{p}" for p in SWITCHED])
def test_every_page_switches_to_the_same_page_in_the_other_language(chromium, page_path: str) -> None:
    """The header's English / 한국어 link opens the same page of the other book; the page loads
    offline with no failed request or script error, and a Korean chapter has its Colab badge."""
    from browser import HTML, open_page, wait_for_mathjax

    page, log = open_page(chromium, page_path)
    try:
        wait_for_mathjax(page)
        link = page.locator("a.language-switch")
        assert link.count() == 1, "no language switch on the page"
        korean_page = page_path.startswith("ko/")
        other = page_path.removeprefix("ko/") if korean_page else f"ko/{page_path}"
        assert link.evaluate("a => a.href").split("#")[0] == (HTML / other).as_uri()
        assert link.inner_text() == ("English" if korean_page else "한국어")
        assert (HTML / other).is_file()
        badge = page.locator("a.colab-badge")
        notebook = Path(page_path).with_suffix(".ipynb")
        if korean_page and (ROOT / notebook.relative_to("ko")).exists():
            assert badge.inner_text() == "Colab에서 열기" and badge.is_visible()
            assert badge.evaluate("a => a.href").endswith(f"/blob/main/{notebook.as_posix()}")
        else:
            assert badge.count() == 0
        assert not (log.failed or log.external or log.errors), (log.failed, log.external, log.errors)
    finally:
        page.close()



def test_korean_search_finds_a_word_whatever_its_particle(chromium) -> None:
    """Sphinx has no Korean search; scripts/korean.py's 'ko' search language strips a final particle
    (생성자는, 생성자가 -> 생성자) in the index and in the query, so 판별자가 finds the pages with 판별자."""
    from urllib.parse import quote

    from browser import HTML, open_page

    page, log = open_page(chromium, "ko/search.html")
    try:
        page.goto((HTML / "ko" / "search.html").as_uri() + "?q=" + quote("판별자가"), wait_until="load")
        page.wait_for_function(  # results appear one by one; the summary line is written after the last
            "() => document.querySelector('#search-results p.search-summary')?.innerText.trim()",
            timeout=30_000)
        found = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.href)")
        assert any("01_introduction.html" in href for href in found), found
        assert any("glossary.html" in href for href in found), found
        assert not log.external, log.external  # (from disk the result summaries cannot be fetched)
    finally:
        page.close()


# --- the Korean notebooks in Colab (tests/test_colab.py's run, on ko/book/*.ipynb) ---------------

from test_colab import colab  # noqa: E402, F401  (the session's Colab stand-in, a fixture)
from test_colab import test_chapter_runs_in_colab_and_changes_no_preinstalled_package as run_in_colab  # noqa: E402

KOREAN_NOTEBOOKS = [korean.NOTEBOOKS / f"{d}.ipynb" for d in korean.chapters()]


@pytest.mark.parametrize("chapter", KOREAN_NOTEBOOKS, ids=[f"ko-{p.stem}" for p in KOREAN_NOTEBOOKS])
def test_korean_chapter_runs_in_colab(chapter: Path, colab: dict, tmp_path: Path,  # noqa: F811
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The Korean notebook as a reader opens it from its "Colab에서 열기" badge: install cell as
    written, every cell, in an empty folder; Colab's packages stay as they were."""
    run_in_colab(chapter, colab, tmp_path, monkeypatch)
