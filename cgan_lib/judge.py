"""The judge: a small CNN trained on real MNIST, independent of the GAN, that reads digits.

`evaluation` asks it which digit each generated image shows and uses its penultimate-layer features
for the Fréchet distance. A trained judge ships with the package (`load_classifier()`). It reads
images in [-1, 1], the library's one range (`checks.check_images` refuses pictures in [0, 1]).
"""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from cgan_lib import storage
from cgan_lib.checks import IMAGE_SHAPE, check_images, check_positive, check_weights_file
from cgan_lib.data import load_mnist, resolve_data
from cgan_lib.models import predict

CLASSIFIER_PATH = storage.shipped("classifier")
CLASSIFIER_METRICS = CLASSIFIER_PATH.with_name("classifier.json")
FEATURES_LAYER = "features"


def build_classifier(num_classes: int = 10) -> keras.Model:
    """The judge: two conv blocks, a 128-unit feature layer (used for the Fréchet distance), softmax.

    Input: images (n, 28, 28, 1) in [-1, 1]. Output: class probabilities (n, num_classes).
    """
    num_classes = check_positive("num_classes", num_classes)
    x = keras.Input(IMAGE_SHAPE, name="image")
    h = layers.Conv2D(32, 3, activation="relu", padding="same")(x)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu", padding="same")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Dropout(0.25)(layers.Flatten()(h))
    h = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(h)
    probabilities = layers.Dense(num_classes, activation="softmax", name="probabilities")(
        layers.Dropout(0.5)(h)
    )
    return keras.Model(x, probabilities, name="digit_classifier")


@functools.lru_cache(maxsize=2)
def held_out_digits(data: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """The real test digits ([-1, 1]) and labels, read once per process (read-only arrays)."""
    images, labels = load_mnist(resolve_data(data), "test", verbose=False)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def _classifier_data(data: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    resolved = resolve_data(data)
    return load_mnist(resolved, "train", verbose=False), held_out_digits(resolved)


def _shifted(images: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Each image moved by a random whole number of pixels (up to `max_shift`) each way, background -1.

    With only 4,000 training digits, this cheap augmentation lifts held-out accuracy by about a point.
    """
    padded = np.pad(images, ((0, 0), (max_shift,) * 2, (max_shift,) * 2, (0, 0)), constant_values=-1.0)
    dy, dx = rng.integers(0, 2 * max_shift + 1, (2, len(images)))
    rows = dy[:, None] + np.arange(IMAGE_SHAPE[0])
    cols = dx[:, None] + np.arange(IMAGE_SHAPE[1])
    return padded[np.arange(len(images))[:, None, None], rows[:, :, None], cols[:, None, :]]


def train_classifier(
    data: str = "auto",
    *,
    epochs: int = 20,
    batch_size: int = 64,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, dict]:
    """Train the judge on the train split (shifted at random each epoch); measure it on the test split.

    Seeded: the same seed gives the same weights.

    Returns the model and its metrics (held-out accuracy, data, epochs, ...). With `out`, saves the
    weights there and the metrics next to them as JSON.
    """
    epochs = check_positive("epochs", epochs)
    batch_size = check_positive("batch_size", batch_size)
    if out is not None:
        check_weights_file(out, "out")
    (x_train, y_train), (x_test, y_test) = _classifier_data(data)
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    rng = np.random.default_rng(seed)
    begin = time.perf_counter()
    for epoch in range(epochs):
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}")
        model.fit(
            _shifted(x_train, rng), y_train, batch_size=batch_size, epochs=1, shuffle=True, verbose=verbose
        )
    seconds = time.perf_counter() - begin
    predicted = predict_digits(x_test, model)
    metrics = {
        "data": resolve_data(data),
        "train_images": len(y_train),
        "test_images": len(y_test),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "test_accuracy": float(np.mean(predicted == y_test)),
        "per_digit_test_accuracy": [float(np.mean(predicted[y_test == d] == d)) for d in range(10)],
        "training_seconds": round(seconds, 1),
        "parameters": model.count_params(),
    }
    if out is not None:
        out = Path(out)
        weights_only = build_classifier()  # without the optimizer's state: a third of the file size
        weights_only.set_weights(model.get_weights())
        storage.save_atomically(weights_only, out)
        out.with_name(out.name.replace(".weights.h5", ".json")).write_text(
            json.dumps(metrics, indent=2) + "\n"
        )
    return model, metrics


def load_classifier(path: str | os.PathLike | None = None) -> keras.Model:
    """The judge with trained weights: the shipped ones by default, or a `.weights.h5` file."""
    path = Path(path) if path is not None else CLASSIFIER_PATH
    if path == CLASSIFIER_PATH and not path.exists():
        raise FileNotFoundError(f"no classifier weights at {path}; train them with `cgan train-classifier`")
    return storage.load_weights(build_classifier(), path, "the digit classifier")


@functools.lru_cache(maxsize=1)
def _shipped_classifier() -> keras.Model:
    return load_classifier()


def classifier_metrics() -> dict:
    """The shipped judge's metrics (held-out accuracy, data, epochs), saved when it was trained."""
    if not CLASSIFIER_METRICS.exists():
        raise FileNotFoundError(f"no classifier metrics at {CLASSIFIER_METRICS}")
    return json.loads(CLASSIFIER_METRICS.read_text())


def predict_digits(images: np.ndarray, classifier: keras.Model | None = None) -> np.ndarray:
    """The digit the judge reads in each image (images in [-1, 1]), as int32 (n,)."""
    model = classifier if classifier is not None else _shipped_classifier()
    return np.argmax(predict(model, check_images(images)), axis=1).astype("int32")


def classifier_features(images: np.ndarray, classifier: keras.Model | None = None) -> np.ndarray:
    """The judge's penultimate-layer activations (n, 128) for images in [-1, 1]."""
    model = classifier if classifier is not None else _shipped_classifier()
    extractor = keras.Model(model.input, model.get_layer(FEATURES_LAYER).output)
    return predict(extractor, check_images(images)).astype("float64")
