"""Chapter 6's plain CGAN computes the library's iteration: the same updated weights of G and D.

The plain code is read from the chapter's cells tagged `plain-cgan`, so this tests the book's own
code, not a copy. The plain models get the library's initial weights; both sides then get the same
real batch, noise, fresh labels and dropout masks, and one plain `train_step` must leave G's and D's
weights (BatchNorm's running statistics included) equal to those of one `ConditionalGAN` iteration,
up to float32 rounding. The batch holds 32 real images, so some digits appear more than once in it:
that also checks that the plain code, like the library, gives Adam dense gradients for the label
embeddings (the control test shows that without them the weights come out measurably different).
The library's iteration runs eagerly here: compiling it with XLA would take longer than the whole
test, and gives the same weights to within about 2e-7 (a one-off check with distinct labels).
"""

from __future__ import annotations

import types
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from cgan_lib import data, models, training

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "06_building_and_training.ipynb"
BATCH = 32
ROUNDING = 1e-6  # float32 rounding of weights of order 1 after a step of ~2e-4 (Adam's learning rate)


def plain_code() -> dict:
    """Run the chapter's `plain-cgan` cells; return their names (build_generator, CGAN, ...)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c.source for c in notebook.cells if "plain-cgan" in c.metadata.get("tags", [])]
    assert cells, "chapter 6 has no cell tagged plain-cgan"
    names: dict = {}
    exec(compile("\n\n".join(cells), str(NOTEBOOK), "exec"), names)
    return names


def dropout_layers(model: keras.Model) -> list[layers.Dropout]:
    """The model's Dropout layers in order, looking inside nested models (the library's bodies)."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found += dropout_layers(layer)
        elif type(layer) is layers.Dropout:
            found.append(layer)
    return found


def fix_dropout(model: keras.Model, masks: list[np.ndarray]) -> None:
    """Make the model's Dropout layers use these masks (1: kept) in training mode."""
    dropouts = dropout_layers(model)
    assert len(dropouts) == len(masks) == 2

    def call(self, inputs, training=False):
        return inputs * self.fixed_mask / (1 - self.rate) if training else inputs

    for layer, mask in zip(dropouts, masks, strict=True):
        layer.fixed_mask = tf.constant(mask)
        layer.call = types.MethodType(call, layer)


def values(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.weights]


@pytest.fixture(scope="module")
def plain():
    return plain_code()


@pytest.fixture(scope="module")
def inputs():
    """A real batch of 32 with repeated digits, its noise, fresh labels for G's step, D's two masks."""
    rng = np.random.default_rng(0)
    images, labels = data.load_mnist("bundled", verbose=False)
    index = rng.choice(len(labels), BATCH, replace=False)
    real = (tf.constant(images[index]), tf.constant(labels[index].reshape(-1, 1)))
    assert len(np.unique(labels[index])) < BATCH  # repeated digits: sparse and dense Adam differ
    z = tf.constant(rng.standard_normal((BATCH, 100)).astype("float32"))
    fresh = tf.constant(rng.integers(0, 10, (BATCH, 1)).astype("int32"))
    masks = [(rng.random((BATCH, 512)) >= 0.4).astype("float32") for _ in range(2)]
    return images, labels, real, z, fresh, masks


def one_iteration_each(plain, inputs, monkeypatch, plain_class=None):
    """One library iteration and one plain train_step from the same start: for G and for D, the weights
    after the plain step, after the library's iteration, and at the start."""
    images, labels, real, z, fresh, masks = inputs
    keras.utils.set_random_seed(1)
    lib_g, lib_d = models.build_generator(), models.build_discriminator()
    gan = training.ConditionalGAN(lib_g, lib_d, images, labels, batch_size=BATCH)
    gan.compile(jit_compile=False)
    gan._real_batch, gan._noise, gan._random_labels = (lambda: real), (lambda: z), (lambda: fresh)

    g, d = plain["build_generator"](), plain["build_discriminator"]()
    assert (g.count_params(), d.count_params()) == (1_494_520, 935_585)
    for mine, theirs in ((g, lib_g), (d, lib_d)):
        assert [w.shape for w in mine.weights] == [w.shape for w in theirs.weights]
        mine.set_weights(theirs.get_weights())
    start = {"G": values(g), "D": values(d)}
    fix_dropout(lib_d, masks)
    fix_dropout(d, masks)

    gan.train_iteration()

    drawn = []
    monkeypatch.setattr(keras.random, "normal", lambda *a, **k: drawn.append("z") or z)
    monkeypatch.setattr(keras.random, "randint", lambda *a, **k: drawn.append("y") or fresh)
    cgan = (plain_class or plain["CGAN"])(g, d)
    cgan.compile()
    cgan.train_step(real)
    monkeypatch.undo()
    assert drawn == ["z", "y"], "the plain step should draw one batch of noise, then fresh labels"
    return {"G": (values(g), values(lib_g), start["G"]), "D": (values(d), values(lib_d), start["D"])}


def largest_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.abs(p - q).max()) for p, q in zip(a, b, strict=True))


def test_the_plain_iteration_is_the_library_iteration(plain, inputs, monkeypatch):
    for name, (mine, theirs, start) in one_iteration_each(plain, inputs, monkeypatch).items():
        moved = [float(np.abs(p - q).max()) for p, q in zip(theirs, start, strict=True)]
        assert min(moved) > 100 * ROUNDING, f"every weight array of {name} should move in one iteration"
        assert largest_difference(mine, theirs) <= ROUNDING, f"{name}: the plain step and the library differ"


def test_the_comparison_sees_sparse_adam_rows(plain, inputs, monkeypatch):
    """The control: the plain step without dense gradients (Keras' Adam then squares the embedding's
    gradient row by row) leaves D's label embedding measurably unlike the library's; the rest agrees."""

    class SparseCGAN(plain["CGAN"]):
        def update(self, optimizer, tape, loss, weights):
            optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))

    assert "update" in vars(plain["CGAN"]), "the plain CGAN has no update method for this test to replace"
    mine, theirs, _ = one_iteration_each(plain, inputs, monkeypatch, SparseCGAN)["D"]
    embedding = next(i for i, w in enumerate(theirs) if w.shape == (10, 784))  # D's label embedding
    assert float(np.abs(mine[embedding] - theirs[embedding]).max()) > 100 * ROUNDING
