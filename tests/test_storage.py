"""Weights on disk: atomic saving, and one strict loader with one kind of message."""

import keras
import numpy as np
import pytest

from cgan_lib import judge, models, storage


def small_model(units: int = 3) -> keras.Model:
    x = keras.Input((4,))
    return keras.Model(x, keras.layers.Dense(units, name="dense")(x))


def test_save_then_load_gives_the_same_weights(tmp_path):
    keras.utils.set_random_seed(0)
    saved, fresh = small_model(), small_model()
    path = tmp_path / "sub" / "m.weights.h5"
    storage.save_atomically(saved, path)
    assert path.exists() and not list(path.parent.glob("*.partial.*"))  # the temporary file is gone
    storage.load_weights(fresh, path, "a small model")
    for a, b in zip(saved.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_killed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    storage.save_atomically(small_model(), path)
    before = path.read_bytes()

    def killed(self, filepath, *args, **kwargs):
        open(filepath, "wb").write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save_weights", killed)
    with pytest.raises(KeyboardInterrupt):
        storage.save_atomically(small_model(), path)
    assert path.read_bytes() == before


def test_loader_refuses_weights_of_another_shape_with_one_message(tmp_path):
    path = tmp_path / "m.weights.h5"
    storage.save_atomically(small_model(units=3), path)
    with pytest.raises(
        ValueError, match=r"m.weights.h5 does not hold weights of a small model \(20 parameters\)"
    ):
        storage.load_weights(small_model(units=4), path, "a small model")


def test_loader_refuses_a_corrupt_file_a_missing_file_and_another_suffix(tmp_path):
    corrupt = tmp_path / "c.weights.h5"
    corrupt.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"c.weights.h5 does not hold weights of the judge .*corrupt"):
        storage.load_weights(small_model(), corrupt, "the judge")
    with pytest.raises(FileNotFoundError, match=r"no weights of the judge at .*missing.weights.h5"):
        storage.load_weights(small_model(), tmp_path / "missing.weights.h5", "the judge")
    with pytest.raises(
        ValueError, match=r"weights of the judge must be a Keras .weights.h5 file; got '.*m.h5'"
    ):
        storage.load_weights(small_model(), tmp_path / "m.h5", "the judge")


def test_shipped_weights_live_in_the_package_folder():
    assert (
        models.shipped_generator_path("concatenate")
        == storage.WEIGHTS_DIR / "generator_concatenate.weights.h5"
    )
    assert judge.CLASSIFIER_PATH == storage.shipped("classifier") and judge.CLASSIFIER_PATH.exists()
