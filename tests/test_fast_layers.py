"""fast_layers: Keras' Dense and Dropout with calls for XLA:CPU give Keras' outputs, gradients and masks."""

import subprocess
import types
from pathlib import Path

import keras
import numpy as np
import pytest

from cgan_lib import fast_layers, models, training
from cgan_lib.data import load_mnist

ROOT = Path(__file__).resolve().parents[1]
COLAB_PINS = ROOT / "tests" / "colab" / "colab-runtime.txt"


def fast(layer):
    """`layer` with the fast call of its kind, as `fast_layers.use_fast_calls` gives a model's layers."""
    call = fast_layers.dense_call if isinstance(layer, keras.layers.Dense) else fast_layers.dropout_call
    layer.call = types.MethodType(call, layer)
    return layer


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gives_keras_outputs_and_gradients(jit, use_bias):
    import tensorflow as tf

    ours, theirs = (keras.layers.Dense(64, activation="tanh", use_bias=use_bias) for _ in range(2))
    for layer in (ours, theirs):
        layer.build((None, 48))
    fast(ours)
    theirs.set_weights(ours.get_weights())
    x = tf.constant(np.random.default_rng(0).normal(size=(32, 48)), tf.float32)

    def outputs_and_gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y**2)
        return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]

    run = tf.function(outputs_and_gradients, jit_compile=True) if jit else outputs_and_gradients
    for a, b in zip(run(ours), run(theirs), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


def test_dropout_draws_keras_masks_by_default_and_threefry_under_xla():
    import tensorflow as tf

    x = tf.ones((64, 512))
    ours, theirs = fast(keras.layers.Dropout(0.4, seed=3)), keras.layers.Dropout(0.4, seed=3)
    assert np.array_equal(ours(x, training=True), theirs(x, training=True))  # TensorFlow's default
    assert np.array_equal(ours(x), x)  # inference: nothing dropped
    rows = fast(keras.layers.Dropout(0.4, noise_shape=(64, 1), seed=3))
    keras_rows = keras.layers.Dropout(0.4, noise_shape=(64, 1), seed=3)
    assert np.array_equal(rows(x, training=True), keras_rows(x, training=True))  # noise_shape as Keras'
    assert not np.ptp(rows(x, training=True).numpy(), axis=1).any()  # whole rows kept or dropped

    def threefry_masks(seed):
        layer = fast(keras.layers.Dropout(0.4, seed=seed))
        layer.algorithm = "threefry"
        draw = tf.function(lambda: layer(x, training=True), jit_compile=True)
        return draw().numpy(), draw().numpy()

    first, second = threefry_masks(3)
    assert not np.array_equal(first, second)  # a new mask each draw
    for mask in (first, second):
        kept = mask != 0
        assert 0.55 < kept.mean() < 0.65  # 40% dropped
        np.testing.assert_allclose(mask[kept], 1 / 0.6, rtol=1e-6)  # the rest scaled up
    assert all(np.array_equal(a, b) for a, b in zip(threefry_masks(3), (first, second), strict=True))
    assert not np.array_equal(threefry_masks(4)[0], first)


def test_the_private_tensorflow_barrier_is_there():
    """The barrier comes from a private TensorFlow module: without it the calls still give the same
    numbers, only slower. The newest TensorFlow the package supports (this one) has it."""
    assert fast_layers.optimization_barrier is not None


def test_the_private_tensorflow_barrier_is_in_colabs_tensorflow_too():
    """The oldest TensorFlow supported is Colab's (its pins, in .venv-colab): the same import works there."""
    python = ROOT / ".venv-colab" / "bin" / "python"
    assert python.exists(), "the Colab venv is missing: `make colab-venv` (part of `make test`) makes it"
    probe = (
        "import tensorflow as tf; from tensorflow.compiler.tf2xla.python.xla import optimization_barrier; "
        "print(tf.__version__)"
    )
    found = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr[-2000:]
    pins = COLAB_PINS.read_text().splitlines()
    pinned = next(line.split("==")[1] for line in pins if line.startswith("tensorflow=="))
    assert found.stdout.split()[-1] == pinned


def test_conditional_gan_switches_dense_and_dropout_of_both_networks():
    images, labels = load_mnist("bundled", verbose=False)
    g, d = models.build_generator(), models.build_discriminator()
    training.ConditionalGAN(g, d, images[:64], labels[:64])
    switched = {
        type(layer).__name__: layer.call.__func__.__name__
        for model in (g, d)
        for layer in model._flatten_layers()
        if isinstance(layer.call, types.MethodType) and layer.call.__func__ in (
            fast_layers.dense_call, fast_layers.dropout_call)
    }
    assert switched == {"Dense": "dense_call", "Dropout": "dropout_call"}
    dense = [layer for m in (g, d) for layer in m._flatten_layers() if type(layer) is keras.layers.Dense]
    slow = [layer.units for layer in dense if layer.call.__func__ is not fast_layers.dense_call]
    assert slow == [1], "every Dense but D's one-unit output runs the fast call"
    assert len(dense) == 8
