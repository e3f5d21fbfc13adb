"""The playground of chapter 8: move a slider, see G(z|y) redraw. User interface only.

`DigitExplorer` (live, needs a kernel: Colab or Jupyter) redraws with one compiled forward pass
(`sampling.LabelBlend`) per change. The book's web page has no Python: there `cgan_lib.web` runs the
generator in the browser.
"""

from __future__ import annotations

import statistics
import time

import ipywidgets as widgets
import keras
import numpy as np

from cgan_lib.checks import check_digit, check_positive, check_seed
from cgan_lib.figures import to_png
from cgan_lib.models import latent_dim_of, load_generator, num_classes_of
from cgan_lib.sampling import label_blend, noise


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
        self.blend_generator = label_blend(self.generator)
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

    def images(self) -> np.ndarray:
        """The images (samples, 28, 28) in [-1, 1] for the current controls."""
        return self.blend_generator(self.z, self.digit.value, self.blend_to.value, self.blend.value)

    def refresh(self, _change=None) -> None:
        """Redraw the picture from the current controls and noise."""
        self.image.value = to_png(self.images())


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

