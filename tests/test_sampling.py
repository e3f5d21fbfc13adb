"""Sampling: the right shapes and range, the same digits for the same seed, label blends, one clear error."""

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
    assert -1.0 <= images.min() < 0.0 and images.max() <= 1.0  # G's tanh range
    np.testing.assert_array_equal(images, sampling.generate(generator, [3, 7], n=5, seed=1))
    assert not np.array_equal(images, sampling.generate(generator, [3, 7], n=5, seed=2))
    assert sampling.generate(generator, 4, n=3).shape == (3, 28, 28)


def test_same_noise_for_every_digit(generator):
    z = sampling.noise(4, seed=9)
    np.testing.assert_allclose(
        sampling.generate(generator, [2, 6], n=4, seed=9),
        sampling.generate_from(generator, np.tile(z, (2, 1)), [2] * 4 + [6] * 4),
    )


@pytest.mark.parametrize("digit", [10, -1, 3.5, True, "3", None])
def test_bad_digit(generator, digit):
    with pytest.raises(ValueError, match=r"digit must be an integer from 0 to 9; got"):
        sampling.generate(generator, digit)


@pytest.mark.parametrize("n", [0, -3, 2.0])
def test_bad_count(generator, n):
    with pytest.raises(ValueError, match="n must be a positive integer; got"):
        sampling.generate(generator, 1, n=n)


def test_generate_from_runs_many_inputs_in_batches_like_one_call(generator):
    z = sampling.noise(1030, seed=3)  # more than one prediction batch (1,024)
    digits = np.arange(1030) % 10
    images = sampling.generate_from(generator, z, digits)
    one_call = np.asarray(generator([z[1024:], digits[1024:, None]], training=False))[..., 0]
    np.testing.assert_allclose(images[1024:], one_call, atol=1e-6)


def test_noise_refuses_a_bad_count_or_seed():
    with pytest.raises(ValueError, match="n must be a positive integer; got 0"):
        sampling.noise(0)
    with pytest.raises(ValueError, match="seed must be an integer >= 0; got -2"):
        sampling.noise(3, seed=-2)


@pytest.fixture(scope="module")
def shipped():
    """The shipped generator (an untrained one draws grey fog: every digit would look alike)."""
    return models.load_generator()


def test_blend_is_the_generator_at_both_ends_and_the_mixed_embedding_between(shipped):
    blend = sampling.LabelBlend(shipped)
    z = sampling.noise(2, seed=4)
    np.testing.assert_allclose(blend(z, 3, 8, 0.0), sampling.generate_from(shipped, z, [3, 3]), atol=1e-5)
    np.testing.assert_allclose(blend(z, 3, 8, 1.0), sampling.generate_from(shipped, z, [8, 8]), atol=1e-5)
    table = shipped.get_layer("label_embedding").get_weights()[0]
    half = shipped.get_layer("generator_body")(z * (table[3] + table[8]) / 2, training=False)
    np.testing.assert_allclose(blend(z, 3, 8, 0.5), np.asarray(half)[..., 0], atol=1e-5)
    row = sampling.blend_row(shipped, 3, 8, points=5, seed=2)
    assert row.shape == (5, 28, 28)
    ends = sampling.generate_from(shipped, sampling.noise(1, seed=2)[[0, 0]], [3, 8])
    np.testing.assert_allclose(row[[0, -1]], ends, atol=1e-5)


def test_concatenate_generator_blends_through_its_own_conditioning():
    concat = models.build_generator(conditioning="concatenate")
    z = sampling.noise(3, seed=1)
    expected = sampling.generate_from(concat, z, [4] * 3)
    np.testing.assert_allclose(sampling.LabelBlend(concat)(z, 4), expected, atol=1e-5)


def test_label_blend_rejects_bad_input(generator):
    blend = sampling.LabelBlend(generator)
    z = sampling.noise(2)
    for t in (1.5, -0.1, "0.5", None, [0.2, 2.0]):
        with pytest.raises(ValueError, match=r"blend must be a number from 0 .* to 1 .*; got"):
            blend(z, 3, 8, t)
    with pytest.raises(ValueError, match=r"digit must be an integer from 0 to 9; got -1"):
        blend(z, 3, -1, 0.5)
    with pytest.raises(ValueError, match=r"z must have shape \(n, 100\)"):
        blend(z[:, :10], 3)
    with pytest.raises(ValueError, match=r"points must be a positive integer; got 0"):
        sampling.blend_row(generator, 3, 8, points=0)
