"""Training: the tutorial's iterations, several per Keras train step, compiled by XLA, resumable.

Words: an *iteration* is one pass of the tutorial's loop (D on reals, D on fakes, G through D); a
*call* is one Keras train step (one `train_step`), which runs up to `iterations_per_call` iterations.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from cgan_lib import storage
from cgan_lib.callbacks import LOGGED, Checkpoint, SampleGrid, TrainingProgress, current_iteration
from cgan_lib.checks import check_choice, check_positive
from cgan_lib.data import load_mnist, resolve_data
from cgan_lib.fast_layers import DROPOUT_ALGORITHM, stateless_seed, use_fast_calls
from cgan_lib.models import adam, build_discriminator, build_generator, latent_dim_of, num_classes_of
from cgan_lib.tutorial_loop import TutorialLoop

CHECKPOINT = "checkpoint.weights.h5"
RUN_CONFIG = "run.json"
GENERATOR = "generator.weights.h5"
LOOPS = ("library", "tutorial")


def apply_gradients(optimizer: keras.optimizers.Optimizer, gradients: list, weights: list) -> None:
    """One optimizer step, with every gradient dense. An embedding's gradient comes as one row per
    example, and Keras 3's Adam squares such a gradient row by row: a label drawn k times in a batch
    would add the sum of k squares to Adam's second moment instead of the square of their sum."""
    dense = [tf.convert_to_tensor(g) for g in gradients]
    optimizer.apply_gradients(zip(dense, weights, strict=True))


class ConditionalGAN(keras.Model):
    """G and D trained together. One `train_iteration` is one iteration of the tutorial's loop:

    D learns "real" on a batch of real (image, label) pairs and "fake" on G's images for the same
    labels; then G learns, through D, to make D say "real" for freshly sampled labels.
    Like the tutorial, each batch is drawn at random (with replacement) from the training images,
    here inside the compiled step, so a whole iteration runs as one XLA program. One `train_step`
    runs several iterations in a loop inside that program (fewer trips back to Python): as many as
    the element of the data set `fit` gives it (see `iteration_counts`).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        seed: int = 0,
        batch_size: int = 32,
        num_classes: int | None = None,
    ):
        super().__init__(name="conditional_gan")
        use_fast_calls(generator)  # the same numbers, faster under XLA (fast_layers)
        use_fast_calls(discriminator)
        self.generator = generator
        self.discriminator = discriminator
        self.batch_size = batch_size
        self.latent_dim = latent_dim_of(generator)
        # Any G(z, y) and D(x, y) will do; only the library's own say how many labels they take.
        self.num_classes = num_classes or num_classes_of(generator)
        self.images = tf.constant(images)
        self.labels = tf.constant(np.reshape(labels, (-1, 1)).astype("int32"))
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Kept as attributes so that checkpoints save every RNG state (ours and Dropout's) too.
        self.rng_states = [self.seed_generator.state] + [
            v for v in discriminator.variables + generator.variables if v.name == "seed_generator_state"
        ]
        self.iteration = keras.Variable(0, dtype="int64", trainable=False, name="iteration")
        self.built = True  # G and D are built; this wrapper has no weights of its own

    def compile(self, d_optimizer=None, g_optimizer=None, *, jit_compile=True, **kwargs):
        """Adam(2e-4, beta_1=0.5) for each network, as in the tutorial; BCE on D's probabilities."""
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        self.d_optimizer = d_optimizer or adam()
        self.g_optimizer = g_optimizer or adam()
        self.bce = keras.losses.BinaryCrossentropy()
        # Built now, before tracing, so that XLA sees every variable and checkpoints can load.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # The draws below are Keras' own (`keras.random.randint`, `normal`) with the algorithm named:
    # TensorFlow's default, "auto_select", is Philox here too, so the numbers are the same, but named,
    # XLA derives the Philox key once instead of inside the loop over every number (`cgan bench`).
    def _randint(self, shape, maxval):
        seed = stateless_seed(self.seed_generator)
        return tf.random.stateless_uniform(shape, seed, 0, maxval, dtype="int32", alg="philox")

    def _random_labels(self):
        return self._randint((self.batch_size, 1), self.num_classes)

    def _real_batch(self):
        index = self._randint((self.batch_size,), ops.shape(self.labels)[0])
        return ops.take(self.images, index, axis=0), ops.take(self.labels, index, axis=0)

    def _noise(self):
        seed = stateless_seed(self.seed_generator)
        return tf.random.stateless_normal((self.batch_size, self.latent_dim), seed, alg="philox")

    def _train_discriminator(self, images, labels, target: float):
        """One step of D towards `target`; returns the loss and D's mean "real" probability before it."""
        with tf.GradientTape() as tape:
            p_real = self.discriminator([images, labels], training=True)
            loss = self.bce(ops.full_like(p_real, target), p_real)
        weights = self.discriminator.trainable_variables
        apply_gradients(self.d_optimizer, tape.gradient(loss, weights), weights)
        return loss, ops.mean(p_real)

    def _train_generator(self, z, labels):
        with tf.GradientTape() as tape:
            fake_images = self.generator([z, labels], training=True)
            p_real = self.discriminator([fake_images, labels], training=True)
            loss = self.bce(ops.ones_like(p_real), p_real)  # G wants D to say "real"
        weights = self.generator.trainable_variables  # only G moves; D is left untouched
        apply_gradients(self.g_optimizer, tape.gradient(loss, weights), weights)
        return loss

    def train_iteration(self):
        """One iteration of the tutorial's loop: D on reals, D on fakes, then G through D.

        Returns d_loss, g_loss and D's view: its mean output D(x|y) on the real batch and
        D(G(z|y)|y) on G's batch, each read as D trains on it (measured, never trained on).
        """
        images, labels = self._real_batch()
        z = self._noise()
        fake_images = self.generator([z, labels], training=True)
        loss_on_real, d_real = self._train_discriminator(images, labels, 1.0)
        loss_on_fake, d_fake = self._train_discriminator(fake_images, labels, 0.0)
        d_loss = 0.5 * (loss_on_real + loss_on_fake)
        g_loss = self._train_generator(z, self._random_labels())
        self.iteration.assign_add(1)
        return d_loss, g_loss, d_real, d_fake

    def train_step(self, data):
        """`data` is how many iterations this call runs (the batches are drawn in train_iteration)."""
        with _dropout_drawn_with("threefry" if self.jit_compile else DROPOUT_ALGORITHM, self.discriminator):
            latest = ops.fori_loop(
                0, ops.cast(data, "int32"), lambda i, latest: self.train_iteration(), (0.0,) * len(LOGGED)
            )
        return dict(zip(LOGGED, latest, strict=True))  # the latest iteration's, as the tutorial prints


@contextlib.contextmanager
def _dropout_drawn_with(algorithm: str, model: keras.Model):
    """While the step is traced, `model`'s Dropout layers draw with `algorithm` (`fast_layers.dropout_call`):
    ThreeFry is faster under XLA and runs only there; D called anywhere else draws as Keras does."""
    dropouts = [layer for layer in model._flatten_layers() if hasattr(layer, "algorithm")]
    for layer in dropouts:
        layer.algorithm = algorithm
    try:
        yield
    finally:
        for layer in dropouts:
            layer.algorithm = DROPOUT_ALGORITHM


def iteration_counts(iterations: int, per_call: int) -> tf.data.Dataset:
    """What `fit` iterates over: how many iterations each call runs, `per_call` each, the last one fewer
    if `per_call` does not divide `iterations` (one compiled step serves both: the count is an input).

    tf.data's autotuner is switched off: its background thread sleeps for doubling periods and
    `fit` cannot return before it wakes up, which can add as much time as the run itself took.
    """
    iterations, per_call = check_positive("iterations", iterations), check_positive("per_call", per_call)
    full, rest = divmod(iterations, per_call)
    counts = [per_call] * full + ([rest] if rest else [])
    options = tf.data.Options()
    options.autotune.enabled = False
    return tf.data.Dataset.from_tensor_slices(np.array(counts, "int32")).with_options(options)


@dataclass
class TrainingRun:
    """What `train` returns: the trained networks, the loss history and the fixed-noise frames."""

    generator: keras.Model
    discriminator: keras.Model
    iterations: int
    seconds: float
    history: list[dict] = field(default_factory=list)
    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)
    out_dir: Path | None = None
    first_call: tuple[int, float] = (0, 0.0)  # (iterations, seconds) of the call that compiled

    @property
    def iterations_per_second(self) -> float:
        return self.iterations / self.seconds if self.seconds else float("nan")

    @property
    def steady_iterations_per_second(self) -> float:
        """Iterations per second after the first call: what `cgan bench` measures."""
        done, seconds = self.first_call
        return (self.iterations - done) / (self.seconds - seconds) if self.iterations > done else float("nan")


@dataclass(frozen=True)
class Setting:
    """How long to train: the tutorial's full schedule, a shorter one for a CPU, or a quick test one."""

    name: str
    iterations: int
    data: str


FULL = Setting("full", 20_000, "auto")
CPU = Setting("cpu", 2_000, "auto")
QUICK = Setting("quick", 300, "auto")


def choose_setting(gpu: bool | None = None, environ: dict | None = None) -> Setting:
    """FULL on a GPU (Colab) or with CGAN_FULL=1; CPU without a GPU; QUICK with CGAN_QUICK=1 (tests)."""
    environ = os.environ if environ is None else environ
    if environ.get("CGAN_QUICK") == "1":
        return QUICK
    if environ.get("CGAN_FULL") == "1":
        return FULL
    if gpu is None:
        gpu = device_kind() == "GPU"
    return FULL if gpu else CPU


@dataclass(frozen=True)
class LoopSettings:
    """How the library's loop runs on a device: compiled by XLA or not, and iterations per call."""

    jit_compile: bool
    iterations_per_call: int


def loop_settings(device_kind: str) -> LoopSettings:
    """XLA on every device, and several iterations per call: each call costs milliseconds of Python and
    Keras (`cgan bench`: 1 vs 10 per call), a CPU iteration ~10 ms, a GPU iteration well under one."""
    per_call = {"CPU": 10, "GPU": 100}
    if device_kind not in per_call:
        raise ValueError(f"device kind must be one of {sorted(per_call)}; got {device_kind!r}")
    return LoopSettings(jit_compile=True, iterations_per_call=per_call[device_kind])


def device_kind() -> str:
    """"GPU" when TensorFlow sees one (Colab's T4), else "CPU"."""
    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def _check_config(stored: dict, config: dict, path: Path) -> None:
    different = {k: (stored.get(k), v) for k, v in config.items() if stored.get(k) != v}
    if different:
        shown = ", ".join(f"{k}: {a!r} in the checkpoint, {b!r} now" for k, (a, b) in different.items())
        raise ValueError(f"cannot resume from {path}: the run was made with other settings ({shown})")


def train(
    iterations: int,
    *,
    batch_size: int = 32,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    data: str = "auto",
    conditioning: str = "multiply",
    loop: str = "library",
    every: int = 1000,
    iterations_per_call: int | None = None,
    verbose: int = 1,
    callbacks: list | None = None,
) -> TrainingRun:
    """Train the tutorial's CGAN for `iterations` iterations (in total, when resuming).

    Every `every` iterations it keeps a fixed-noise grid (`TrainingRun.frames`); with `out_dir` also
    as a PNG, with a checkpoint (and one at the end), and the final generator as `generator.weights.h5`.
    `loop="tutorial"` runs the tutorial's own (slow) loop instead, for comparison, through the same
    callbacks. `callbacks`: more Keras callbacks, called after every call of the training step (e.g.
    to measure quality during the run). One call runs `iterations_per_call` iterations (default:
    `loop_settings(device_kind())`); grids and checkpoints are taken after the call that passes each
    multiple of `every`.
    """
    iterations, every = check_positive("iterations", iterations), check_positive("every", every)
    batch_size = check_positive("batch size", batch_size)
    check_choice("loop", loop, LOOPS)
    out = Path(out_dir) if out_dir is not None else None
    if resume and out is None:
        raise ValueError("resume needs the output folder of the run to continue (out_dir)")
    if resume and loop == "tutorial":
        raise ValueError("resume works with the library's loop only, not with loop='tutorial'")
    resolved = resolve_data(data)
    config = dict(batch_size=batch_size, seed=seed, data=resolved, conditioning=conditioning)
    if resume:
        stored = out / RUN_CONFIG
        if not stored.exists():
            raise FileNotFoundError(f"no checkpoint to resume from: {stored} does not exist")
        _check_config(json.loads(stored.read_text()), config, stored)

    images, labels = load_mnist(resolved, verbose=verbose > 0)
    keras.utils.set_random_seed(seed)
    generator = build_generator(conditioning=conditioning)
    discriminator = build_discriminator(conditioning=conditioning)
    grids = SampleGrid(every, seed=seed, out_dir=out)
    progress = TrainingProgress(iterations, verbose=verbose)
    callbacks = [progress, grids, *(callbacks or [])]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    if loop == "tutorial":
        model = TutorialLoop(generator, discriminator, images, labels, seed=seed, batch_size=batch_size)
        per_call = 1  # the tutorial's loop reports after every iteration
    else:
        settings = loop_settings(device_kind())
        model = ConditionalGAN(generator, discriminator, images, labels, seed=seed, batch_size=batch_size)
        model.compile(jit_compile=settings.jit_compile)
        per_call = iterations_per_call or settings.iterations_per_call
        if resume:
            storage.load_weights(model, out / CHECKPOINT, "a checkpoint of this run")
        elif out is not None:
            (out / RUN_CONFIG).write_text(json.dumps(config, indent=2))
        if out is not None:
            callbacks.append(Checkpoint(out / CHECKPOINT, every))

    start = current_iteration(model)
    begin = time.perf_counter()
    if start < iterations:
        counts = iteration_counts(iterations - start, per_call)
        model.fit(counts, verbose=0, shuffle=False, callbacks=callbacks)
    seconds = time.perf_counter() - begin
    if verbose == 1:
        print()
    if out is not None:
        storage.save_atomically(generator, out / GENERATOR)
    return TrainingRun(
        generator,
        discriminator,
        current_iteration(model) - start,
        seconds,
        progress.history,
        grids.frames,
        out,
        progress.first_call or (0, 0.0),
    )
