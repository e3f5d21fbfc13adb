"""Measuring a generator: does it draw the digit it is asked for, and how close are its images to real ones?

The judge (`cgan_lib.judge`, a CNN trained on real MNIST) reads every generated image.
*Conditional accuracy* is how often the judge reads the digit that was asked for. The *Fréchet
distance* compares the judge's penultimate-layer features of generated and real images (a Gaussian
fitted to each), as TF-GAN's MNIST "classifier FID" does. *Diversity* (mean pairwise L2 distance
between images of one digit) next to the same figure for real images shows mode collapse.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import keras
import numpy as np

from cgan_lib import judge
from cgan_lib.models import latent_dim_of, num_classes_of
from cgan_lib.sampling import check_positive, noise, render


def _generated(generator, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n generated images in [-1, 1] with digits 0, 1, ..., 9, 0, 1, ... and their labels."""
    digits = np.arange(n) % num_classes_of(generator)
    images = render(generator, noise(n, latent_dim_of(generator), seed=seed), digits)
    return judge.to_model_range(images), digits


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


def frechet_distance_between(features_a: np.ndarray, features_b: np.ndarray) -> float:
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


def frechet_distance_of(
    images_a: np.ndarray, images_b: np.ndarray, classifier: keras.Model | None = None
) -> float:
    """Fréchet distance between two sets of images in [-1, 1], in the judge's feature space."""
    return frechet_distance_between(
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
    real = judge.check_model_range(real_images)
    return frechet_distance_of(_generated(generator, n, seed)[0], real, classifier)


def real_halves(images: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint random halves of a set of real images: their distance sets the scale of the score."""
    images = judge.check_model_range(images)
    order = np.random.default_rng(seed).permutation(len(images))
    half = len(images) // 2
    return images[order[:half]], images[order[half : 2 * half]]


def mean_pairwise_distance(images: np.ndarray) -> float:
    """Mean L2 distance between all pairs of images (pixels in [-1, 1]): near 0 means all alike."""
    flat = judge.check_model_range(images).reshape(len(images), -1).astype("float64")
    if len(flat) < 2:
        raise ValueError(f"need at least 2 images to compare; got {len(flat)}")
    squared = np.sum(flat**2, axis=1)
    distances = np.sqrt(np.clip(squared[:, None] + squared[None, :] - 2.0 * flat @ flat.T, 0, None))
    return float(distances[np.triu_indices(len(flat), k=1)].mean())


@dataclass(frozen=True)
class Evaluation:
    """Everything `evaluate` measures, printable as the table `cgan evaluate` shows."""

    accuracy: ConditionalAccuracy
    diversity_generated: tuple[float, ...]
    diversity_real: tuple[float, ...]
    frechet_distance: float
    frechet_distance_real: float
    judge_accuracy: float

    def __str__(self) -> str:
        rows = ["digit  accuracy  diversity generated  diversity real"]
        for d, a in enumerate(self.accuracy.per_digit):
            rows.append(
                f"{d:>5}  {a:>8.1%}  {self.diversity_generated[d]:>19.2f}  {self.diversity_real[d]:>14.2f}"
            )
        n = self.accuracy.n_per_digit
        return "\n".join(
            rows
            + [
                f"overall conditional accuracy: {self.accuracy.overall:.1%} ({n} per digit; "
                f"the judge reads {self.judge_accuracy:.1%} of real held-out digits right)",
                f"Fréchet distance, generated vs real: {self.frechet_distance:.2f} "
                f"(real vs real: {self.frechet_distance_real:.2f})",
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
    """Conditional accuracy, per-digit diversity and Fréchet distance against held-out real digits.

    The held-out images are split in two disjoint halves A and B; the generator's distance is taken
    from n generated images to A with n = |B|, so "real vs real" (B to A) is its fair yardstick.
    """
    n_per_digit = check_positive("n_per_digit", n_per_digit)
    if n_per_digit < 2:
        raise ValueError(f"n_per_digit must be at least 2 to measure diversity; got {n_per_digit}")
    real, labels = judge.held_out_digits(data)
    generated, digits = _generated(generator, n_per_digit * num_classes_of(generator), seed)
    rng = np.random.default_rng(seed)
    diversity_real = []
    for d in range(num_classes_of(generator)):
        own = real[labels == d]
        diversity_real.append(mean_pairwise_distance(own[rng.permutation(len(own))[:n_per_digit]]))
    half_a, half_b = real_halves(real, seed=seed)
    features_a = judge.classifier_features(half_a, classifier)  # the reference for both distances
    features_fake = judge.classifier_features(_generated(generator, len(half_b), seed)[0], classifier)
    features_real = judge.classifier_features(half_b, classifier)
    return Evaluation(
        accuracy=_accuracy(generated, digits, classifier),
        diversity_generated=tuple(
            mean_pairwise_distance(generated[digits == d]) for d in range(len(diversity_real))
        ),
        diversity_real=tuple(diversity_real),
        frechet_distance=frechet_distance_between(features_fake, features_a),
        frechet_distance_real=frechet_distance_between(features_real, features_a),
        judge_accuracy=float(np.mean(judge.predict_digits(real, classifier) == labels)),
    )


def time_to_quality() -> list[dict[str, str]]:
    """The rows of the time-to-quality study (scripts/time_to_quality.py), shipped with the package.

    Read through the package, not the working folder, so chapter 7 runs anywhere (Colab runs
    notebooks in an empty /content).
    """
    with resources.files("cgan_lib").joinpath("results", "time_to_quality.csv").open(newline="") as f:
        return list(csv.DictReader(f))
