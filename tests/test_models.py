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
