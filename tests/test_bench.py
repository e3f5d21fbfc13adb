"""The benchmark: its arithmetic, and one short real run of every variant in turn."""

import os

import numpy as np
import pytest

from cgan_lib import bench

G_DENSE = [(100, 256), (256, 512), (512, 1024), (1024, 784)]
D_DENSE = [(784, 512), (512, 512), (512, 512), (512, 1)]


def test_flops_per_iteration_counts_the_tutorials_dense_layers():
    g = sum(a * b for a, b in G_DENSE)
    d = sum(a * b for a, b in D_DENSE)
    # G: forward for D's fakes, then forward + backward in its own step; D: 3 + 3 + 2 forwards' worth.
    assert bench.flops_per_iteration(32) == 2 * 32 * (4 * g + 8 * d)
    assert bench.flops_per_iteration(256) == 8 * bench.flops_per_iteration(32)


def test_matmul_shapes_are_forward_input_and_weight_gradients_of_each_layer():
    shapes = bench.matmul_shapes(32)
    expected = [(32, 100, 256, 2), (32, 256, 100, 1), (100, 32, 256, 1)]  # G's first layer
    expected_d = [(32, 784, 512, 3), (32, 512, 784, 3), (784, 32, 512, 2)]  # D's first layer
    assert shapes[:3] == expected and shapes[12:15] == expected_d
    assert len(shapes) == 3 * (len(G_DENSE) + len(D_DENSE))


def test_adam_bytes_are_seven_fp32_arrays_per_trainable_weight_per_update():
    g_trainable = 1_494_520 - 2 * (256 + 512 + 1024)  # BatchNorm's moving mean and variance are not trained
    d_trainable = 935_585
    assert bench.trainable_sizes() == (g_trainable, d_trainable)
    assert bench.adam_bytes() == 7 * 4 * (2 * d_trainable + g_trainable)
    assert 93e6 < bench.adam_bytes() < 95e6


def test_roofline_charges_adams_least_traffic_at_the_bandwidth_of_xlas_three_pass_adam():
    assert bench.adam_measured_bytes() == 10 * 4 * (2 * 935_585 + bench.trainable_sizes()[0])
    matmul, adam = bench.roofline_seconds(0.008, 0.004)
    assert matmul == 0.008
    assert abs(adam - 0.004 * 7 / 10) < 1e-12  # 7 arrays' worth of the 10 the timed pass moved


@pytest.mark.parametrize("m, k, n", [(3, 5, 7), (7, 5, 3)])
@pytest.mark.parametrize("transpose_left", [False, True])
def test_product_loop_offsets_the_smaller_operand_so_the_weight_like_one_stays(m, k, n, transpose_left):
    run, repeats = bench._product_loop(m, k, n, transpose_left)
    rng = np.random.default_rng(0)  # the loop's own operands
    a, b = rng.normal(size=(k, m) if transpose_left else (m, k)), rng.normal(size=(k, n))
    a = a.T if transpose_left else a  # stored transposed, multiplied as (m, k)
    last = repeats - 1  # fori_loop returns the last turn's product
    expected = (a + last) @ b if m <= n else a @ (b + last)
    np.testing.assert_allclose(np.asarray(run()), expected, rtol=1e-4)
    assert bench.product_seconds(run, repeats, 0.05) > 0


def test_product_layouts_are_both_storages_of_the_left_operand_for_the_product_and_its_transpose():
    assert bench.product_layouts(32, 512, 784) == [
        (32, 512, 784, False),
        (32, 512, 784, True),
        (784, 512, 32, False),  # C^T = B^T A^T, as models.Dense computes input gradients
        (784, 512, 32, True),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 512, 784), "m must be a positive integer; got 0"),
        ((32, 512, 784, -1.0), "trial must be a positive number; got -1.0"),
    ],
)
def test_fastest_product_loop_refuses_bad_sizes_and_trial_times_in_one_line(args, message):
    with pytest.raises(ValueError, match=message):
        bench.fastest_product_loop(*args)


def test_fastest_product_loop_keeps_the_layout_that_timed_fastest(monkeypatch):
    built = []

    def fake_loop(m, k, n, transpose_left=False):
        built.append((m, k, n, transpose_left))
        return (lambda: None), len(built)  # "repeats" numbers the layouts in the order built

    seconds = {1: 3.0, 2: 1.0, 3: 2.0, 4: 5.0}  # the second layout is the fastest
    monkeypatch.setattr(bench, "_product_loop", fake_loop)
    monkeypatch.setattr(bench, "product_seconds", lambda run, repeats, trial: seconds[repeats])
    run, repeats = bench.fastest_product_loop(32, 512, 784)
    assert built == bench.product_layouts(32, 512, 784) and repeats == 2


def test_product_loops_of_every_shape_build_without_tensorflows_retracing_warning(caplog):
    with caplog.at_level("WARNING", logger="tensorflow"):
        for shape in list(bench.product_counts(32))[:7]:
            bench._product_loop(*shape)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_keras_layers_variant_runs_keras_own_dense_and_dropout_and_trains():
    import keras
    import numpy as np

    from cgan_lib.data import load_mnist
    from cgan_lib.models import build_discriminator, build_generator

    images, labels = load_mnist("bundled", verbose=False)
    gan = bench.KerasLayersGAN(build_generator(), build_discriminator(), images, labels)
    gan.compile(jit_compile=True)
    layers = [layer for model in (gan.generator, gan.discriminator) for layer in model._flatten_layers()]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    dropout = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    assert len(dense) == 8 and len(dropout) == 2
    assert all(layer.call.__func__ is keras.layers.Dense.call for layer in dense)
    assert all(layer.call.__func__ is keras.layers.Dropout.call for layer in dropout)
    before = gan.generator.weights[1].numpy()
    gan.fit(bench.iteration_counts(10, 5), verbose=0, shuffle=False)
    assert not np.array_equal(before, gan.generator.weights[1].numpy())  # it trained


def test_pair_shares_pair_each_loop_timing_with_the_parts_timed_after_it():
    adam = 0.004 * bench.adam_bytes() / bench.adam_measured_bytes()  # least traffic at the pass's rate
    shares = bench.pair_shares([100.0, 50.0], [0.006, 0.012], [0.004, 0.004])
    assert shares == pytest.approx([100 * (0.006 + adam), 50 * (0.012 + adam)])
    with pytest.raises(ValueError):  # a loop timing without its parts is not a pair
        bench.pair_shares([100.0], [0.006, 0.012], [0.004])


def test_time_in_pairs_times_the_loop_then_the_parts_in_turns():
    calls = []

    def timer(name):
        return lambda seconds: calls.append((name, seconds)) or len(calls)

    loop, products, adam = (timer(name) for name in ("loop", "products", "adam"))
    assert bench.time_in_pairs(loop, products, adam, pairs=2, seconds=1.0) == ([1, 4], [2, 5], [3, 6])
    pair = [("loop", 1.0), ("products", 1.0), ("adam", 0.25)]
    assert calls == pair + pair
    with pytest.raises(ValueError, match="pairs must be a positive integer; got 0"):
        bench.time_in_pairs(loop, products, adam, pairs=0, seconds=1.0)
    with pytest.raises(ValueError, match="seconds must be a positive number; got -1"):
        bench.time_in_pairs(loop, products, adam, pairs=2, seconds=-1)


def test_short_benchmark_times_every_variant_and_prints_ratios(capsys):
    results = bench.run_benchmark(seconds=1.0, rounds=2, batch_sizes=(32,))
    variants = ("library: train_step, no XLA", "library: train_step, XLA", bench.LIBRARY, bench.KERAS_LAYERS)
    variants = (*variants, "roofline")
    names = (bench.TUTORIAL, *variants)
    assert set(results) == {f"{name} @ 32" for name in names}
    assert all(speed > 0 for speed in results.values())
    out = capsys.readouterr().out
    assert "vs tutorial" in out and "1.0x" in out and "roofline:" in out and "20,000 iterations" in out
    assert "94 MB" in out and "GB/s" in out and "the median of 6 pairs" in out
    assert f"XLA flags: {os.environ['XLA_FLAGS']}" in out  # what the loop ran with (cgan_lib's flag here)
