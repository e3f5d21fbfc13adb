"""Sampling: the right shapes and range, the same digits for the same seed, one clear error."""

import numpy as np
import pytest

from cgan_lib import models, sampling


@pytest.fixture(scope="module")
def generator():
    import keras

    keras.utils.set_random_seed(0)
    return models.build_generator()


def test_generate_shape_range_and_determinism(generator):
    images = sampling.generate(generator, [3, 7], n=5, seed=1)
    assert images.shape == (10, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_array_equal(images, sampling.generate(generator, [3, 7], n=5, seed=1))
    assert not np.array_equal(images, sampling.generate(generator, [3, 7], n=5, seed=2))
    assert sampling.generate(generator, 4, n=3).shape == (3, 28, 28)


def test_same_noise_for_every_digit(generator):
    z = sampling.noise(4, seed=9)
    np.testing.assert_allclose(
        sampling.generate(generator, [2, 6], n=4, seed=9),
        sampling.render(generator, np.tile(z, (2, 1)), [2] * 4 + [6] * 4),
    )


@pytest.mark.parametrize("digit", [10, -1, 3.5, True, "3", None])
def test_bad_digit(generator, digit):
    with pytest.raises(ValueError, match=r"digit must be an integer from 0 to 9; got"):
        sampling.generate(generator, digit)


@pytest.mark.parametrize("n", [0, -3, 2.0])
def test_bad_count(generator, n):
    with pytest.raises(ValueError, match="n must be a positive integer; got"):
        sampling.generate(generator, 1, n=n)


def test_image_grid_has_one_labelled_row_per_digit(generator):
    fig = sampling.image_grid(generator, n=4, seed=0, title="Grid")
    axes = np.array(fig.axes).reshape(10, 4)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == [str(d) for d in range(10)]
    assert fig._suptitle.get_text() == "Grid"
    rows = sampling.digit_rows(generator, n=4, seed=0)
    for d in range(10):  # row d really shows the images generated for digit d
        np.testing.assert_allclose(axes[d, 1].images[0].get_array(), rows[d, 1])


def test_progress_animation_has_one_frame_per_grid(generator):
    frames = [(0, sampling.digit_rows(generator, n=2)), (100, sampling.digit_rows(generator, n=2, seed=1))]
    html = sampling.animation_html(sampling.progress_animation(frames))
    assert html.count("data:image/jpeg;base64") == 2  # one small JPEG per frame
    assert "http" not in html and "fa fa" not in html  # no CDN icon font: works offline
