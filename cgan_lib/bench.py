"""`cgan bench`: the tutorial loop and the library loop side by side: one process, same data and model.

Machines drift (other tenants, clock changes), so the variants take turns for several rounds and
each reports its median round: a slow minute slows every variant alike. The loop's share of the
roofline is taken from pairs, the loop timed right before the roofline's parts: within a pair the
machine's speed has had no time to move, and the median pair's share repeats from run to run.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import types
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cgan_lib.checks import check_positive, check_positive_number
from cgan_lib.data import load_mnist
from cgan_lib.models import build_discriminator, build_generator
from cgan_lib.training import ConditionalGAN, iteration_counts
from cgan_lib.tutorial_loop import TutorialLoop

TUTORIAL = "tutorial: predict + 3 x train_on_batch"
LIBRARY = "library: XLA, 10 iterations per call"
KERAS_LAYERS = "same, with Keras' own Dense and Dropout"
ROW = "{:40} {:>7} {:>13} {:>10} {:>8} {:>11}"


def dense_kernels(model: keras.Model) -> list[tuple[int, int]]:
    """(inputs, units) of each Dense layer: all but a sliver of the model's arithmetic."""
    return [tuple(w.shape) for w in model.trainable_weights if "dense" in w.path and w.ndim == 2]


def matmul_shapes(batch_size: int) -> list[tuple[int, int, int, int]]:
    """(m, k, n, times) of each matrix product in one iteration, forward and backward shapes.

    For a Dense layer (inputs a, units b) the forward is (batch, a) @ (a, b), the input gradient
    (batch, b) @ (b, a), the weight gradient (a, batch) @ (batch, b). G runs forward twice (D's fakes,
    its own step) and backward once; D runs forward three times, with input gradients each time
    (the third is how G learns) and weight gradients in its own two steps.
    """
    shapes = []
    times = {build_generator: (2, 1, 1), build_discriminator: (3, 3, 2)}  # forward, input, weight grads
    for build, (forward, inputs, weights) in times.items():
        for a, b in dense_kernels(build()):
            shapes += [(batch_size, a, b, forward), (batch_size, b, a, inputs), (a, batch_size, b, weights)]
    return shapes


def trainable_sizes() -> tuple[int, int]:
    """How many numbers Adam updates in G and in D."""
    models = (build_generator(), build_discriminator())
    return tuple(sum(math.prod(w.shape) for w in m.trainable_weights) for m in models)


def flops_per_iteration(batch_size: int) -> int:
    """FLOPs of one iteration's dense matrix products: 2 m k n for each product of `matmul_shapes`."""
    return sum(2 * m * k * n * times for m, k, n, times in matmul_shapes(batch_size))


def adam_bytes() -> int:
    """Adam's least memory traffic per iteration (fp32): two D updates and one G update, each reading
    weights, gradients and both moments and writing weights and both moments (7 arrays)."""
    g, d = trainable_sizes()
    return 7 * 4 * (2 * d + g)


class KerasLayersGAN(ConditionalGAN):
    """The library's step with Keras' own Dense and Dropout calls in G and D (what the library ran
    before `fast_layers`): what its two calls gain, measured side by side."""

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        for model in (self.generator, self.discriminator):
            for layer in model._flatten_layers():
                for keras_layer in (keras.layers.Dense, keras.layers.Dropout):
                    if isinstance(layer, keras_layer):
                        layer.call = types.MethodType(keras_layer.call, layer)


def _time(step: Callable[[], int], seconds: float) -> float:
    """Run `step()` (returns iterations done) for about `seconds`; iterations per second."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step()
    return done / (time.perf_counter() - start)


def _tutorial(images, labels, batch_size: int) -> Callable[[float], float]:
    keras.utils.set_random_seed(0)
    loop = TutorialLoop(build_generator(), build_discriminator(), images, labels, batch_size=batch_size)
    for _ in range(3):  # warm-up: trace the Keras train functions
        loop.train_iteration()
    return lambda seconds: _time(lambda: loop.train_iteration() and 1, seconds)


def _library(
    images, labels, batch_size: int, *, jit: bool, per_call: int, gan_class=ConditionalGAN
) -> Callable[[float], float]:
    """Time whole `fit` calls, as `train` runs them (a `fit` call has fixed costs of its own).

    `gan_class` lets the benchmark time the same loop built from stock Keras layers.
    """
    keras.utils.set_random_seed(0)
    gan = gan_class(
        build_generator(),
        build_discriminator(),
        images,
        labels,
        batch_size=batch_size,
    )
    gan.compile(jit_compile=jit)
    speed = [0.0]

    def fit(calls: int) -> float:
        start = time.perf_counter()
        gan.fit(iteration_counts(calls * per_call, per_call), verbose=0, shuffle=False)
        speed[0] = calls * per_call / (time.perf_counter() - start)
        return speed[0]

    fit(2)  # warm-up: compile
    fit(max(1, 20 // per_call))
    return lambda seconds: fit(max(2, round(speed[0] * seconds / per_call)))


def _product_loop(m: int, k: int, n: int, transpose_left: bool = False) -> tuple[Callable[[], object], int]:
    """One compiled XLA loop of (m, k) @ (k, n) products, and how many it runs per call.

    With `transpose_left` the left operand is stored as (k, m), as a weight gradient's is (x^T @ g, x
    stored batch first). The small operand is offset by the loop counter, so that XLA can neither hoist
    the product out of the loop nor merge repetitions; a call runs ~500 MFLOP, so that its overhead is
    a sliver.
    """
    rng = np.random.default_rng(0)
    a_shape = (k, m) if transpose_left else (m, k)
    a, b = (tf.constant(rng.normal(size=s), tf.float32) for s in (a_shape, (k, n)))
    repeats = int(np.clip(500e6 // (2 * m * k * n), 50, 5_000))
    small_first = m <= n

    def product(i, _):
        offset = ops.cast(i, "float32")
        left, right = (a + offset, b) if small_first else (a, b + offset)
        return tf.linalg.matmul(left, right, transpose_a=transpose_left)

    # Traced here, not in a call: every shape's loop shares one Python function, and tracing it in
    # calls makes TensorFlow warn about "excessive retracing" after the fifth shape.
    loop = tf.function(lambda: ops.fori_loop(0, repeats, product, tf.zeros((m, n))), jit_compile=True)
    run = loop.get_concrete_function()
    run()
    return run, repeats


def product_seconds(run: Callable[[], object], repeats: int, seconds: float) -> float:
    """Seconds per product of a `_product_loop`, timed for about `seconds`."""
    run()  # untimed: the first call after another program is slower
    return 1 / (repeats * _time(lambda: run() is not None, seconds))


def product_layouts(m: int, k: int, n: int) -> list[tuple[int, int, int, bool]]:
    """The four ways XLA can be handed the product C = A @ B of an (m, k) A and a (k, n) B, as
    `_product_loop` arguments: A stored as is or transposed, and C itself or its transpose B^T @ A^T.

    The loop uses three of them: forward products as they are, weight gradients with the left operand
    transposed, input gradients as the transpose (`fast_layers.dense_call`).
    """
    m, k, n = (check_positive(name, size) for name, size in (("m", m), ("k", k), ("n", n)))
    return [(*shape, transpose) for shape in ((m, k, n), (n, k, m)) for transpose in (False, True)]


def fastest_product_loop(m: int, k: int, n: int, trial: float = 0.05) -> tuple[Callable[[], object], int]:
    """The `_product_loop` of the fastest of `product_layouts`, each timed for about `trial` seconds:
    a ceiling counts each product as fast as this machine does it, however its operands are stored."""
    layouts, trial = product_layouts(m, k, n), check_positive_number("trial", trial)
    loops = [_product_loop(*layout) for layout in layouts]
    return min(loops, key=lambda loop: product_seconds(*loop, trial))


def product_counts(batch_size: int) -> dict[tuple[int, int, int], int]:
    """How many products of each (m, k, n) shape one iteration runs (`matmul_shapes`, merged)."""
    counts: dict[tuple[int, int, int], int] = {}
    for m, k, n, times in matmul_shapes(batch_size):
        counts[m, k, n] = counts.get((m, k, n), 0) + times
    return counts


def _products(batch_size: int) -> Callable[[float], float]:
    """Seconds per iteration of XLA doing only one iteration's matrix products, one shape at a time.

    Each shape is timed alone in its own loop, in the fastest of its layouts (`fastest_product_loop`),
    and its time counted as often as an iteration runs it. Two earlier versions measured too little
    speed: chaining every product through the mean of the previous output serialized them and read each
    output again, and running all products in one XLA loop let XLA start two at a time on two cores,
    slower than the training loop's own products on the AMD EPYC machine. A third timed every product
    with its operands as written, which charged the weight gradients up to 1.6x what the loop spends
    on them (Intel Xeon). Each time the "ceiling", or a part of it, sat below the loop it bounds
    (SPEED.md).
    """
    counts = product_counts(batch_size)
    loops = {shape: (*fastest_product_loop(*shape), times) for shape, times in counts.items()}

    def measure(seconds: float) -> float:
        share = seconds / len(loops)
        return sum(times * product_seconds(run, repeats, share) for run, repeats, times in loops.values())

    return measure


def adam_measured_bytes() -> int:
    """What XLA's Adam (bench's and Keras') moves: three passes per update (m, v, then the weights
    from both), reading 7 arrays and writing 3: 10 fp32 arrays, against `adam_bytes`' least 7."""
    return adam_bytes() * 10 // 7


def _adam_traffic(repeats: int = 10) -> Callable[[float], float]:
    """Seconds per iteration of XLA doing only Adam's arithmetic on arrays shaped like the weights of
    D, D again and G (an iteration's three updates).

    XLA runs it as three passes (`adam_measured_bytes`); `run_benchmark` takes the bandwidth from
    that and charges the least traffic, `adam_bytes`, at it. The arrays have the weights' own shapes:
    one flat array per network ran at a third of the speed on the AMD EPYC machine (SPEED.md).
    """
    rng = np.random.default_rng(0)
    d, g = ([w.shape for w in build().trainable_weights] for build in (build_discriminator, build_generator))
    shapes = d + d + g
    grads = [tf.constant(rng.normal(size=s), tf.float32) for s in shapes]
    start = [tuple(tf.constant(rng.random(s), tf.float32) for _ in range(3)) for s in shapes]

    def update(i, states):
        new = []
        for (w, m, v), grad in zip(states, grads, strict=True):
            m = 0.5 * m + 0.5 * grad
            v = 0.999 * v + 0.001 * grad * grad
            new.append((w - 2e-4 * m / (ops.sqrt(v) + 1e-7), m, v))
        return new

    adam = tf.function(lambda: ops.fori_loop(0, repeats, update, start), jit_compile=True)
    adam()
    return lambda seconds: 1 / (repeats * _time(lambda: adam() is not None, seconds))


def roofline_seconds(matmul: float, adam_pass: float) -> tuple[float, float]:
    """(products, Adam) seconds of the roofline: the products as timed, Adam's least traffic at the
    bandwidth of the timed Adam pass."""
    return matmul, adam_pass * adam_bytes() / adam_measured_bytes()


def pair_shares(loop_speeds: list[float], matmul: list[float], adam_pass: list[float]) -> list[float]:
    """The loop's share of the roofline in each pair: one timing of the loop and the parts timed right
    after it. A pair's loop and parts see the same minute of a machine whose speed drifts."""
    pairs = zip(loop_speeds, matmul, adam_pass, strict=True)
    return [speed * sum(roofline_seconds(m, a)) for speed, m, a in pairs]


def time_in_pairs(
    loop: Callable[[float], float],
    products: Callable[[float], float],
    adam: Callable[[float], float],
    pairs: int,
    seconds: float,
) -> tuple[list[float], list[float], list[float]]:
    """The loop's it/s, the products' and Adam's seconds, `pairs` times in turns: the loop for `seconds`,
    then the products for as long and Adam for a quarter of it (it is short and steady)."""
    pairs, seconds = check_positive("pairs", pairs), check_positive_number("seconds", seconds)
    loop_speeds, matmul, adam_pass = [], [], []
    for _ in range(pairs):
        loop_speeds.append(loop(seconds))
        matmul.append(products(seconds))
        adam_pass.append(adam(seconds / 4))
    return loop_speeds, matmul, adam_pass


def run_benchmark(
    seconds: float = 20.0, *, rounds: int = 5, batch_sizes: tuple[int, ...] = (32, 256), quick: bool = False
) -> dict[str, float]:
    """Print the median iterations/s, samples/s, GFLOP/s and ratio of each variant; return it/s."""
    check_positive_number("seconds", seconds)
    rounds = check_positive("rounds", rounds)
    for batch_size in batch_sizes:
        check_positive("batch size", batch_size)
    if quick:
        seconds, rounds = 2.0, 2
    images, labels = load_mnist("auto")
    flags = os.environ.get("XLA_FLAGS") or "none"
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}; XLA flags: {flags}")
    results: dict[str, float] = {}
    for batch_size in batch_sizes:
        variants = {TUTORIAL: _tutorial(images, labels, batch_size)}
        if batch_size == 32:
            variants["library: train_step, no XLA"] = _library(images, labels, 32, jit=False, per_call=1)
        variants["library: train_step, XLA"] = _library(images, labels, batch_size, jit=True, per_call=1)
        variants[LIBRARY] = _library(images, labels, batch_size, jit=True, per_call=10)
        if batch_size == 32:
            variants[KERAS_LAYERS] = _library(
                images, labels, 32, jit=True, per_call=10, gan_class=KerasLayersGAN
            )
        speeds = {name: [] for name in variants}
        for _ in range(rounds):
            for name, measure in variants.items():
                speeds[name].append(measure(seconds / rounds))
        pair_seconds = seconds / rounds / 4
        parts = _products(batch_size), _adam_traffic()
        paired = time_in_pairs(variants[LIBRARY], *parts, pairs=3 * rounds, seconds=pair_seconds)

        flops, traffic = flops_per_iteration(batch_size), adam_bytes()
        matmul, adam = roofline_seconds(*map(statistics.median, paired[1:]))
        print(f"\nbatch {batch_size}: {flops / 1e6:,.0f} MFLOP per iteration (dense layers); {rounds} rounds")
        print(ROW.format("iterations/s", "median", "(min-max)", "samples/s", "GFLOP/s", "vs tutorial"))
        base = statistics.median(speeds[TUTORIAL])
        for name, runs in speeds.items():
            speed = results[f"{name} @ {batch_size}"] = statistics.median(runs)
            spread = f"({min(runs):.1f}-{max(runs):.1f})"
            gflops, ratio = f"{speed * flops / 1e9:.1f}", f"{speed / base:.1f}x"
            samples = f"{speed * batch_size:,.0f}"
            print(ROW.format(name, f"{speed:.1f}", spread, samples, gflops, ratio), flush=True)
        roofline = results[f"roofline @ {batch_size}"] = 1 / (matmul + adam)
        print(
            f"roofline: matrix products alone (forward and backward shapes) {matmul * 1e3:.2f} ms "
            f"at {flops / matmul / 1e9:.0f} GFLOP/s + Adam ({traffic / 1e6:.0f} MB) {adam * 1e3:.2f} ms "
            f"at {traffic / adam / 1e9:.0f} GB/s = {roofline:.1f} it/s"
        )
        shares = pair_shares(*paired)
        low, _, high = statistics.quantiles(shares, n=4)
        print(
            f"the library's loop reaches {statistics.median(shares):.0%} of it: the median of {len(shares)} "
            f"pairs, each the loop for {pair_seconds:.2g} s ({statistics.median(paired[0]):.1f} it/s) "
            f"and the parts right after it (half of the pairs {low:.0%} to {high:.0%}, "
            f"all {min(shares):.0%} to {max(shares):.0%})"
        )
        if batch_size == 32:
            print(
                f"20,000 iterations: library {20_000 / results[f'{LIBRARY} @ 32'] / 60:.1f} min, tutorial "
                f"{20_000 / results[f'{TUTORIAL} @ 32'] / 60:.1f} min, the roofline "
                f"{20_000 / roofline / 60:.1f} min"
            )
    return results
