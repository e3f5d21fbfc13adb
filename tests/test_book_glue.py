"""Glued values read as plain text: no quotes around a glued string, in either glue role."""

from __future__ import annotations

import re

from browser import book_pages, require_built_book
from IPython.core.formatters import format_display_data
from myst_nb.core.variables import format_plain_text

from cgan_lib.book import GluedText, glue

QUOTES = "'\"‘’“”"


def test_glued_text_renders_unquoted_in_both_roles() -> None:
    """{glue:} shows text/markdown, the string itself; {glue:text} strips the quotes of text/plain."""
    bundle, _ = format_display_data(GluedText("1,494,520"))
    assert bundle["text/markdown"] == "1,494,520"
    assert format_plain_text(bundle["text/plain"], "") == "1,494,520"
    assert format_plain_text(format_display_data(GluedText("3 and 5"))[0]["text/plain"], "s") == "3 and 5"


def test_no_pasted_value_in_the_built_book_is_quoted() -> None:
    """Every value pasted by a glue role in the built pages starts and ends with no quote mark."""
    html = require_built_book()
    pasted = re.compile(r'<span class="(?:pasted-text|pasted-inline)">(?:<span[^>]*>)?([^<]*)<')
    quoted = [
        (page, value)
        for page in book_pages()
        for value in pasted.findall((html / page).read_text(encoding="utf-8"))
        if value[:1] in QUOTES or value[-1:] in QUOTES
    ]
    assert not quoted, f"glued values shown in quotes: {quoted}"


def test_a_glued_phrase_carries_its_korean(monkeypatch) -> None:
    """glue(name, phrase, ko=...) glues the phrase as `name` and its Korean as `name_ko`."""
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: calls.append((name, str(value))))
    glue("verdict", "holds for every seed", ko="모든 시드에서 성립합니다")
    glue("count", 3)
    assert calls == [("verdict", "holds for every seed"), ("verdict_ko", "모든 시드에서 성립합니다"),
                     ("count", "3")]
