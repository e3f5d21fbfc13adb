"""Claims the chapters make about the shipped generator, checked on the generator itself."""

import numpy as np
import pytest

from cgan_lib import judge, models, sampling


@pytest.fixture(scope="module")
def shipped():
    return models.load_generator()


def test_chapter1_every_row_of_the_grid_is_read_as_its_digit(shipped):
    """Chapter 1: 'row by row, the grid holds the digit asked for' (seed 0, eight per row)."""
    grid = sampling.digit_rows(shipped, n=8, seed=0).reshape(-1, 28, 28)
    read = judge.predict_digits(grid)
    majority = [int(np.bincount(row, minlength=10).argmax()) for row in read.reshape(10, 8)]
    assert majority == list(range(10))
    assert np.mean(read == np.repeat(np.arange(10), 8)) >= 0.9


def test_chapter2_the_label_moves_the_pixels_more_than_the_noise(shipped):
    """Chapter 2: with 200 shared z, changing y moves the pixels more than changing z."""
    gen = sampling.generate(shipped, range(10), n=200, seed=3).reshape(10, 200, -1)
    label_change = np.abs(gen[:, None] - gen[None, :]).mean(axis=(2, 3))[~np.eye(10, dtype=bool)]
    noise_change = np.abs(gen[:, :100] - gen[:, 100:]).mean()
    assert label_change.mean() > noise_change


def test_chapter9_zero_noise_gives_one_image_for_every_label_when_multiplying():
    """Chapter 9: z = 0 times e(y) is 0 for every y, so the multiply generator draws one image for all."""
    zero = np.zeros((10, 100), dtype="float32")
    multiply = sampling.generate_from(models.load_generator(), zero, range(10))
    assert np.abs(multiply - multiply[0]).max() < 1e-5
    concatenate = sampling.generate_from(models.load_generator(conditioning="concatenate"), zero, range(10))
    assert np.abs(concatenate - concatenate[0]).mean() > 0.1, "concatenating keeps the label even at z = 0"


def test_chapter9_draws_from_the_prior_beat_shortened_noise(shipped):
    """Chapter 9: the judge reads more digits as asked for z from N(0, I) than for the same z halved."""
    digits = np.repeat(np.arange(10), 50)
    z = sampling.noise(len(digits), seed=0)

    def accuracy(scale):
        images = sampling.generate_from(shipped, scale * z, digits)
        return np.mean(judge.predict_digits(images) == digits)

    assert accuracy(1.0) > accuracy(0.5) + 0.03
