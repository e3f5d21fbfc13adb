"""The tutorial's models, exactly: sizes, layer order, hyper-parameters; weight loading errors."""

import keras
import numpy as np
import pytest

from cgan_lib import models


def body_layers(model, name):
    return [layer for layer in model.get_layer(name).layers]


def test_parameter_counts_match_the_tutorial():
    assert models.build_generator().count_params() == 1_494_520
    assert models.build_discriminator().count_params() == 935_585


def test_generator_layers_in_the_tutorial_order():
    layers = body_layers(models.build_generator(), "generator_body")
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == ["Dense", "LeakyReLU", "BatchNormalization"] * 3 + ["Dense", "Reshape"]
    assert [layer.units for layer in layers if type(layer).__name__ == "Dense"] == [256, 512, 1024, 784]
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in layers[1:9:3])
    assert all(layer.momentum == pytest.approx(0.8) for layer in layers[2:9:3])
    assert layers[-2].activation is keras.activations.tanh


def test_discriminator_layers_in_the_tutorial_order():
    layers = body_layers(models.build_discriminator(), "discriminator_body")
    kinds = [type(layer).__name__ for layer in layers]
    assert kinds == ["Dense", "LeakyReLU"] + ["Dense", "LeakyReLU", "Dropout"] * 2 + ["Dense"]
    assert [layer.rate for layer in layers if type(layer).__name__ == "Dropout"] == [0.4, 0.4]
    assert layers[-1].activation is keras.activations.sigmoid


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gives_keras_outputs_and_gradients(jit, use_bias):
    import tensorflow as tf

    kinds = (models.Dense, keras.layers.Dense)
    ours, theirs = (kind(64, activation="tanh", use_bias=use_bias) for kind in kinds)
    for layer in (ours, theirs):
        layer.build((None, 48))
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
    ours, theirs = models.Dropout(0.4, seed=3), keras.layers.Dropout(0.4, seed=3)
    assert np.array_equal(ours(x, training=True), theirs(x, training=True))  # TensorFlow's default
    assert np.array_equal(ours(x), x)  # inference: nothing dropped
    kinds = (models.Dropout, keras.layers.Dropout)
    rows, keras_rows = (kind(0.4, noise_shape=(64, 1), seed=3) for kind in kinds)
    assert np.array_equal(rows(x, training=True), keras_rows(x, training=True))  # noise_shape as Keras'
    assert not np.ptp(rows(x, training=True).numpy(), axis=1).any()  # whole rows kept or dropped

    def threefry_masks(seed):
        layer = models.Dropout(0.4, seed=seed)
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


def test_label_changes_the_output_in_both_conditioning_modes():
    for conditioning in models.CONDITIONING:
        g = models.build_generator(conditioning=conditioning)
        z = np.ones((2, 100), "float32")
        out = np.asarray(g([z, np.array([[3], [7]], "int32")], training=False))
        assert out.shape == (2, 28, 28, 1)
        assert not np.allclose(out[0], out[1])
    assert type(models.build_generator(conditioning="concatenate").get_layer("condition")).__name__ == (
        "Concatenate"
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(conditioning="add"), "conditioning must be one of 'multiply', 'concatenate'; got 'add'"),
        (dict(latent_dim=0), "latent_dim must be a positive integer; got 0"),
        (dict(num_classes=2.5), "num_classes must be a positive integer; got 2.5"),
    ],
)
def test_bad_model_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_generator(**kwargs)


def test_load_generator_round_trip(tmp_path):
    g = models.build_generator()
    g.save_weights(tmp_path / "g.weights.h5")
    loaded = models.load_generator(tmp_path / "g.weights.h5")
    z, y = np.ones((1, 100), "float32"), np.array([[5]], "int32")
    np.testing.assert_array_equal(g([z, y], training=False), loaded([z, y], training=False))


def test_load_generator_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weights of the .multiply. generator at"):
        models.load_generator(tmp_path / "missing.weights.h5")
    with pytest.raises(ValueError, match=r"must be a Keras \.weights\.h5 file"):
        models.load_generator(tmp_path / "weights.pkl")
    corrupt = tmp_path / "corrupt.weights.h5"
    corrupt.write_bytes(b"not an HDF5 file")
    with pytest.raises(ValueError, match="corrupt or from another architecture"):
        models.load_generator(corrupt)
    models.build_discriminator().save_weights(tmp_path / "d.weights.h5")
    with pytest.raises(ValueError, match="corrupt or from another architecture"):
        models.load_generator(tmp_path / "d.weights.h5")
    models.build_generator(conditioning="concatenate").save_weights(tmp_path / "c.weights.h5")
    with pytest.raises(ValueError, match="'multiply' generator"):
        models.load_generator(tmp_path / "c.weights.h5")
