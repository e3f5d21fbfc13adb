"""A stand-in for Colab's `google.colab` package, for the Colab-faithful test (tests/test_colab.py).

Colab's kernel has `google.colab` imported before the first cell runs; the book's install cell
checks `"google.colab" in sys.modules`. Only what a chapter could touch is here, and it does nothing.
"""

from google.colab import output  # noqa: F401  (Colab's package exposes it at import, too)

__all__ = ["output"]
