"""Sampling: ask a generator for digits. Numbers only, images in [-1, 1]; `figures` draws them.

`LabelBlend` feeds the generator a mix of two labels' embeddings, through the generator's own
layers (embedding table, conditioning, body), so a blend weight of 0 is exactly G(z|y).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cgan_lib.checks import IMAGE_SHAPE, check_blend, check_digit, check_positive, check_seed
from cgan_lib.models import latent_dim_of, num_classes_of, predict


def noise(n: int, latent_dim: int = 100, *, seed: int = 0) -> np.ndarray:
    """n latent vectors z ~ N(0, I), the same ones for the same seed."""
    n = check_positive("n", n)
    return np.random.default_rng(check_seed(seed)).standard_normal((n, latent_dim)).astype("float32")


def generate_from(generator: keras.Model, z: np.ndarray, digits: Iterable[int]) -> np.ndarray:
    """G(z|y) for each row of z and its digit: float32 (n, 28, 28) in [-1, 1]."""
    y = np.asarray(list(digits), dtype="int32").reshape(-1, 1)
    return predict(generator, np.asarray(z, dtype="float32"), y)[..., 0]


def generate(generator: keras.Model, digits: int | Iterable[int], *, n: int = 1, seed: int = 0) -> np.ndarray:
    """n images of each requested digit, float32 (len(digits) * n, 28, 28) in [-1, 1].

    The same seed gives the same noise, and every digit gets the same n noise vectors: image i of each
    digit is drawn from the same z (which does not make it the same handwriting; chapter 4 measures it).
    """
    classes = num_classes_of(generator)
    many = isinstance(digits, Iterable) and not isinstance(digits, str)
    digit_list = [check_digit(d, classes) for d in (digits if many else [digits])]
    z = noise(n, latent_dim_of(generator), seed=seed)
    return generate_from(generator, np.tile(z, (len(digit_list), 1)), np.repeat(digit_list, n))


def digit_rows(generator: keras.Model, *, n: int = 8, seed: int = 0) -> np.ndarray:
    """n samples of every digit, shaped (num_classes, n, 28, 28): row d shows digit d."""
    classes = num_classes_of(generator)
    return generate(generator, range(classes), n=n, seed=seed).reshape(classes, n, *IMAGE_SHAPE[:2])


class LabelBlend:
    """G(z | (1 - t) e(a) + t e(b)): the generator fed a mix of two label embeddings e(a) and e(b).

    One `tf.function` with a fixed signature, so a batch of any size is traced once and then only runs.
    """

    def __init__(self, generator: keras.Model):
        self.latent_dim = latent_dim_of(generator)
        self.num_classes = num_classes_of(generator)
        table = generator.get_layer("label_embedding").embeddings
        condition, body = generator.get_layer("condition"), generator.get_layer("generator_body")

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
            return body(condition([z, label]), training=False)

        self._forward = forward

    def __call__(
        self, z: np.ndarray, digit: int, other: int | None = None, t: float | Sequence[float] = 0.0
    ) -> np.ndarray:
        """Images (n, 28, 28) in [-1, 1] for the n rows of z; `t` is one weight or one per row."""
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
        return np.asarray(images)[..., 0]


@functools.lru_cache(maxsize=4)
def label_blend(generator: keras.Model) -> LabelBlend:
    """The one `LabelBlend` of a generator, so that its forward pass is traced once per session."""
    return LabelBlend(generator)


def blend_row(
    generator: keras.Model, digit: int, other: int, *, points: int = 9, seed: int = 0
) -> np.ndarray:
    """One noise vector drawn with labels sliding from `digit` (left) to `other` (right): (points, 28, 28)."""
    points = check_positive("points", points)
    z = np.repeat(noise(1, latent_dim_of(generator), seed=seed), points, axis=0)
    return label_blend(generator)(z, digit, other, np.linspace(0.0, 1.0, points))
