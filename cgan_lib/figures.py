"""Pictures of generated digits: matplotlib figures, animations over training, PNG grids and strips.

Every function here takes images in the library's range [-1, 1] and converts them for display
with `data.to_display` at the last moment.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from PIL import Image, ImageDraw, ImageFont

from cgan_lib.checks import IMAGE_SHAPE, check_positive
from cgan_lib.data import from_display, to_display
from cgan_lib.sampling import digit_rows

SCALE = 3  # in a PNG strip, each 28 x 28 digit is drawn as 84 x 84 pixels
GAP = 2  # pixels between two samples in a strip
SIDE = IMAGE_SHAPE[0]


def plot_rows(rows: np.ndarray, *, title: str = "", row_labels: Iterable | None = None) -> plt.Figure:
    """A figure with one row of images per entry of `rows` (r, c, 28, 28), each row labelled."""
    rows = to_display(rows)
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


def image_grid(generator: keras.Model, *, n: int = 8, seed: int = 0, title: str | None = None) -> plt.Figure:
    """A figure: row d holds n generated images of digit d (labelled d)."""
    rows = digit_rows(generator, n=n, seed=seed)
    return plot_rows(rows, title=title if title is not None else f"Generated digits (seed {seed})")


def mosaic(rows: np.ndarray) -> np.ndarray:
    """Rows of images (r, c, 28, 28) as one picture in [0, 1], each image framed by a grey pixel."""
    rows = np.asarray(rows)
    if rows.ndim != 4 or rows.shape[2:] != IMAGE_SHAPE[:2]:
        raise ValueError(f"rows of images must have shape (rows, columns, 28, 28); got {rows.shape}")
    r, c = rows.shape[:2]
    framed = np.pad(to_display(rows), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=0.5)
    return framed.transpose(0, 2, 1, 3).reshape(r * (SIDE + 2), c * (SIDE + 2))


def _mosaic_figure(rows: np.ndarray, figsize: tuple[float, float]) -> tuple[plt.Figure, plt.Axes, object]:
    """One axes showing `mosaic(rows)`, each row labelled with its digit (saved grids, the animation)."""
    fig, ax = plt.subplots(figsize=figsize)
    shown = ax.imshow(mosaic(rows), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    digits = range(len(rows))
    ax.set_yticks([d * (SIDE + 2) + SIDE // 2 + 1 for d in digits], labels=[str(d) for d in digits])
    ax.set_ylabel("digit asked for")
    return fig, ax, shown


def _enlarged(pictures: np.ndarray, scale: int) -> np.ndarray:
    """Pictures in [0, 1] as 8-bit grey, each pixel a scale x scale block (for PNGs a reader can see)."""
    scale = check_positive("scale", scale)
    return np.kron(np.round(pictures * 255).astype("uint8"), np.ones((scale, scale), "uint8"))


def save_grid(rows: np.ndarray, path: str | Path, title: str = "", *, scale: int = 2) -> None:
    """Save rows of images (r, c, 28, 28) as one PNG, `mosaic(rows)` with each pixel a scale x scale
    block, each row labelled with its digit and the title above.

    Drawn with Pillow: a training run saves one every `every` iterations, and matplotlib took
    ~0.1 s a grid (over 2 s with an axes per image) where Pillow takes a few ms (SPEED.md).
    """
    picture = _enlarged(mosaic(rows), scale)
    font = ImageFont.load_default(size=8 * scale)
    left, top, margin = 12 * scale, (14 if title else 3) * scale, 3 * scale
    canvas = Image.new("L", (left + picture.shape[1] + margin, top + picture.shape[0] + margin), 255)
    canvas.paste(Image.fromarray(picture), (left, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((left + picture.shape[1] / 2, top / 2), title, fill=0, font=font, anchor="mm")
    for d in range(len(rows)):
        draw.text((left / 2, top + (d + 0.5) * (SIDE + 2) * scale), str(d), fill=0, font=font, anchor="mm")
    canvas.save(path, compress_level=1)


def progress_animation(
    frames: list[tuple[int, np.ndarray]], *, interval: int = 400
) -> animation.FuncAnimation:
    """An animation of sample grids over training (from `TrainingRun.frames`)."""
    first = frames[0][1]
    r, c = first.shape[:2]
    fig, ax, shown = _mosaic_figure(first, (c * 0.6, r * 0.6 + 0.4))

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


def animation_html(anim: animation.Animation, *, dpi: int = 80) -> str:
    """`anim.to_jshtml()` that works offline: small JPEG frames and text buttons (no CDN request)."""
    with plt.rc_context({"animation.frame_format": "jpeg", "savefig.dpi": dpi}):
        html = anim.to_jshtml()
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", html)
    return re.sub(r'<i class="(fa [^"]+)"></i>', lambda m: _BUTTONS.get(m.group(1), ""), html)


def to_png(images: np.ndarray, *, scale: int = SCALE) -> bytes:
    """A row of images (n, 28, 28) as one PNG strip, each pixel a scale x scale block (fast to write)."""
    pictures = to_display(images)
    n, h, w = pictures.shape
    big = _enlarged(pictures, scale)
    strip = np.full((h * scale, n * (w * scale + GAP) - GAP), 128, dtype="uint8")
    for i in range(n):
        left = i * (w * scale + GAP)
        strip[:, left : left + w * scale] = big[i]
    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def from_png(data: bytes, n: int, *, scale: int = SCALE) -> np.ndarray:
    """The n images (n, 28, 28) in [-1, 1] of a strip made by `to_png` (to measure what a reader sees)."""
    strip = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype="float32") / 255.0
    size, step = strip.shape[0], strip.shape[0] + GAP
    n = check_positive("n", n)
    return from_display(np.stack([strip[::scale, i * step : i * step + size : scale] for i in range(n)]))
