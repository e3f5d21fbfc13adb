"""The tutorial's G(z|y) and D(x|y) (MLPs conditioned by a label embedding), their optimizer, running them."""

from __future__ import annotations

import math
import os

import keras
import numpy as np
from keras import layers

from cgan_lib import storage
from cgan_lib.checks import IMAGE_SHAPE, check_choice, check_positive

CONDITIONING = ("multiply", "concatenate")  # the tutorial's product; or side by side, as the 2014 paper joins
PREDICT_BATCH = 1024  # images per forward pass when running a model on many inputs


def _condition(features, label_vector, conditioning: str):
    """Combine an input with its label's embedding: the one line where the two variants differ."""
    if conditioning == "multiply":
        return layers.Multiply(name="condition")([features, label_vector])
    return layers.Concatenate(name="condition")([features, label_vector])


def build_generator(
    latent_dim: int = 100,
    num_classes: int = 10,
    image_shape: tuple[int, ...] = IMAGE_SHAPE,
    conditioning: str = "multiply",
) -> keras.Model:
    """G(z|y): noise z and label y -> image in [-1, 1]. 1,494,520 parameters with the defaults."""
    latent_dim = check_positive("latent_dim", latent_dim)
    num_classes = check_positive("num_classes", num_classes)
    check_choice("conditioning", conditioning, CONDITIONING)
    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((1,), dtype="int32", name="y")
    label = layers.Flatten()(layers.Embedding(num_classes, latent_dim, name="label_embedding")(y))
    h = _condition(z, label, conditioning)
    body = keras.Sequential(name="generator_body")
    body.add(keras.Input((h.shape[-1],)))
    for units in (256, 512, 1024):
        body.add(layers.Dense(units))
        body.add(layers.LeakyReLU(negative_slope=0.2))
        body.add(layers.BatchNormalization(momentum=0.8))
    body.add(layers.Dense(math.prod(image_shape), activation="tanh"))
    body.add(layers.Reshape(image_shape))
    return keras.Model([z, y], body(h), name=f"generator_{conditioning}")


def build_discriminator(
    num_classes: int = 10,
    image_shape: tuple[int, ...] = IMAGE_SHAPE,
    conditioning: str = "multiply",
) -> keras.Model:
    """D(x|y): image x and label y -> probability that x is a real image of digit y. 935,585 params."""
    num_classes = check_positive("num_classes", num_classes)
    check_choice("conditioning", conditioning, CONDITIONING)
    pixels = math.prod(image_shape)
    x = keras.Input(image_shape, name="x")
    y = keras.Input((1,), dtype="int32", name="y")
    label = layers.Flatten()(layers.Embedding(num_classes, pixels, name="label_embedding")(y))
    h = _condition(layers.Flatten()(x), label, conditioning)
    body = keras.Sequential(name="discriminator_body")
    body.add(keras.Input((h.shape[-1],)))
    body.add(layers.Dense(512))
    body.add(layers.LeakyReLU(negative_slope=0.2))
    for _ in range(2):
        body.add(layers.Dense(512))
        body.add(layers.LeakyReLU(negative_slope=0.2))
        body.add(layers.Dropout(0.4))
    body.add(layers.Dense(1, activation="sigmoid"))
    return keras.Model([x, y], body(h), name=f"discriminator_{conditioning}")


def adam() -> keras.optimizers.Adam:
    """The tutorial's optimizer, one for each network: Adam with learning rate 2e-4 and beta_1 = 0.5."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def latent_dim_of(generator: keras.Model) -> int:
    """The length of z a generator expects."""
    return int(generator.inputs[0].shape[-1])


def num_classes_of(model: keras.Model) -> int:
    """The number of labels a generator or discriminator was built for."""
    return int(model.get_layer("label_embedding").input_dim)


def conditioning_of(model: keras.Model) -> str:
    """How a model of this module combines its input with the label: "multiply" or "concatenate"."""
    return "concatenate" if isinstance(model.get_layer("condition"), layers.Concatenate) else "multiply"


def predict(model: keras.Model, *inputs: np.ndarray) -> np.ndarray:
    """The model's output in inference mode for many inputs, `PREDICT_BATCH` at a time (bounded memory)."""
    parts = []
    for i in range(0, len(inputs[0]), PREDICT_BATCH):
        batch = [x[i : i + PREDICT_BATCH] for x in inputs]
        parts.append(np.asarray(model(batch if len(batch) > 1 else batch[0], training=False)))
    return np.concatenate(parts)


def shipped_generator_path(conditioning: str = "multiply") -> os.PathLike:
    """Where the pretrained generator that ships with the package lives."""
    return storage.shipped(f"generator_{check_choice('conditioning', conditioning, CONDITIONING)}")


def load_generator(path: str | os.PathLike | None = None, *, conditioning: str = "multiply") -> keras.Model:
    """A generator with trained weights: the shipped one by default, or a `.weights.h5` file."""
    path = path if path is not None else shipped_generator_path(conditioning)
    generator = build_generator(conditioning=conditioning)
    return storage.load_weights(generator, path, f"the {conditioning!r} generator")
