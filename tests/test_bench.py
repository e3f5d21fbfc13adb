"""The benchmark: its arithmetic, and one short real run of every variant in turn."""

from cgan_lib import bench


def test_flops_per_iteration_counts_the_tutorials_dense_layers():
    g = 100 * 256 + 256 * 512 + 512 * 1024 + 1024 * 784
    d = 784 * 512 + 512 * 512 + 512 * 512 + 512 * 1
    # G: forward for D's fakes, then forward + backward in its own step; D: 3 + 3 + 2 forwards' worth.
    assert bench.flops_per_iteration(32) == 2 * 32 * (4 * g + 8 * d)
    assert bench.flops_per_iteration(256) == 8 * bench.flops_per_iteration(32)


def test_short_benchmark_times_every_variant_and_prints_ratios(capsys):
    results = bench.run_benchmark(seconds=1.0, rounds=2, batch_sizes=(32,))
    assert set(results) == {
        f"{name} @ 32"
        for name in (bench.TUTORIAL, "library: train_step, no XLA", "library: train_step, XLA", bench.LIBRARY)
    }
    assert all(speed > 0 for speed in results.values())
    out = capsys.readouterr().out
    assert "vs tutorial" in out and "1.0x" in out and "ceiling:" in out and "20,000 iterations" in out
