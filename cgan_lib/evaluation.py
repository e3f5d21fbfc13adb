"""Measuring a generator: does it draw the digit it is asked for, and how close are its images to real ones?

The judge (`cgan_lib.judge`, a CNN trained on real MNIST) reads every generated image.
*Conditional accuracy* is how often the judge reads the digit that was asked for. The *Fréchet
distance* compares the judge's penultimate-layer features of generated and real images (a Gaussian
fitted to each), as TF-GAN's MNIST "classifier FID" does. *Precision and recall* (Kynkäänniemi
et al., 2019), per digit and in the same feature space, split quality from variety: precision is
the share of generated images that look like some real one, recall the share of real images the
generator's images come close to. A collapsed generator keeps its precision and loses its recall.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import keras
import numpy as np

from cgan_lib import judge
from cgan_lib.callbacks import LOGGED
from cgan_lib.checks import check_images, check_positive
from cgan_lib.data import from_display, to_display
from cgan_lib.models import latent_dim_of, num_classes_of
from cgan_lib.sampling import digit_rows, generate_from, noise


def _generated(generator, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n generated images in [-1, 1] with digits 0, 1, ..., 9, 0, 1, ... and their labels."""
    digits = np.arange(n) % num_classes_of(generator)
    return generate_from(generator, noise(n, latent_dim_of(generator), seed=seed), digits), digits


@dataclass(frozen=True)
class ConditionalAccuracy:
    """How often the judge reads the digit that was asked for: overall and for each digit."""

    overall: float
    per_digit: tuple[float, ...]
    n_per_digit: int

    def __str__(self) -> str:
        lines = ["digit  accuracy"] + [f"{d:>5}  {a:>7.1%}" for d, a in enumerate(self.per_digit)]
        return "\n".join(
            lines + [f"overall conditional accuracy: {self.overall:.1%} ({self.n_per_digit} per digit)"]
        )


def conditional_accuracy(
    generator, n_per_digit: int = 100, *, seed: int = 0, classifier: keras.Model | None = None
) -> ConditionalAccuracy:
    """Ask the generator for `n_per_digit` images of every digit and let the judge read them."""
    n_per_digit = check_positive("n_per_digit", n_per_digit)
    return _accuracy(*_generated(generator, n_per_digit * num_classes_of(generator), seed), classifier)


def _accuracy(images: np.ndarray, digits: np.ndarray, classifier) -> ConditionalAccuracy:
    correct = judge.predict_digits(images, classifier) == digits
    per_digit = tuple(float(np.mean(correct[digits == d])) for d in range(int(digits.max()) + 1))
    return ConditionalAccuracy(float(np.mean(correct)), per_digit, len(digits) // len(per_digit))


def features_frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) for Gaussians fitted to two feature sets.

    Tr((S_a S_b)^1/2) is the sum of the square roots of the eigenvalues of S_a^1/2 S_b S_a^1/2, a
    symmetric matrix, so numpy's `eigh` suffices (no scipy).
    """
    a, b = (np.asarray(f, dtype="float64") for f in (features_a, features_b))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"need two feature arrays (n >= 2, same width); got shapes {a.shape} and {b.shape}")
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    mean_term = np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2)
    return float(max(mean_term + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross, 0.0))


def images_frechet_distance(
    images_a: np.ndarray, images_b: np.ndarray, classifier: keras.Model | None = None
) -> float:
    """Fréchet distance between two sets of images in [-1, 1], in the judge's feature space."""
    return features_frechet_distance(
        judge.classifier_features(images_a, classifier), judge.classifier_features(images_b, classifier)
    )


def frechet_distance(
    generator,
    real_images: np.ndarray,
    n: int = 1000,
    *,
    seed: int = 0,
    classifier: keras.Model | None = None,
) -> float:
    """Fréchet distance between n generated images (every digit equally often) and `real_images` ([-1, 1])."""
    n = check_positive("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2 to fit a Gaussian; got {n}")
    real = check_images(real_images)
    return images_frechet_distance(_generated(generator, n, seed)[0], real, classifier)


def real_halves(images: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of a set of real images: their distance sets the scale of the score."""
    images = check_images(images)
    order = np.random.default_rng(seed).permutation(len(images))
    half = len(images) // 2
    return images[order[:half]], images[order[half : 2 * half]]


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between every row of a and every row of b, exact (no a^2 + b^2 - 2ab)."""
    return np.concatenate(
        [np.sqrt(((a[i : i + 64, None] - b[None]) ** 2).sum(axis=-1)) for i in range(0, len(a), 64)]
    )


def _manifold_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour in its own set: the ball it vouches for."""
    return np.sort(_distances(features, features), axis=1)[:, k]  # column 0 is the point itself


def precision_recall(real_features: np.ndarray, fake_features: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of two feature sets.

    Each set's manifold is the union of balls around its points, each reaching to that point's k-th
    nearest neighbour. Precision: the share of fakes inside the real manifold (are they realistic?).
    Recall: the share of reals inside the fake manifold (is all of the real variety covered?).
    """
    real, fake = (np.asarray(f, dtype="float64") for f in (real_features, fake_features))
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"need two feature arrays of the same width; got {real.shape} and {fake.shape}")
    k = check_positive("k", k)
    if k >= min(len(real), len(fake)):
        raise ValueError(f"k must be smaller than both set sizes; got k={k}, sizes {len(real)}, {len(fake)}")
    cross = _distances(fake, real)  # cross[i, j]: fake i to real j
    precision = np.mean(np.any(cross <= _manifold_radii(real, k)[None, :], axis=1))
    recall = np.mean(np.any(cross.T <= _manifold_radii(fake, k)[None, :], axis=1))
    return float(precision), float(recall)


def per_digit_precision_recall(
    real_images: np.ndarray,
    real_labels: np.ndarray,
    fake_images: np.ndarray,
    fake_labels: np.ndarray,
    *,
    k: int = 3,
    classifier: keras.Model | None = None,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Precision and recall of each digit's images (all in [-1, 1]), in the judge's feature space."""
    real_features = judge.classifier_features(real_images, classifier)
    fake_features = judge.classifier_features(fake_images, classifier)
    real_labels, fake_labels = np.ravel(real_labels), np.ravel(fake_labels)
    scores = [
        precision_recall(real_features[real_labels == d], fake_features[fake_labels == d], k)
        for d in np.unique(real_labels)
    ]
    return tuple(p for p, _ in scores), tuple(r for _, r in scores)


def digit_halves(labels: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of two disjoint halves of a labelled set, with the same number h of every digit in each.

    h is half the count of the rarest digit. Half A is the reference for precision and recall, half B
    measured against it is the real-vs-real yardstick (k-NN radii depend on set size: compare equals).
    """
    labels = np.ravel(labels)
    rng = np.random.default_rng(seed)
    h = min(np.bincount(labels)) // 2
    own = [rng.permutation(np.flatnonzero(labels == d)) for d in np.unique(labels)]
    return np.concatenate([i[:h] for i in own]), np.concatenate([i[h : 2 * h] for i in own])


def ink_and_slant(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two handwriting features of images in [-1, 1]: ink (mean brightness in [0, 1]) and slant.

    Slant is the shear of the ink: how far its x position moves per row down, weighted by brightness
    (positive: leaning right at the top, like "/" ).
    """
    images = to_display(check_images(images)).astype("float64")
    rows, columns = np.mgrid[0 : images.shape[1], 0 : images.shape[2]]
    weight = images / np.maximum(images.sum(axis=(1, 2), keepdims=True), 1e-12)
    dy = rows - (weight * rows).sum(axis=(1, 2), keepdims=True)
    dx = columns - (weight * columns).sum(axis=(1, 2), keepdims=True)
    slant = -(weight * dx * dy).sum(axis=(1, 2)) / (weight * dy**2).sum(axis=(1, 2))
    return images.mean(axis=(1, 2)), slant


def style_correlations(generator, n: int = 300, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Does one z give one handwriting across digits? Correlations between labels, over n shared z.

    Returns {"ink": C, "slant": C}, each C (labels x labels): entry (a, b) correlates the feature of
    G(z|a) with that of G(z|b) over the same n vectors z. Near 0 off the diagonal: z is no shared style.
    """
    classes = num_classes_of(generator)
    z = np.tile(noise(n, latent_dim_of(generator), seed=seed), (classes, 1))
    images = generate_from(generator, z, np.repeat(np.arange(classes), n))
    ink, slant = ink_and_slant(images)
    return {"ink": np.corrcoef(ink.reshape(classes, n)), "slant": np.corrcoef(slant.reshape(classes, n))}


@dataclass(frozen=True)
class RowDistances:
    """How distinct the rows of a digit grid are, over the same n noise vectors (pixels in [0, 1]).

    `closest[d]`: mean |G(z|d) - G(z|d')| to the closest other label d' = `closest_label[d]`;
    `spread[d]`: mean |G(z|d) - G(z'|d)| over pairs of different z. Small values mean collapse.
    """

    closest: np.ndarray
    closest_label: np.ndarray
    spread: np.ndarray

    def groups(self, threshold: float) -> list[tuple[int, ...]]:
        """The labels, each linked to its closest label when the two are closer than `threshold`."""
        groups = {d: {d} for d in range(len(self.closest))}
        for d, (distance, other) in enumerate(zip(self.closest, self.closest_label, strict=True)):
            if distance < threshold:
                merged = groups[d] | groups[int(other)]
                groups.update({member: merged for member in merged})
        return sorted({tuple(sorted(g)) for g in groups.values()})


def row_distances(generator: keras.Model, *, n: int = 8, seed: int = 0) -> RowDistances:
    """Distances between and within the rows of `sampling.digit_rows(generator, n=n, seed=seed)`."""
    n = check_positive("n", n)
    if n < 2:
        raise ValueError(f"n must be at least 2 to measure the spread within a row; got {n}")
    rows = to_display(digit_rows(generator, n=n, seed=seed))
    rows = rows.reshape(len(rows), n, -1)
    between = np.abs(rows[:, None] - rows[None, :]).mean(axis=(2, 3)) + np.diag(np.full(len(rows), np.inf))
    within = np.abs(rows[:, :, None] - rows[:, None, :]).mean(axis=(1, 2, 3)) * n / (n - 1)  # diagonal is 0
    return RowDistances(between.min(axis=1), between.argmin(axis=1), within)


@dataclass(frozen=True)
class Evaluation:
    """Everything `evaluate` measures, printable as the table `cgan evaluate` shows."""

    accuracy: ConditionalAccuracy
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    precision_real: tuple[float, ...]
    recall_real: tuple[float, ...]
    frechet_distance: float
    frechet_distance_real: float
    judge_accuracy: float

    def __str__(self) -> str:
        rows = ["digit  accuracy  precision  recall  precision(real)  recall(real)"]
        for d, a in enumerate(self.accuracy.per_digit):
            rows.append(
                f"{d:>5}  {a:>8.1%}  {self.precision[d]:>9.2f}  {self.recall[d]:>6.2f}  "
                f"{self.precision_real[d]:>15.2f}  {self.recall_real[d]:>12.2f}"
            )
        n = self.accuracy.n_per_digit
        return "\n".join(
            rows
            + [
                f"overall conditional accuracy: {self.accuracy.overall:.1%} ({n} per digit; "
                f"the judge reads {self.judge_accuracy:.1%} of real held-out digits right)",
                f"Fréchet distance, generated vs real: {self.frechet_distance:.2f} "
                f"(real vs real: {self.frechet_distance_real:.2f})",
                f"precision {np.mean(self.precision):.2f}, recall {np.mean(self.recall):.2f} "
                f"(real vs real: {np.mean(self.precision_real):.2f}, {np.mean(self.recall_real):.2f}; "
                "means over the digits, k = 3)",
            ]
        )


def evaluate(
    generator,
    n_per_digit: int = 100,
    *,
    seed: int = 0,
    data: str = "auto",
    classifier: keras.Model | None = None,
) -> Evaluation:
    """Conditional accuracy, per-digit precision and recall, Fréchet distance against held-out digits.

    The held-out images are split in two disjoint halves A and B; the generator's distance is taken
    from n generated images to A with n = |B|, so "real vs real" (B to A) is its fair yardstick.
    Precision and recall, per digit, work the same way with `digit_halves`: generated images of each
    digit, as many as half B holds, against half A.
    """
    n_per_digit = check_positive("n_per_digit", n_per_digit)
    real, labels = judge.held_out_digits(data)
    generated, digits = _generated(generator, n_per_digit * num_classes_of(generator), seed)
    ref, other = digit_halves(labels, seed=seed)
    fakes, fake_digits = _generated(generator, len(other), seed)
    precision, recall = per_digit_precision_recall(
        real[ref], labels[ref], fakes, fake_digits, classifier=classifier
    )
    precision_real, recall_real = per_digit_precision_recall(
        real[ref], labels[ref], real[other], labels[other], classifier=classifier
    )
    half_a, half_b = real_halves(real, seed=seed)
    features_a = judge.classifier_features(half_a, classifier)  # the reference for both distances
    features_fake = judge.classifier_features(_generated(generator, len(half_b), seed)[0], classifier)
    features_real = judge.classifier_features(half_b, classifier)
    return Evaluation(
        accuracy=_accuracy(generated, digits, classifier),
        precision=precision,
        recall=recall,
        precision_real=precision_real,
        recall_real=recall_real,
        frechet_distance=features_frechet_distance(features_fake, features_a),
        frechet_distance_real=features_frechet_distance(features_real, features_a),
        judge_accuracy=float(np.mean(judge.predict_digits(real, classifier) == labels)),
    )


def time_to_quality() -> list[dict[str, str]]:
    """The rows of the time-to-quality study (scripts/time_to_quality.py), shipped with the package.

    Read through the package, not the working folder, so chapter 7 runs anywhere (Colab runs
    notebooks in an empty /content).
    """
    with resources.files("cgan_lib").joinpath("results", "time_to_quality.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class TrainingRecord:
    """The shipped generator's 20,000-iteration run, recorded by scripts/training_record.py.

    `frames`: (iteration, images (10, 8, 28, 28) in [-1, 1]) with the same noise throughout, as
    `TrainingRun.frames`; `history`: one dict per 10 iterations with d_loss, g_loss, d_real (mean
    D(x|y)) and d_fake (mean D(G(z|y)|y)), as `TrainingRun.history`.
    """

    frames: list[tuple[int, np.ndarray]]
    history: list[dict]
    seconds: float
    reproduces_shipped_generator: bool
    final_scores: dict[str, float]  # the run's final generator: accuracy, frechet_distance, recall

    @property
    def iterations(self) -> int:
        return self.history[-1]["iteration"]


def training_record() -> TrainingRecord:
    """Read the record shipped with the package (through the package, so it works in any folder)."""
    with resources.files("cgan_lib").joinpath("results", "training_record.npz").open("rb") as f:
        saved = dict(np.load(f))
    frames = from_display(saved["frames"].astype("float32") / 255.0)  # stored as 8-bit pictures
    history = [
        {"iteration": int(step), **{k: float(saved[k][i]) for k in LOGGED}}
        for i, step in enumerate(saved["iterations"])
    ]
    return TrainingRecord(
        frames=[(int(step), images) for step, images in zip(saved["frame_iterations"], frames, strict=True)],
        history=history,
        seconds=float(saved["seconds"]),
        reproduces_shipped_generator=bool(saved["reproduces_shipped_generator"]),
        final_scores={k: float(saved[f"final_{k}"]) for k in ("accuracy", "frechet_distance", "recall")},
    )
