"""Sampling: ask a generator for digits and look at them."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from cgan_lib.models import latent_dim_of, num_classes_of


def check_digit(digit: object, num_classes: int = 10) -> int:
    """Return `digit` as an int, or raise a ValueError that names it and the allowed range."""
    if isinstance(digit, bool) or not isinstance(digit, numbers.Integral):
        raise ValueError(f"digit must be an integer from 0 to {num_classes - 1}; got {digit!r}")
    if not 0 <= digit < num_classes:
        raise ValueError(f"digit must be an integer from 0 to {num_classes - 1}; got {digit}")
    return int(digit)


def check_positive(name: str, value: object) -> int:
    """Return `value` as an int, or raise a ValueError unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def noise(n: int, latent_dim: int = 100, *, seed: int = 0) -> np.ndarray:
    """n latent vectors z ~ N(0, I), the same ones for the same seed."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")


def render(generator, z: np.ndarray, digits: Iterable[int]) -> np.ndarray:
    """G(z|y) for each row of z and its digit, as float32 (n, 28, 28) in [0, 1]."""
    y = np.asarray(list(digits), dtype="int32").reshape(-1, 1)
    images = np.concatenate(
        [
            np.asarray(generator([z[i : i + 1024], y[i : i + 1024]], training=False))
            for i in range(0, len(y), 1024)
        ]
    )
    return np.clip((images[..., 0] + 1.0) / 2.0, 0.0, 1.0).astype("float32")


def generate(generator, digits: int | Iterable[int], *, n: int = 1, seed: int = 0) -> np.ndarray:
    """n images of each requested digit, float32 (len(digits) * n, 28, 28) in [0, 1].

    The same seed gives the same noise, and every digit gets the same n noise vectors: image i of each
    digit is drawn from the same z (which does not make it the same handwriting; chapter 3 measures it).
    """
    classes = num_classes_of(generator)
    many = isinstance(digits, Iterable) and not isinstance(digits, str)
    digit_list = [check_digit(d, classes) for d in (digits if many else [digits])]
    n = check_positive("n", n)
    z = noise(n, latent_dim_of(generator), seed=seed)
    return render(generator, np.tile(z, (len(digit_list), 1)), np.repeat(digit_list, n))


def digit_rows(generator, *, n: int = 8, seed: int = 0) -> np.ndarray:
    """n samples of every digit, shaped (num_classes, n, 28, 28): row d shows digit d."""
    classes = num_classes_of(generator)
    return generate(generator, range(classes), n=n, seed=seed).reshape(classes, n, 28, 28)


def plot_rows(rows: np.ndarray, *, title: str = "", row_labels: Iterable | None = None):
    """A figure with one row of images per entry of `rows` (r, c, h, w), each row labelled."""
    import matplotlib.pyplot as plt

    r, c = rows.shape[:2]
    labels = list(range(r)) if row_labels is None else list(row_labels)
    fig, axes = plt.subplots(r, c, figsize=(c * 0.8, r * 0.8 + 0.5), squeeze=False)
    for i in range(r):
        for j in range(c):
            ax = axes[i, j]
            ax.imshow(rows[i, j], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[i, 0].set_ylabel(str(labels[i]), rotation=0, ha="right", va="center", fontsize=11)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def image_grid(generator, *, n: int = 8, seed: int = 0, title: str | None = None):
    """A matplotlib figure: row d holds n generated images of digit d (labelled d)."""
    rows = digit_rows(generator, n=n, seed=seed)
    return plot_rows(rows, title=title if title is not None else f"Generated digits (seed {seed})")


def save_grid(rows: np.ndarray, path: str | Path, title: str = "") -> None:
    """Save `plot_rows(rows)` as a PNG and close the figure."""
    import matplotlib.pyplot as plt

    fig = plot_rows(rows, title=title)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def progress_animation(frames: list[tuple[int, np.ndarray]], *, interval: int = 400):
    """An animation of sample grids over training (from `SampleGrid.frames`)."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    first = frames[0][1]
    r, c = first.shape[:2]
    mosaic = lambda rows: rows.transpose(0, 2, 1, 3).reshape(r * 28, c * 28)  # noqa: E731
    fig, ax = plt.subplots(figsize=(c * 0.6, r * 0.6 + 0.4))
    shown = ax.imshow(mosaic(first), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks(np.arange(r) * 28 + 14, labels=[str(d) for d in range(r)])
    ax.set_ylabel("digit asked for")

    def draw(i):
        step, rows = frames[i]
        shown.set_data(mosaic(rows))
        ax.set_title(f"Fixed noise after {step:,} iterations")
        return (shown,)

    anim = animation.FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)
    return anim


# matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN; offline they are blank.
_BUTTONS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "|\u25c0\u25c0",
    "fa fa-step-backward": "|\u25c0",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "||",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u25b6|",
    "fa fa-fast-forward": "\u25b6\u25b6|",
    "fa fa-plus": "+",
}


def animation_html(anim, *, dpi: int = 80) -> str:
    """`anim.to_jshtml()` that works offline: small JPEG frames and text buttons (no CDN request)."""
    import re

    import matplotlib.pyplot as plt

    with plt.rc_context({"animation.frame_format": "jpeg", "savefig.dpi": dpi}):
        html = anim.to_jshtml()
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", html)
    return re.sub(r'<i class="(fa [^"]+)"></i>', lambda m: _BUTTONS.get(m.group(1), ""), html)
