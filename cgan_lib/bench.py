"""`cgan bench`: the tutorial loop and the library loop side by side: one process, same data and model."""

from __future__ import annotations

import time

import keras
import numpy as np

from cgan_lib.data import load_mnist
from cgan_lib.models import build_discriminator, build_generator
from cgan_lib.training import ConditionalGAN, call_numbers
from cgan_lib.tutorial_loop import TutorialLoop


def dense_macs(model: keras.Model) -> int:
    """Multiply-adds per sample in a model's Dense layers (all but a sliver of its arithmetic)."""
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights if "dense" in w.path and w.ndim == 2)


def flops_per_iteration(batch_size: int) -> int:
    """FLOPs of one iteration: G forward for D's fakes; D forward+backward twice; G step through D.

    A backward pass costs two forwards (input and weight gradients); in G's step D needs only the
    input gradient, so D costs forward + one.
    """
    g, d = dense_macs(build_generator()), dense_macs(build_discriminator())
    return 2 * batch_size * (g * (1 + 3) + d * (3 + 3 + 2))


def _time(step, seconds: float) -> float:
    """Run `step()` (returns iterations done) for about `seconds`; iterations per second."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step()
    return done / (time.perf_counter() - start)


def _tutorial(images, labels, batch_size: int, seconds: float) -> float:
    keras.utils.set_random_seed(0)
    loop = TutorialLoop(build_generator(), build_discriminator())
    for _ in range(3):  # warm-up: trace the Keras train functions
        loop.train_iteration(images, labels, batch_size)
    return _time(lambda: loop.train_iteration(images, labels, batch_size) and 1, seconds)


def _library(images, labels, batch_size: int, seconds: float, *, jit: bool, per_call: int) -> float:
    """One `fit` over many calls, as `train` does (a `fit` call has fixed costs of its own)."""
    keras.utils.set_random_seed(0)
    gan = ConditionalGAN(
        build_generator(),
        build_discriminator(),
        images,
        labels,
        batch_size=batch_size,
        iterations_per_call=per_call,
    )
    gan.compile(jit_compile=jit)

    def fit(calls: int) -> float:
        start = time.perf_counter()
        gan.fit(call_numbers(calls), verbose=0, shuffle=False)
        return calls * per_call / (time.perf_counter() - start)

    fit(2)  # warm-up: compile
    rough = fit(max(1, 20 // per_call))
    return fit(max(1, int(rough * seconds / per_call)))


def run_benchmark(seconds: float = 20.0, quick: bool = False) -> dict[str, float]:
    """Print iterations/s, samples/s, ratios and achieved GFLOP/s for each variant; return it/s."""
    if quick:
        seconds = 2.0
    images, labels = load_mnist("auto")
    variants = {
        "tutorial: predict + 3 x train_on_batch": lambda b: _tutorial(images, labels, b, seconds),
        "library: train_step, no XLA": lambda b: _library(images, labels, b, seconds, jit=False, per_call=1),
        "library: train_step, XLA": lambda b: _library(images, labels, b, seconds, jit=True, per_call=1),
        "library: XLA, 10 iterations per call": lambda b: _library(
            images, labels, b, seconds, jit=True, per_call=10
        ),
    }
    results: dict[str, float] = {}
    for batch_size in (32, 256):
        flops = flops_per_iteration(batch_size)
        print(f"\nbatch {batch_size}: {flops / 1e6:,.0f} MFLOP per iteration (dense layers)")
        print(f"{'variant':42} {'it/s':>8} {'samples/s':>10} {'GFLOP/s':>8} {'vs tutorial':>12}")
        base = None
        for name, measure in variants.items():
            if batch_size == 256 and "no XLA" in name:
                continue
            speed = measure(batch_size)
            base = base or speed
            results[f"{name} @ {batch_size}"] = speed
            print(
                f"{name:42} {speed:8.1f} {speed * batch_size:10,.0f} {speed * flops / 1e9:8.1f} "
                f"{speed / base:11.1f}x",
                flush=True,
            )
    best = results["library: XLA, 10 iterations per call @ 32"]
    print(
        f"\n20,000 iterations at batch 32: library {20_000 / best / 60:.1f} min, tutorial "
        f"{20_000 / results['tutorial: predict + 3 x train_on_batch @ 32'] / 60:.1f} min"
    )
    return results
