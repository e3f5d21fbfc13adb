"""The playground widgets: the live explorer draws what its controls say."""

import numpy as np
import pytest

from cgan_lib import judge, models, sampling, widgets

PIXEL = 1 / 255 + 1e-6  # a PNG stores 8-bit grey levels


@pytest.fixture(scope="module")
def generator():
    """The shipped generator (an untrained one draws grey fog: every digit would look alike)."""
    return models.load_generator()


def shown(explorer: widgets.DigitExplorer) -> np.ndarray:
    """The images the explorer's PNG shows, decoded."""
    return widgets.from_png(explorer.image.value, explorer.samples.value)


def test_png_strip_round_trip():
    images = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    for small in (False, True):
        data = widgets.to_png(images, small=small)
        assert data.startswith(b"\x89PNG")
        np.testing.assert_allclose(widgets.from_png(data, 3), images, atol=0.5 / 255 + 1e-6)


def test_shipped_explorer_draws_every_digit_the_judge_reads_as_asked():
    """Drive the live widget (default: shipped generator) to each digit; the judge reads its PNG."""
    explorer = widgets.digit_explorer(samples=8)
    for digit in range(10):
        explorer.digit.value = digit
        read = judge.predict_digits(judge.to_model_range(shown(explorer)))
        assert np.sum(read == digit) >= 6, f"asked for {digit}, the judge read {read.tolist()}"


def test_same_z_draws_the_same_z_under_another_label(generator):
    explorer = widgets.digit_explorer(generator, digit=3, seed=4, samples=5)
    z, seed, at3 = explorer.z.copy(), explorer.seed.value, shown(explorer)
    np.testing.assert_allclose(at3, sampling.render(generator, z, [3] * 5), atol=PIXEL)
    explorer.digit.value = 7
    assert explorer.seed.value == seed
    np.testing.assert_array_equal(explorer.z, z)
    at7 = shown(explorer)
    np.testing.assert_allclose(at7, sampling.render(generator, z, [7] * 5), atol=PIXEL)
    assert np.abs(at7 - at3).mean() > 0.05, "digits 3 and 7 gave the same picture"


def test_without_same_z_each_digit_change_draws_new_noise(generator):
    explorer = widgets.digit_explorer(generator, digit=3, seed=4, samples=3)
    z = explorer.z.copy()
    explorer.same_z.value = False
    np.testing.assert_array_equal(explorer.z, z)  # the toggle alone changes nothing
    explorer.digit.value = 5
    assert explorer.seed.value == 5
    assert not np.allclose(explorer.z, z)
    np.testing.assert_array_equal(explorer.z, sampling.noise(3, seed=5))
    np.testing.assert_allclose(shown(explorer), sampling.render(generator, explorer.z, [5] * 3), atol=PIXEL)


def test_seed_new_noise_and_samples_are_deterministic(generator):
    a = widgets.digit_explorer(generator, seed=5)
    b = widgets.digit_explorer(generator, seed=5)
    assert a.image.value == b.image.value
    a.new_noise.click()
    assert a.seed.value == 6
    assert a.image.value != b.image.value
    b.seed.value = 6
    assert a.image.value == b.image.value
    a.samples.value = 2
    np.testing.assert_array_equal(a.z, sampling.noise(2, seed=6))
    np.testing.assert_allclose(shown(a), sampling.generate(generator, 3, n=2, seed=6), atol=PIXEL)


def test_blend_interpolates_the_label_embedding(generator):
    explorer = widgets.digit_explorer(generator, digit=3, blend_to=8, samples=2)
    z = explorer.z
    explorer.blend.value = 1.0
    np.testing.assert_allclose(shown(explorer), sampling.render(generator, z, [8, 8]), atol=PIXEL)
    explorer.blend.value = 0.5
    table = generator.get_layer("label_embedding").get_weights()[0]
    half = generator.get_layer("generator_body")(z * (table[3] + table[8]) / 2, training=False)
    np.testing.assert_allclose(shown(explorer), (np.asarray(half)[..., 0] + 1) / 2, atol=PIXEL)
    row = widgets.blend_row(generator, 3, 8, steps=5, seed=2)
    assert row.shape == (5, 28, 28)
    ends = sampling.render(generator, sampling.noise(1, seed=2)[[0, 0]], [3, 8])
    np.testing.assert_allclose(row[[0, -1]], ends, atol=1e-5)


def test_concatenate_generator_blends_too():
    concat = models.build_generator(conditioning="concatenate")
    z = sampling.noise(3, seed=1)
    expected = sampling.render(concat, z, [4] * 3)
    np.testing.assert_allclose(widgets.LabelBlend(concat)(z, 4), expected, atol=1e-5)


def test_moving_the_controls_never_retraces(generator):
    explorer = widgets.digit_explorer(generator)
    for value in range(1, 8):
        explorer.digit.value = value
        explorer.samples.value = value
        explorer.blend.value = value / 10
    explorer.digit.value = 3
    widgets.update_milliseconds(explorer, repeats=12)  # the benchmark moves the digit and puts it back
    assert explorer.digit.value == 3
    assert explorer.render._forward.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"digit": 10}, r"digit must be an integer from 0 to 9; got 10"),
        ({"digit": 2.5}, r"digit must be an integer from 0 to 9; got 2.5"),
        ({"blend_to": "8"}, r"digit must be an integer from 0 to 9; got '8'"),
        ({"samples": -1}, r"samples must be a positive integer; got -1"),
        ({"samples": 2.0}, r"samples must be a positive integer; got 2.0"),
        ({"samples": 9}, r"samples must be at most max_samples \(8\); got 9"),
        ({"seed": -1}, r"seed must be an integer >= 0; got -1"),
        ({"seed": 1.5}, r"seed must be an integer >= 0; got 1.5"),
        ({"same_z": "yes"}, r"same_z must be True or False; got 'yes'"),
    ],
)
def test_misuse_raises_one_clear_error(generator, settings, message):
    with pytest.raises(ValueError, match=message):
        widgets.digit_explorer(generator, **settings)


def test_label_blend_rejects_bad_input(generator):
    blend = widgets.LabelBlend(generator)
    z = sampling.noise(2)
    for t in (1.5, -0.1, "0.5", None, [0.2, 2.0]):
        with pytest.raises(ValueError, match=r"blend must be a number from 0 .* to 1 .*; got"):
            blend(z, 3, 8, t)
    with pytest.raises(ValueError, match=r"digit must be an integer from 0 to 9; got -1"):
        blend(z, 3, -1, 0.5)
    with pytest.raises(ValueError, match=r"z must have shape \(n, 100\)"):
        blend(z[:, :10], 3)

