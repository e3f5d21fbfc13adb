"""Training: both networks learn, exact resume (even after SIGKILL), bad settings refused."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from cgan_lib import data, fast_layers, models, sampling, training
from cgan_lib.callbacks import Checkpoint, SampleGrid
from cgan_lib.tutorial_loop import TutorialLoop


def weights(model):
    """All of them: `trainable` is toggled in the tutorial loop."""
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def max_change(before, model):
    return max(float(np.abs(a - b).max()) for a, b in zip(before, weights(model), strict=True))


def test_short_run_moves_both_networks_with_finite_losses(short_run):
    keras.utils.set_random_seed(0)  # train() built its models right after seeding with 0
    assert max_change(weights(models.build_generator()), short_run.generator) > 1e-3
    assert max_change(weights(models.build_discriminator()), short_run.discriminator) > 1e-3
    losses = [(h["d_loss"], h["g_loss"]) for h in short_run.history]
    assert short_run.iterations == 300 and np.all(np.isfinite(losses))
    assert [step for step, _ in short_run.frames] == [0, 100, 200, 300]
    assert sorted(p.name for p in short_run.out_dir.glob("*.png")) == [
        f"grid_{s:06d}.png" for s in (0, 100, 200, 300)
    ]


def test_history_records_d_view(short_run):
    """D's mean answers on its real and fake batches: probabilities, and D tells them apart by 300."""
    d_real = np.array([h["d_real"] for h in short_run.history])
    d_fake = np.array([h["d_fake"] for h in short_run.history])
    assert len(d_real) == 30 and np.all((0 <= d_fake) & (d_real <= 1))
    assert d_real[-10:].mean() > d_fake[-10:].mean() + 0.2


def test_grids_and_checkpoints_at_any_period_keep_ten_iterations_per_call(tmp_path):
    run = training.train(45, data="bundled", out_dir=tmp_path, every=15, verbose=0)
    assert [h["iteration"] for h in run.history] == [10, 20, 30, 40, 45]  # one per call; the last runs 5
    assert [step for step, _ in run.frames] == [0, 20, 30, 45]  # the calls that passed 15, 30 and 45
    assert (tmp_path / training.CHECKPOINT).exists()


def test_iteration_counts_give_each_call_its_iterations_with_autotune_off():
    # With autotune on, `fit` waits for the autotuner's next wake-up before returning (seconds, doubling).
    assert training.iteration_counts(30, 10).options().autotune.enabled is False
    assert list(training.iteration_counts(30, 10).as_numpy_iterator()) == [10, 10, 10]
    assert list(training.iteration_counts(25, 10).as_numpy_iterator()) == [10, 10, 5]
    assert list(training.iteration_counts(3, 10).as_numpy_iterator()) == [3]
    with pytest.raises(ValueError, match="iterations must be a positive integer; got 0"):
        training.iteration_counts(0, 10)


def test_a_run_that_ten_does_not_divide_is_the_same_run_with_a_shorter_last_call():
    """One compiled step serves every call: 25 iterations as 10 + 10 + 5 equal 25 calls of one."""
    by_ten = training.train(25, data="bundled", verbose=0)
    by_one = training.train(25, data="bundled", iterations_per_call=1, verbose=0)
    assert by_ten.iterations == by_one.iterations == 25 and len(by_ten.history) == 3
    for a, b in zip(weights(by_ten.generator), weights(by_one.generator), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("every", [0, -5, 2.5])
def test_periodic_callbacks_refuse_a_bad_period(every, tmp_path):
    with pytest.raises(ValueError, match=f"every must be a positive integer; got {every!r}"):
        SampleGrid(every)
    with pytest.raises(ValueError, match=f"every must be a positive integer; got {every!r}"):
        Checkpoint(tmp_path / "c.weights.h5", every)


def test_compiled_step_draws_dropout_with_threefry_and_leaves_keras_default(monkeypatch):
    seen, call = [], fast_layers.dropout_call

    def spy(self, inputs, training=False):
        seen.append(self.algorithm)
        return call(self, inputs, training)

    monkeypatch.setattr(fast_layers, "dropout_call", spy)
    x, y = data.load_mnist("bundled", "test", verbose=False)
    for jit, algorithm in ((True, "threefry"), (False, "auto_select")):
        gan = training.ConditionalGAN(models.build_generator(), models.build_discriminator(), x, y)
        gan.compile(jit_compile=jit)
        seen.clear()
        gan.fit(training.iteration_counts(2, 2), verbose=0)
        assert len(seen) >= 2 and set(seen) == {algorithm}  # XLA's step draws with ThreeFry
        dropouts = [d for d in gan.discriminator._flatten_layers() if isinstance(d, keras.layers.Dropout)]
        assert [layer.algorithm for layer in dropouts] == ["auto_select"] * 2  # D called elsewhere: Keras'


def test_adams_second_moment_of_an_embedding_is_the_square_of_its_summed_gradient():
    """Label 0 twice in the batch: its row's gradient is the sum of both examples' (1+3, 2+4)."""
    embedding = keras.layers.Embedding(3, 2)
    embedding.build((None,))
    optimizer = models.adam()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(embedding(tf.constant([0, 0, 1])) * tf.constant([[1.0, 2], [3, 4], [5, 6]]))
    gradients = tape.gradient(loss, embedding.trainable_variables)
    assert isinstance(gradients[0], tf.IndexedSlices)  # what a training step gets from Keras
    training.apply_gradients(optimizer, gradients, embedding.trainable_variables)
    (velocity,) = (v for v in optimizer.variables if "velocity" in v.path)
    summed = np.array([[4.0, 6], [5, 6], [0, 0]])
    np.testing.assert_allclose(velocity.numpy(), (1 - optimizer.beta_2) * summed**2, rtol=1e-6)


def test_generator_step_leaves_discriminator_untouched():
    x, y = data.load_mnist("bundled", "test", verbose=False)
    gan = training.ConditionalGAN(models.build_generator(), models.build_discriminator(), x, y)
    gan.compile()
    d_before, g_before = weights(gan.discriminator), weights(gan.generator)
    gan._train_generator(keras.ops.convert_to_tensor(sampling.noise(32)), keras.ops.zeros((32, 1), "int32"))
    assert max_change(d_before, gan.discriminator) == 0.0
    assert max_change(g_before, gan.generator) > 0.0


def test_tutorial_loop_on_keras3_freezes_d_unless_fixed():
    x, y = data.load_mnist("bundled", "test", verbose=False)
    for fix, moved in ((False, False), (True, True)):
        loop = TutorialLoop(models.build_generator(), models.build_discriminator(), x, y, keras3_fix=fix)
        d_before, g_before = weights(loop.discriminator), weights(loop.generator)
        for _ in range(3):
            loop.train_iteration()
        assert (max_change(d_before, loop.discriminator) > 0.0) is moved
        assert max_change(g_before, loop.generator) > 0.0


def test_resume_equals_an_uninterrupted_run(short_run, tmp_path):
    training.train(200, data="bundled", out_dir=tmp_path, every=100, verbose=0)
    resumed = training.train(300, data="bundled", out_dir=tmp_path, resume=True, every=100, verbose=0)
    assert resumed.iterations == 100
    np.testing.assert_array_equal(
        sampling.generate(short_run.generator, range(10), n=3, seed=5),
        sampling.generate(resumed.generator, range(10), n=3, seed=5),
    )


def test_sigkill_then_resume_equals_an_uninterrupted_run(short_run, tmp_path):
    """Kill -9 a CLI run that checkpoints every 10 iterations, then resume it to 300."""
    command = [
        sys.executable,
        "-m",
        "cgan_lib",
        "train",
        "--iterations",
        "300",
        "--data",
        "bundled",
        "--out",
        str(tmp_path),
        "--every",
        "10",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / training.CHECKPOINT
    deadline = time.time() + 300
    while not checkpoint.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # somewhere in the middle of the run, quite possibly mid-write
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    resumed = training.train(300, data="bundled", out_dir=tmp_path, resume=True, every=100, verbose=0)
    assert 0 < resumed.iterations < 300
    np.testing.assert_array_equal(
        sampling.generate(short_run.generator, range(10), n=3, seed=5),
        sampling.generate(resumed.generator, range(10), n=3, seed=5),
    )


def test_same_seed_same_digits_other_seed_other_digits(short_run):
    again = training.train(300, data="bundled", every=100, verbose=0)
    other = training.train(300, data="bundled", seed=1, every=100, verbose=0)
    a, b, c = (sampling.generate(r.generator, range(10), n=2) for r in (short_run, again, other))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(iterations=0), ValueError, "iterations must be a positive integer; got 0"),
        (dict(iterations=10, batch_size=-1), ValueError, "batch size must be a positive integer; got -1"),
        (dict(iterations=10, data="mnist"), ValueError, "data must be one of"),
        (dict(iterations=10, every=0), ValueError, "every must be a positive integer; got 0"),
        (dict(iterations=10, loop="fast"), ValueError, "loop must be one of 'library', 'tutorial'; got"),
        (dict(iterations=10, resume=True), ValueError, "resume needs the output folder"),
        (dict(iterations=10, resume=True, out_dir=".", loop="tutorial"), ValueError, "library's loop only"),
    ],
)
def test_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        training.train(**kwargs)


def test_resume_errors(short_run, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        training.train(10, data="bundled", out_dir=tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"other settings \(seed: 0 in the checkpoint, 3 now\)"):
        training.train(400, data="bundled", seed=3, out_dir=short_run.out_dir, resume=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / training.RUN_CONFIG).write_text((short_run.out_dir / training.RUN_CONFIG).read_text())
    models.build_discriminator().save_weights(other / training.CHECKPOINT)
    with pytest.raises(ValueError, match="weights of a checkpoint of this run .*another architecture"):
        training.train(400, data="bundled", out_dir=other, resume=True)
    config = json.loads((short_run.out_dir / training.RUN_CONFIG).read_text())
    assert config == dict(batch_size=32, seed=0, data="bundled", conditioning="multiply")


def test_choose_setting_full_on_gpu_shorter_on_cpu_quick_in_tests():
    assert training.choose_setting(gpu=True, environ={}) == training.FULL
    assert training.choose_setting(gpu=False, environ={}) == training.CPU
    assert training.choose_setting(gpu=True, environ={"CGAN_QUICK": "1"}) == training.QUICK
    assert training.choose_setting(gpu=False, environ={"CGAN_FULL": "1"}) == training.FULL
    assert training.QUICK.iterations < training.CPU.iterations < training.FULL.iterations == 20_000
    assert os.environ.get("CGAN_QUICK") == "1"  # set by the root conftest for tests and notebooks


def test_loop_settings_use_xla_and_more_iterations_per_call_on_a_gpu():
    assert training.loop_settings("CPU") == training.LoopSettings(jit_compile=True, iterations_per_call=10)
    assert training.loop_settings("GPU") == training.LoopSettings(jit_compile=True, iterations_per_call=100)
    with pytest.raises(ValueError, match="device kind must be one of \\['CPU', 'GPU'\\]; got 'TPU'"):
        training.loop_settings("TPU")


def test_speed_after_the_first_call_leaves_out_compiling(short_run):
    done, seconds = short_run.first_call
    assert done == 10 and 0 < seconds < short_run.seconds
    steady = (short_run.iterations - done) / (short_run.seconds - seconds)
    assert short_run.steady_iterations_per_second == steady > short_run.iterations_per_second


def test_the_tutorial_loop_runs_through_the_same_train_with_the_same_callbacks():
    run = training.train(3, data="bundled", loop="tutorial", every=2, verbose=0)
    assert run.iterations == 3 and [h["iteration"] for h in run.history] == [1, 2, 3]
    assert all(np.isfinite([h["d_loss"], h["g_loss"]]).all() for h in run.history)
    assert [step for step, _ in run.frames] == [0, 2, 3]
