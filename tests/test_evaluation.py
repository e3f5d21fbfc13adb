"""The judge and its scores: real digits score high, random generators at chance; bad input is refused."""

import keras
import numpy as np
import pytest
import scipy.linalg

from cgan_lib import cli
from cgan_lib.data import from_display, to_display
from cgan_lib.evaluation import (
    Evaluation,
    RowDistances,
    conditional_accuracy,
    digit_halves,
    evaluate,
    features_frechet_distance,
    frechet_distance,
    images_frechet_distance,
    ink_and_slant,
    per_digit_precision_recall,
    precision_recall,
    real_halves,
    row_distances,
    style_correlations,
    time_to_quality,
    training_record,
)
from cgan_lib.judge import (
    CLASSIFIER_PATH,
    classifier_features,
    classifier_metrics,
    held_out_digits,
    load_classifier,
    predict_digits,
)
from cgan_lib.models import build_generator, load_generator, shipped_generator_path
from cgan_lib.sampling import generate, generate_from, noise

BLANK = np.full((4, 28, 28), -1.0)  # four black images in the judge's range


@pytest.fixture(scope="module")
def real():
    return held_out_digits("bundled")


@pytest.fixture(scope="module")
def random_generator():
    keras.utils.set_random_seed(0)
    return build_generator()


@pytest.fixture(scope="module")
def random_weights(random_generator, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "random.weights.h5"
    random_generator.save_weights(path)
    return str(path)


def test_judge_reads_held_out_real_digits_as_well_as_it_reported(real):
    images, labels = real
    accuracy = np.mean(predict_digits(images) == labels)
    assert accuracy >= 0.97
    assert accuracy == pytest.approx(classifier_metrics()["test_accuracy"], abs=0.002)
    assert classifier_features(images[:7]).shape == (7, 128)


def test_random_generator_scores_near_chance(random_generator):
    result = conditional_accuracy(random_generator, 20, seed=0)
    assert result.overall < 0.3
    assert len(result.per_digit) == 10 and result.n_per_digit == 20
    assert np.mean(result.per_digit) == pytest.approx(result.overall)
    assert "overall conditional accuracy" in str(result)


def test_shipped_generator_draws_the_digit_it_is_asked_for():
    assert shipped_generator_path().exists(), "the pretrained generator is not shipped yet"
    result = conditional_accuracy(load_generator(), 30, seed=0)
    assert result.overall >= 0.95, str(result)


def test_scores_are_seeded(random_generator):
    first = conditional_accuracy(random_generator, 10, seed=3)
    assert conditional_accuracy(random_generator, 10, seed=3) == first


def test_unscaled_images_are_refused_not_misread():
    """[0, 1] images fed as they are would all look alike to the judge: the classic 'everything is an 8'."""
    keras.utils.set_random_seed(1)
    images = generate(build_generator(), 3, n=4)
    pictures = to_display(images)  # [0, 1], as a figure shows them
    with pytest.raises(ValueError, match="convert them with data.from_display"):
        predict_digits(pictures)
    np.testing.assert_array_equal(predict_digits(from_display(pictures)), predict_digits(images))


def test_frechet_distance_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b - 2 * root)
    assert features_frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert features_frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_real_vs_real_is_far_below_a_random_generator(real, random_generator):
    half_a, half_b = real_halves(real[0], seed=0)
    assert len(half_a) == len(half_b) == 500
    real_distance = images_frechet_distance(half_b, half_a)
    random_distance = frechet_distance(random_generator, half_a, n=500, seed=0)
    assert 10 * real_distance < random_distance


def test_precision_recall_of_identical_sets_is_one():
    features = np.random.default_rng(0).normal(size=(60, 8))
    assert precision_recall(features, features) == (1.0, 1.0)


def test_precision_recall_small_known_case():
    reals = np.array([[0.0], [1.0], [2.0], [3.0]])  # each real's ball (k = 1) has radius 1
    fakes = np.array([[0.5], [10.0]])  # 0.5 is inside a real ball, 10 is not; fake radii are 9.5
    assert precision_recall(reals, fakes, k=1) == (0.5, 1.0)
    assert precision_recall(fakes, reals, k=1) == (1.0, 0.5)  # the roles swap


def test_a_set_collapsed_to_one_image_keeps_precision_and_loses_recall():
    reals = np.random.default_rng(1).normal(size=(50, 8))
    collapsed = np.repeat(reals[:1], 50, axis=0)  # 50 copies of one (real-looking) image
    precision, recall = precision_recall(reals, collapsed)
    assert precision == 1.0 and recall == pytest.approx(1 / 50)


def test_digit_halves_are_disjoint_and_balanced(real):
    _, labels = real
    a, b = digit_halves(labels, seed=0)
    assert not set(a) & set(b)
    assert np.array_equal(np.bincount(labels[a]), np.bincount(labels[b]))
    assert np.all(np.bincount(labels[a]) == 50)  # 100 held-out images of each digit in the bundled set


def test_precision_recall_catch_collapse_that_accuracy_misses(real):
    """The shipped generator asked with one z per digit: every image right, no variety left."""
    images, labels = real
    ref, other = digit_halves(labels, seed=0)
    digits = np.repeat(np.arange(10), 50)
    G = load_generator()
    varied = generate(G, range(10), n=50, seed=0)
    one_z = generate_from(G, np.repeat(noise(10, seed=0), 50, axis=0), digits)  # z_d for digit d
    assert np.mean(predict_digits(one_z) == digits) >= 0.9  # accuracy does not notice
    p_real, r_real = per_digit_precision_recall(images[ref], labels[ref], images[other], labels[other])
    p_varied, r_varied = per_digit_precision_recall(images[ref], labels[ref], varied, digits)
    p_one, r_one = per_digit_precision_recall(images[ref], labels[ref], one_z, digits)
    assert np.mean(r_real) > 0.8 and np.mean(p_real) > 0.8
    assert np.mean(r_one) <= 0.05 < 0.2 < np.mean(r_varied)
    assert np.mean(p_one) > 0.8


@pytest.mark.parametrize(
    "a, b, k, message",
    [
        (np.ones((5, 3)), np.ones((5, 4)), 3, "same width"),
        (np.ones((5, 3)), np.ones((3, 3)), 3, "k must be smaller than both set sizes; got k=3, sizes 5, 3"),
        (np.ones((5, 3)), np.ones((5, 3)), 0, "k must be a positive integer; got 0"),
    ],
)
def test_precision_recall_refuses_bad_input(a, b, k, message):
    with pytest.raises(ValueError, match=message):
        precision_recall(a, b, k)


def test_evaluation_of_random_generator(random_generator):
    result = evaluate(random_generator, 10, seed=0, data="bundled")
    assert isinstance(result, Evaluation)
    assert result.accuracy.overall < 0.3 and result.judge_accuracy >= 0.97
    assert 10 * result.frechet_distance_real < result.frechet_distance
    assert len(result.precision) == len(result.recall) == len(result.recall_real) == 10
    assert np.mean(result.recall) < 0.2 < 0.8 < np.mean(result.recall_real)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda g: conditional_accuracy(g, 0), "n_per_digit must be a positive integer; got 0"),
        (lambda g: conditional_accuracy(g, 2.5), "n_per_digit must be a positive integer; got 2.5"),
        (lambda g: frechet_distance(g, BLANK, n=-3), "n must be a positive integer; got -3"),
        (lambda g: frechet_distance(g, BLANK[:, :20]), r"shape \(n, 28, 28\) or \(n, 28, 28, 1\)"),
        (lambda g: frechet_distance(g, np.full((4, 28, 28), 3.0)), r"in \[-1, 1\].*got 3.000 to 3.000"),
        (lambda g: predict_digits(np.full((2, 28, 28), np.nan)), "NaN or infinite"),
        (lambda g: features_frechet_distance(np.ones((5, 3)), np.ones((5, 4))), "same width"),
    ],
)
def test_bad_input_raises_one_clear_error(random_generator, call, message):
    with pytest.raises(ValueError, match=message):
        call(random_generator)


def test_bad_classifier_weights(tmp_path, random_weights):
    with pytest.raises(FileNotFoundError, match="no weights of the digit classifier at"):
        load_classifier(tmp_path / "missing.weights.h5")
    with pytest.raises(ValueError, match="another architecture"):
        load_classifier(random_weights)  # a generator's weights
    (tmp_path / "bad.weights.h5").write_bytes(b"\x89HDF\r\n garbage")
    with pytest.raises(ValueError, match="corrupt"):
        load_classifier(tmp_path / "bad.weights.h5")
    with pytest.raises(ValueError, match=r"\.weights\.h5 file"):
        load_classifier(tmp_path / "judge.keras")


def test_cli_evaluate_prints_the_table(random_weights, capsys):
    code = cli.main(["evaluate", "--weights", random_weights, "--n-per-digit", "5", "--data", "bundled"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == [
        "digit", "accuracy", "precision", "recall", "precision(real)", "recall(real)"
    ]
    assert [line.split()[0] for line in out.splitlines()[1:11]] == [str(d) for d in range(10)]
    assert "overall conditional accuracy" in out and "(real vs real:" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "--n-per-digit", "0"], "n_per_digit must be a positive integer; got 0"),
        (["evaluate", "--data", "cifar"], "data must be one of 'auto', 'keras', 'bundled'; got 'cifar'"),
        (["evaluate", "--weights", str(CLASSIFIER_PATH)], "corrupt or from another architecture"),
        (["train-classifier", "--epochs", "0"], "epochs must be a positive integer; got 0"),
        (["train-classifier", "--out", "judge.h5"], "out must be a Keras .weights.h5 file"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message, random_weights, capsys):
    if args[0] == "evaluate" and "--weights" not in args:
        args = [*args, "--weights", random_weights]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_time_to_quality_rows_ship_with_the_package(tmp_path, monkeypatch):
    """Chapter 7 reads the study through the package, so it runs in an empty folder (Colab's /content)."""
    monkeypatch.chdir(tmp_path)
    rows = time_to_quality()
    assert {r["loop"] for r in rows} == {"fast", "tutorial"}
    reached = [r for r in rows if r["seconds"]]
    assert reached and all(0.0 <= float(r["conditional_accuracy"]) <= 1.0 for r in reached)


def test_ink_and_slant_of_known_strokes():
    upright, leaning = np.zeros((2, 28, 28))
    upright[4:24, 14] = 1.0  # "|"
    for row in range(4, 24):
        leaning[row, 27 - row] = 1.0  # "/": one column to the right per row up
    ink, slant = ink_and_slant(from_display(np.stack([upright, leaning])))
    np.testing.assert_allclose(ink, [20 / 784, 20 / 784])
    np.testing.assert_allclose(slant, [0.0, 1.0], atol=1e-12)


def test_one_z_is_one_handwriting_with_concatenation_only():
    """Chapter 3's claim: shared ink and slant across digits for concatenate, none for multiply."""
    between = ~np.eye(10, dtype=bool)
    for conditioning, low, high in (("multiply", -0.15, 0.15), ("concatenate", 0.5, 1.0)):
        for matrix in style_correlations(load_generator(conditioning=conditioning), 200, seed=5).values():
            assert low < matrix[between].mean() < high, conditioning


def test_concatenation_beats_multiplication_on_frechet_distance_and_recall():
    """Chapter 4's verdict, measured: equal accuracy, concatenate closer and far more varied."""
    multiply, concatenate = (evaluate(load_generator(conditioning=c), data="bundled") for c in
                             ("multiply", "concatenate"))
    assert abs(multiply.accuracy.overall - concatenate.accuracy.overall) < 0.02
    assert concatenate.frechet_distance < multiply.frechet_distance
    assert np.mean(concatenate.recall) > np.mean(multiply.recall) + 0.1


def test_training_record_of_the_shipped_command_ships_with_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # read through the package, as in Colab's empty /content
    record = training_record()
    assert record.final_scores["accuracy"] >= 0.95 and record.final_scores["recall"] > 0.2
    assert record.iterations == 20_000 and len(record.history) == 2_000
    steps = [step for step, _ in record.frames]
    assert steps[:11] == list(range(0, 1_001, 100)) and steps[-1] == 20_000
    assert all(images.shape == (10, 8, 28, 28) for _, images in record.frames)
    first, last = record.frames[0][1], record.frames[-1][1]
    assert first.std() < 0.05 < last.std()  # flat gray at the start, digits at the end
    d_real = np.array([h["d_real"] for h in record.history])
    d_fake = np.array([h["d_fake"] for h in record.history])
    assert d_real.min() >= 0 and d_fake.max() <= 1
    assert d_real[-500:].mean() > d_fake[-500:].mean()  # D still ahead at the end (chapter 5)


def test_row_distances_see_distinct_rows_in_the_shipped_generator_and_group_near_ones():
    """Chapter 10's collapse measure: the shipped G's rows are all apart; near rows are grouped."""
    shipped = row_distances(load_generator())
    assert shipped.closest.shape == shipped.spread.shape == (10,) and np.all(shipped.spread > 0.05)
    assert all(shipped.closest_label[d] != d for d in range(10))
    assert shipped.groups(threshold=shipped.closest.min()) == [(d,) for d in range(10)]
    near = RowDistances(np.array([0.01, 0.01, 0.02, 0.5]), np.array([1, 0, 1, 0]), np.ones(4))
    assert near.groups(threshold=0.1) == [(0, 1, 2), (3,)]
    with pytest.raises(ValueError, match="n must be at least 2"):
        row_distances(load_generator(), n=1)
