"""Input checks: the value back in the library's form, or one ValueError that names it and what is allowed."""

import numpy as np
import pytest

from cgan_lib import checks


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_positive_refuses_what_is_not_a_positive_integer(value):
    with pytest.raises(
        ValueError, match=rf"^n must be a positive integer; got {value!r}$".replace("(", r"\(")
    ):
        checks.check_positive("n", value)


def test_checks_return_the_value_in_the_library_form():
    assert (
        checks.check_positive("n", np.int64(3)) == 3 and type(checks.check_positive("n", np.int64(3))) is int
    )
    assert checks.check_positive_number("seconds", 0.5) == 0.5
    assert checks.check_digit(np.int32(9)) == 9
    assert checks.check_seed(0) == 0
    assert checks.check_choice("loop", "library", ("library", "tutorial")) == "library"
    np.testing.assert_array_equal(checks.check_blend([0, 0.5, 1]), np.array([0, 0.5, 1], "float32"))
    assert checks.check_weights_file("a/b.weights.h5") == "a/b.weights.h5"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: checks.check_positive_number("seconds", 0), r"seconds must be a positive number; got 0"),
        (lambda: checks.check_positive_number("seconds", "8"), r"seconds must be a positive number; got '8'"),
        (lambda: checks.check_digit(10), r"digit must be an integer from 0 to 9; got 10"),
        (lambda: checks.check_digit(3, num_classes=3), r"digit must be an integer from 0 to 2; got 3"),
        (lambda: checks.check_digit(True), r"digit must be an integer from 0 to 9; got True"),
        (lambda: checks.check_seed(-1), r"seed must be an integer >= 0; got -1"),
        (
            lambda: checks.check_choice("loop", "fast", ("library", "tutorial")),
            r"loop must be one of 'library', 'tutorial'; got 'fast'",
        ),
        (lambda: checks.check_blend(1.5), r"blend must be a number from 0 \(first digit\) to 1"),
        (lambda: checks.check_blend("0.5"), r"blend must be a number from 0"),
        (lambda: checks.check_weights_file("g.h5"), r"weights must be a Keras .weights.h5 file; got 'g.h5'"),
    ],
)
def test_each_check_names_the_bad_value_and_what_is_allowed(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_images_come_back_as_a_batch_in_the_generator_range():
    images = np.full((2, 28, 28), -1.0)
    images[:, 10:18, 10:18] = 1.0
    batch = checks.check_images(images)
    assert batch.shape == (2, 28, 28, 1) and batch.dtype == np.float32


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (
            np.zeros((2, 28, 28)) + 0.5,
            r"no pixel is negative .*pictures in \[0, 1\]; convert them with data.from_display",
        ),
        (np.full((1, 28, 28), -2.0), r"images must be in \[-1, 1\] .*; got -2.000 to -2.000"),
        (
            np.zeros((1, 32, 32)),
            r"images must have shape \(n, 28, 28\) or \(n, 28, 28, 1\) with n > 0; got \(1, 32, 32\)",
        ),
        (np.zeros((0, 28, 28)), r"with n > 0; got \(0, 28, 28\)"),
        (np.full((1, 28, 28), np.nan), r"images contain NaN or infinite values"),
    ],
)
def test_images_that_are_not_in_the_library_range_are_refused(images, message):
    with pytest.raises(ValueError, match=message):
        checks.check_images(images)
