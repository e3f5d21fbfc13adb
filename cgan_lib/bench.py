"""`cgan bench`: the tutorial loop and the library loop side by side: one process, same data and model.

Machines drift (other tenants, clock changes), so the variants take turns for several rounds and
each reports its median round: a slow minute slows every variant alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from cgan_lib.data import load_mnist
from cgan_lib.models import build_discriminator, build_generator
from cgan_lib.training import ConditionalGAN, call_numbers
from cgan_lib.tutorial_loop import TutorialLoop

TUTORIAL = "tutorial: predict + 3 x train_on_batch"
LIBRARY = "library: XLA, 10 iterations per call"
ROW = "{:40} {:>7} {:>13} {:>10} {:>8} {:>11}"


def dense_kernels(model: keras.Model) -> list[tuple[int, int]]:
    """(inputs, units) of each Dense layer: all but a sliver of the model's arithmetic."""
    return [tuple(w.shape) for w in model.trainable_weights if "dense" in w.path and w.ndim == 2]


def flops_per_iteration(batch_size: int) -> int:
    """FLOPs of one iteration: G forward for D's fakes; D forward+backward twice; G step through D.

    A backward pass costs two forwards (input and weight gradients); in G's step D needs only the
    input gradient, so D costs forward + one.
    """
    g, d = (sum(a * b for a, b in dense_kernels(m)) for m in (build_generator(), build_discriminator()))
    return 2 * batch_size * (g * (1 + 3) + d * (3 + 3 + 2))


def _time(step: Callable[[], int], seconds: float) -> float:
    """Run `step()` (returns iterations done) for about `seconds`; iterations per second."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step()
    return done / (time.perf_counter() - start)


def _tutorial(images, labels, batch_size: int) -> Callable[[float], float]:
    keras.utils.set_random_seed(0)
    loop = TutorialLoop(build_generator(), build_discriminator())
    for _ in range(3):  # warm-up: trace the Keras train functions
        loop.train_iteration(images, labels, batch_size)
    return lambda seconds: _time(lambda: loop.train_iteration(images, labels, batch_size) and 1, seconds)


def _library(images, labels, batch_size: int, *, jit: bool, per_call: int) -> Callable[[float], float]:
    """Time whole `fit` calls, as `train` runs them (a `fit` call has fixed costs of its own)."""
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
    speed = [0.0]

    def fit(calls: int) -> float:
        start = time.perf_counter()
        gan.fit(call_numbers(calls), verbose=0, shuffle=False)
        speed[0] = calls * per_call / (time.perf_counter() - start)
        return speed[0]

    fit(2)  # warm-up: compile
    fit(max(1, 20 // per_call))
    return lambda seconds: fit(max(2, round(speed[0] * seconds / per_call)))


def _matmul_ceiling(batch_size: int, repeats: int = 50) -> Callable[[float], float]:
    """GFLOP/s of XLA doing only the loop's dense matrix products (G's then D's shapes, same batch).

    They run chained, each on the previous one's output, `repeats` times in one compiled call so
    that nothing else is timed: a training loop cannot expect its own products to run faster.
    """
    shapes = dense_kernels(build_generator()) + dense_kernels(build_discriminator())
    rng = np.random.default_rng(0)
    kernels = [tf.constant(rng.normal(size=(a, b)) / np.sqrt(a), tf.float32) for a, b in shapes]
    start = tf.constant(rng.normal(size=(batch_size, shapes[0][0])), tf.float32)

    def chain(i, x):
        h = x
        for kernel in kernels:
            h = h @ kernel
        return x + 1e-3 * h  # D's (batch, 1) score feeds the next round: nothing can be skipped

    products = tf.function(lambda: keras.ops.fori_loop(0, repeats, chain, start), jit_compile=True)

    def step() -> int:
        products()
        return 1

    step()
    flops = 2 * batch_size * repeats * sum(a * b for a, b in shapes)
    return lambda seconds: _time(step, seconds) * flops / 1e9


def run_benchmark(
    seconds: float = 20.0, *, rounds: int = 5, batch_sizes: tuple[int, ...] = (32, 256), quick: bool = False
) -> dict[str, float]:
    """Print the median iterations/s, samples/s, GFLOP/s and ratio of each variant; return it/s."""
    from cgan_lib.sampling import check_positive

    if not (isinstance(seconds, (int, float)) and seconds > 0):
        raise ValueError(f"seconds must be a positive number; got {seconds!r}")
    rounds = check_positive("rounds", rounds)
    for batch_size in batch_sizes:
        check_positive("batch size", batch_size)
    if quick:
        seconds, rounds = 2.0, 2
    images, labels = load_mnist("auto")
    results: dict[str, float] = {}
    for batch_size in batch_sizes:
        variants = {TUTORIAL: _tutorial(images, labels, batch_size)}
        if batch_size == 32:
            variants["library: train_step, no XLA"] = _library(images, labels, 32, jit=False, per_call=1)
        variants["library: train_step, XLA"] = _library(images, labels, batch_size, jit=True, per_call=1)
        variants[LIBRARY] = _library(images, labels, batch_size, jit=True, per_call=10)
        speeds = {name: [] for name in variants}
        ceiling_measure, ceilings = _matmul_ceiling(batch_size), []
        for _ in range(rounds):
            for name, measure in variants.items():
                speeds[name].append(measure(seconds / rounds))
            ceilings.append(ceiling_measure(seconds / rounds / 4))

        flops = flops_per_iteration(batch_size)
        ceiling = statistics.median(ceilings)
        print(f"\nbatch {batch_size}: {flops / 1e6:,.0f} MFLOP per iteration (dense layers); {rounds} rounds")
        print(ROW.format("iterations/s", "median", "(min-max)", "samples/s", "GFLOP/s", "vs tutorial"))
        base = statistics.median(speeds[TUTORIAL])
        for name, runs in speeds.items():
            speed = results[f"{name} @ {batch_size}"] = statistics.median(runs)
            spread = f"({min(runs):.1f}-{max(runs):.1f})"
            gflops, ratio = f"{speed * flops / 1e9:.1f}", f"{speed / base:.1f}x"
            samples = f"{speed * batch_size:,.0f}"
            print(ROW.format(name, f"{speed:.1f}", spread, samples, gflops, ratio), flush=True)
        best = results[f"{LIBRARY} @ {batch_size}"] * flops / 1e9
        print(
            f"ceiling: XLA's dense matrix products alone (forward shapes) run at {ceiling:.0f} GFLOP/s here; "
            f"the library's loop reaches {best / ceiling:.0%} of it"
        )
        if batch_size == 32:
            print(
                f"20,000 iterations: library {20_000 / results[f'{LIBRARY} @ 32'] / 60:.1f} min, tutorial "
                f"{20_000 / results[f'{TUTORIAL} @ 32'] / 60:.1f} min; the matrix products alone, at the "
                f"ceiling, need {20_000 * flops / ceiling / 1e9 / 60:.1f} min"
            )
    return results
