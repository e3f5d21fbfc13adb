"""The playground of chapter 8: move a slider, see G(z|y) redraw.

`DigitExplorer` (live, needs a kernel: Colab or Jupyter) redraws with one compiled forward pass per
change. The book's web page has no Python: there `cgan_lib.web` runs the generator in the browser.
"""

from __future__ import annotations

import functools
import io
import numbers
import statistics
import time
from collections.abc import Sequence

import ipywidgets as widgets
import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from cgan_lib.models import latent_dim_of, load_generator, num_classes_of
from cgan_lib.sampling import check_digit, check_positive, noise

SCALE = 3  # each 28 x 28 digit is drawn as 84 x 84 pixels
GAP = 2  # pixels between two samples in a strip


def check_seed(seed: object) -> int:
    """Return `seed` as an int, or raise a ValueError unless it is an integer >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
    return int(seed)


def check_blend(t: object) -> np.ndarray:
    """Return blend weight(s) as float32, or raise a ValueError unless every one is in [0, 1]."""
    try:
        values = None if isinstance(t, (str, bytes, bool)) else np.asarray(t, dtype="float32")
    except (TypeError, ValueError):
        values = None
    if values is None or not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"blend must be a number from 0 (first digit) to 1 (second digit); got {t!r}")
    return values


class LabelBlend:
    """G(z | (1 - t) e(a) + t e(b)): the generator fed a mix of two label embeddings e(a) and e(b).

    With t = 0 this is exactly G(z|a). It reuses the generator's "label_embedding" table and its
    "generator_body", combined as the generator does ("multiply" or "concatenate"), in one
    `tf.function` with a fixed signature, so a batch of any size is traced once and then only runs.
    """

    def __init__(self, generator: keras.Model):
        self.latent_dim = latent_dim_of(generator)
        self.num_classes = num_classes_of(generator)
        table = generator.get_layer("label_embedding").embeddings
        body = generator.get_layer("generator_body")
        concatenate = isinstance(generator.get_layer("condition"), layers.Concatenate)

        @tf.function(
            input_signature=[
                tf.TensorSpec((None, self.latent_dim), tf.float32),
                tf.TensorSpec((None,), tf.int32),
                tf.TensorSpec((None,), tf.int32),
                tf.TensorSpec((None, 1), tf.float32),
            ]
        )
        def forward(z, digits, others, t):
            label = (1.0 - t) * ops.take(table, digits, axis=0) + t * ops.take(table, others, axis=0)
            h = ops.concatenate([z, label], axis=-1) if concatenate else z * label
            return body(h, training=False)

        self._forward = forward

    def __call__(
        self, z: np.ndarray, digit: int, other: int | None = None, t: float | Sequence[float] = 0.0
    ) -> np.ndarray:
        """Images (n, 28, 28) in [0, 1] for the n rows of z; `t` is one weight or one per row."""
        digit = check_digit(digit, self.num_classes)
        other = digit if other is None else check_digit(other, self.num_classes)
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            raise ValueError(f"z must have shape (n, {self.latent_dim}) with n > 0; got {z.shape}")
        weights = check_blend(t)
        if weights.ndim > 1 or weights.size not in (1, len(z)):
            raise ValueError(f"blend needs one weight or one per row of z ({len(z)}); got {weights.size}")
        n = len(z)
        images = self._forward(
            z,
            np.full(n, digit, "int32"),
            np.full(n, other, "int32"),
            np.broadcast_to(weights.reshape(-1, 1), (n, 1)).astype("float32"),
        )
        return np.clip((np.asarray(images)[..., 0] + 1.0) / 2.0, 0.0, 1.0)


@functools.lru_cache(maxsize=4)
def label_blend(generator: keras.Model) -> LabelBlend:
    """The one `LabelBlend` of a generator, so that its forward pass is traced once per session."""
    return LabelBlend(generator)


def blend_row(generator: keras.Model, digit: int, other: int, *, steps: int = 9, seed: int = 0) -> np.ndarray:
    """One noise vector drawn with labels sliding from `digit` (left) to `other` (right): (steps, 28, 28)."""
    steps = check_positive("steps", steps)
    z = np.repeat(noise(1, latent_dim_of(generator), seed=check_seed(seed)), steps, axis=0)
    return label_blend(generator)(z, digit, other, np.linspace(0.0, 1.0, steps))


def to_png(images: np.ndarray, *, scale: int = SCALE, small: bool = False) -> bytes:
    """A row of images (n, 28, 28) in [0, 1] as one PNG strip, each pixel a scale x scale block.

    `small=True` compresses hard (for PNGs saved in a page); the default is fast (for live updates).
    """
    images = np.asarray(images)
    n, h, w = images.shape
    strip = np.full((h * scale, n * (w * scale + GAP) - GAP), 128, dtype="uint8")
    big = np.kron(np.round(images * 255).astype("uint8"), np.ones((scale, scale), dtype="uint8"))
    for i in range(n):
        left = i * (w * scale + GAP)
        strip[:, left : left + w * scale] = big[i]
    from PIL import Image

    buffer = io.BytesIO()
    options = {"optimize": True} if small else {"compress_level": 1}
    Image.fromarray(strip).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def from_png(data: bytes, n: int, *, scale: int = SCALE) -> np.ndarray:
    """The n images (n, 28, 28) in [0, 1] of a strip made by `to_png` (for tests and checks)."""
    from PIL import Image

    strip = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype="float32") / 255.0
    size, step = strip.shape[0], strip.shape[0] + GAP
    n = check_positive("n", n)
    return np.stack([strip[::scale, i * step : i * step + size : scale] for i in range(n)])


class DigitExplorer(widgets.VBox):
    """The live playground: pick a digit, the noise, how many samples; keep the same z; blend two labels.

    Controls (attributes): `digit`, `seed`, `new_noise`, `samples`, `same_z`, `blend`, `blend_to`;
    the picture is `image` (PNG). `z` is the noise in use. With same z on, z stays fixed while the
    digit changes (only the label differs; whether the handwriting stays too is measured in chapter
    3); off, every digit change draws new noise (the seed goes up by one, so any picture can be made
    again from its seed).
    """

    def __init__(
        self,
        generator: keras.Model | None = None,
        *,
        digit: int = 3,
        seed: int = 0,
        samples: int = 4,
        same_z: bool = True,
        blend_to: int = 8,
        max_samples: int = 8,
    ):
        self.generator = generator if generator is not None else load_generator()
        classes = num_classes_of(self.generator)
        digit, blend_to = check_digit(digit, classes), check_digit(blend_to, classes)
        max_samples = check_positive("max_samples", max_samples)
        samples = check_positive("samples", samples)
        if samples > max_samples:
            raise ValueError(f"samples must be at most max_samples ({max_samples}); got {samples}")
        if not isinstance(same_z, bool):
            raise ValueError(f"same_z must be True or False; got {same_z!r}")
        self.render = label_blend(self.generator)
        self.digit = widgets.IntSlider(digit, min=0, max=classes - 1, description="digit")
        self.seed = widgets.BoundedIntText(check_seed(seed), min=0, max=2**31 - 1, description="seed")
        self.new_noise = widgets.Button(description="new noise", tooltip="draw new noise (seed + 1)")
        self.samples = widgets.IntSlider(samples, min=1, max=max_samples, description="samples")
        self.same_z = widgets.Checkbox(same_z, description="same z")
        self.blend = widgets.FloatSlider(0.0, min=0.0, max=1.0, step=0.05, description="blend")
        self.blend_to = widgets.IntSlider(blend_to, min=0, max=classes - 1, description="blend to")
        self.image = widgets.Image(format="png")
        self.z = np.empty((0, latent_dim_of(self.generator)), dtype="float32")
        self._drawing_noise = False
        self._draw_noise()
        self.refresh()

        self.digit.observe(self._on_digit, names="value")
        self.seed.observe(self._on_noise, names="value")
        self.samples.observe(self._on_noise, names="value")
        self.blend.observe(self.refresh, names="value")
        self.blend_to.observe(self.refresh, names="value")
        self.new_noise.on_click(lambda _: setattr(self.seed, "value", self.seed.value + 1))
        super().__init__(
            [
                widgets.HBox([self.digit, self.same_z]),
                widgets.HBox([self.seed, self.new_noise, self.samples]),
                widgets.HBox([self.blend, self.blend_to]),
                self.image,
            ]
        )

    def _draw_noise(self) -> None:
        self.z = noise(self.samples.value, latent_dim_of(self.generator), seed=self.seed.value)

    def _on_noise(self, _change=None) -> None:
        if not self._drawing_noise:
            self._draw_noise()
            self.refresh()

    def _on_digit(self, _change=None) -> None:
        if not self.same_z.value:
            self._drawing_noise = True  # one redraw, not one for the seed and one for the digit
            try:
                self.seed.value += 1
            finally:
                self._drawing_noise = False
            self._draw_noise()
        self.refresh()

    def pixels(self) -> np.ndarray:
        """The images (samples, 28, 28) in [0, 1] for the current controls."""
        return self.render(self.z, self.digit.value, self.blend_to.value, self.blend.value)

    def refresh(self, _change=None) -> None:
        """Redraw the picture from the current controls and noise."""
        self.image.value = to_png(self.pixels())


def digit_explorer(generator: keras.Model | None = None, **settings) -> DigitExplorer:
    """The live explorer of `generator` (default: the shipped one); `settings` as in `DigitExplorer`."""
    return DigitExplorer(generator, **settings)


def update_milliseconds(explorer: DigitExplorer, repeats: int = 100) -> float:
    """Median milliseconds from a digit change to a new PNG in `explorer.image` (forward pass + PNG).

    Moves the digit through the other digits `repeats` times, then back to where it was.
    """
    repeats = check_positive("repeats", repeats)
    start_digit, times = explorer.digit.value, []
    others = [d for d in range(explorer.digit.max + 1) if d != start_digit]
    for i in range(repeats):
        begin = time.perf_counter()
        explorer.digit.value = others[i % len(others)]
        times.append((time.perf_counter() - begin) * 1000.0)
    explorer.digit.value = start_digit
    return statistics.median(times)

