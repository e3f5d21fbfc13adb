"""Input checks: each returns the value in the form the library uses, or raises one clear ValueError.

Every public function checks its arguments here, so a bad value is named with what is allowed
instead of surfacing as a stack trace from deep inside TensorFlow.
"""

from __future__ import annotations

import numbers

import numpy as np

IMAGE_SHAPE = (28, 28, 1)  # MNIST: height, width, channels


def check_positive(name: str, value: object) -> int:
    """`value` as an int, unless it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def check_positive_number(name: str, value: object) -> float:
    """`value` as a float, unless it is not a positive number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def check_digit(digit: object, num_classes: int = 10) -> int:
    """`digit` as an int, unless it is not a label from 0 to num_classes - 1."""
    if isinstance(digit, bool) or not isinstance(digit, numbers.Integral):
        raise ValueError(f"digit must be an integer from 0 to {num_classes - 1}; got {digit!r}")
    if not 0 <= digit < num_classes:
        raise ValueError(f"digit must be an integer from 0 to {num_classes - 1}; got {digit}")
    return int(digit)


def check_seed(seed: object) -> int:
    """`seed` as an int, unless it is not an integer >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
    return int(seed)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """`value`, unless it is not one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return str(value)


def check_blend(t: object) -> np.ndarray:
    """Blend weight(s) as float32, unless one is not a number in [0, 1]."""
    try:
        values = None if isinstance(t, (str, bytes, bool)) else np.asarray(t, dtype="float32")
    except (TypeError, ValueError):
        values = None
    if values is None or not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"blend must be a number from 0 (first digit) to 1 (second digit); got {t!r}")
    return values


def check_weights_file(path: object, what: str = "weights") -> str:
    """`path` as a string, unless it does not name a Keras `.weights.h5` file."""
    if not str(path).endswith(".weights.h5"):
        raise ValueError(f"{what} must be a Keras .weights.h5 file; got {str(path)!r}")
    return str(path)


def check_images(images: object) -> np.ndarray:
    """Images as float32 (n, 28, 28, 1) in [-1, 1], the library's one range (G's tanh, D, the judge).

    A batch with no negative pixel at all is refused too: backgrounds are -1 in this range, so such a
    batch is almost surely still in [0, 1] (pictures), the bug that makes a judge read every digit as 8.
    """
    images = np.asarray(images, dtype="float32")
    shape = images.shape
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE or len(images) == 0:
        raise ValueError(
            f"images must have shape (n, 28, 28) or (n, 28, 28, 1) with n > 0; got {shape}"
        )
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < -1.0 - 1e-4 or high > 1.0 + 1e-4:
        raise ValueError(
            f"images must be in [-1, 1] (the generator's tanh range); got {low:.3f} to {high:.3f}"
        )
    if low >= 0.0:
        raise ValueError(
            f"images must be in [-1, 1], but no pixel is negative ({low:.3f} to {high:.3f}): they look like "
            "pictures in [0, 1]; convert them with data.from_display first"
        )
    return images
