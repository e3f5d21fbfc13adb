"""Small helpers for the book's notebooks: put numbers that a cell computed into the prose."""

from __future__ import annotations


class GluedText(str):
    """A glued string that renders without quotes in both roles.

    `{glue:}` prefers text/markdown, which is the string itself; `{glue:text}` reads text/plain, the
    quoted repr, and myst-nb strips the quotes (a bare "1,494,520" there would be read as a tuple).
    """

    def _repr_markdown_(self) -> str:
        return str(self)


def glue(name: str, value, *, ko: str | None = None, display: bool = False) -> None:
    """Make `value` available to the text as {glue:}`name` (Jupyter Book); a no-op elsewhere.

    A glued phrase (a string) may also give its Korean, `ko`, for the Korean edition's sentence:
    that is glued as `<name>_ko`. Colab and plain Jupyter have no myst-nb, so there the value simply
    stays in the cell's output.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    if hasattr(value, "item"):  # a NumPy scalar: myst-nb formats only plain Python numbers
        value = value.item()
    if isinstance(value, str):
        value = GluedText(value)
    myst_glue(name, value, display=display)
    if ko is not None:
        myst_glue(f"{name}_ko", GluedText(ko), display=display)
