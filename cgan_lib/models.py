"""The tutorial's generator G(z|y) and discriminator D(x|y): MLPs conditioned by a label embedding."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import keras
from keras import layers

CONDITIONING = ("multiply", "concatenate")


def _check(latent_dim: int, num_classes: int, conditioning: str) -> None:
    for name, value in (("latent_dim", latent_dim), ("num_classes", num_classes)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if conditioning not in CONDITIONING:
        raise ValueError(
            f"conditioning must be 'multiply' (the tutorial) or 'concatenate' (the 2014 paper); "
            f"got {conditioning!r}"
        )


def _condition(features, label_vector, conditioning: str):
    """Combine an input with its label's embedding: the one line where the two variants differ."""
    if conditioning == "multiply":
        return layers.Multiply(name="condition")([features, label_vector])
    return layers.Concatenate(name="condition")([features, label_vector])


def build_generator(
    latent_dim: int = 100,
    num_classes: int = 10,
    image_shape: tuple[int, ...] = (28, 28, 1),
    conditioning: str = "multiply",
) -> keras.Model:
    """G(z|y): noise z and label y -> image in [-1, 1]. 1,494,520 parameters with the defaults."""
    _check(latent_dim, num_classes, conditioning)
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
    image_shape: tuple[int, ...] = (28, 28, 1),
    conditioning: str = "multiply",
) -> keras.Model:
    """D(x|y): image x and label y -> probability that x is a real image of digit y. 935,585 params."""
    _check(1, num_classes, conditioning)
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


def latent_dim_of(generator: keras.Model) -> int:
    """The length of z a generator expects."""
    return int(generator.inputs[0].shape[-1])


def num_classes_of(model: keras.Model) -> int:
    """The number of labels a generator or discriminator was built for."""
    return int(model.get_layer("label_embedding").input_dim)


WEIGHTS_DIR = Path(__file__).parent / "weights"


def shipped_generator_path(conditioning: str = "multiply") -> Path:
    """Where the pretrained generator that ships with the package lives."""
    return WEIGHTS_DIR / f"generator_{conditioning}.weights.h5"


def load_generator(path: str | Path | None = None, *, conditioning: str = "multiply") -> keras.Model:
    """A generator with trained weights: the shipped one by default, or a `.weights.h5` file."""
    _check(1, 1, conditioning)
    path = Path(path) if path is not None else shipped_generator_path(conditioning)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"weights must be a Keras .weights.h5 file; got {str(path)!r}")
    if not path.exists():
        raise FileNotFoundError(f"no generator weights at {path}")
    generator = build_generator(conditioning=conditioning)
    try:
        with warnings.catch_warnings():  # a wrong file also warns: the reader gets one error, not both
            warnings.simplefilter("ignore")
            generator.load_weights(path)
    except Exception:  # h5py/Keras raise many types; the reader needs one message
        raise ValueError(
            f"{path} does not hold weights of the {conditioning!r} generator "
            f"({generator.count_params():,} parameters): it is corrupt or from another architecture"
        ) from None
    return generator
