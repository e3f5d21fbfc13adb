"""Keras callbacks for a training run: a progress bar, fixed-noise sample grids, atomic checkpoints."""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras
import numpy as np

from cgan_lib import storage
from cgan_lib.checks import check_positive
from cgan_lib.figures import save_grid
from cgan_lib.sampling import digit_rows


def current_iteration(model) -> int:
    """Iterations done so far (a variable in the compiled model, a plain int in the tutorial loop)."""
    return int(keras.ops.convert_to_numpy(model.iteration))


LOGGED = ("d_loss", "g_loss", "d_real", "d_fake")  # d_real: mean D(x|y); d_fake: mean D(G(z|y)|y)
_SHOWN = {"d_real": "D(x)", "d_fake": "D(G(z))"}


class TrainingProgress(keras.callbacks.Callback):
    """A bar over the whole run with the losses, D's view (D(x), D(G(z))) and iterations per second.

    `history` gets one entry per call: iteration, d_loss, g_loss, d_real, d_fake (when the loop
    reports them; the tutorial's loop reports the losses only) and it/s, counted from the end of the
    first call (which includes compiling); `first_call` is that call's (iterations, seconds).

    verbose=1 draws a live bar; verbose=2 prints one line every `every` iterations (for logs).
    """

    def __init__(self, total: int, *, every: int = 1000, verbose: int = 1):
        super().__init__()
        self.total, self.every, self.verbose = total, every, verbose
        self.history: list[dict] = []
        self.first_call: tuple[int, float] | None = None

    def on_train_begin(self, logs=None):
        self.start_iteration = self.last_line = current_iteration(self.model)
        self.start_time = time.perf_counter()
        names = ["d_loss", "g_loss", "D(x)", "D(G(z))", "it/s"]
        self.bar = keras.utils.Progbar(self.total, stateful_metrics=names, verbose=1)

    def on_train_batch_end(self, batch, logs=None):
        iteration, now = current_iteration(self.model), time.perf_counter()
        if self.first_call is None:
            self.first_call = (iteration - self.start_iteration, now - self.start_time)
        done, seconds = self.first_call
        if iteration - self.start_iteration > done:
            done, seconds = iteration - self.start_iteration - done, now - self.start_time - seconds
        speed = done / seconds
        values = {k: float(logs[k]) for k in LOGGED if k in logs} | {"it/s": speed}
        self.history.append({"iteration": iteration, **values})
        shown = {_SHOWN.get(k, k): v for k, v in values.items()}
        if self.verbose == 1:
            self.bar.update(iteration, list(shown.items()))
        elif self.verbose == 2 and (iteration - self.last_line >= self.every or iteration == self.total):
            self.last_line = iteration
            line = "  ".join(f"{k} {v:.3f}" for k, v in shown.items())
            print(f"iteration {iteration:>6}/{self.total}  {line}", flush=True)


class EveryIterations(keras.callbacks.Callback):
    """Calls `self.fire()` after each training call that passed a multiple of `every` iterations.

    One call of the compiled step runs several iterations, so "iteration % every == 0" could miss.
    """

    def __init__(self, every: int):
        super().__init__()
        self.every = check_positive("every", every)

    def fire(self) -> None:
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        self.last = current_iteration(self.model)

    def on_train_batch_end(self, batch, logs=None):
        iteration = current_iteration(self.model)
        if iteration // self.every > self.last // self.every:
            self.fire()
        self.last = iteration


class SampleGrid(EveryIterations):
    """Every `every` iterations, draw the same noise for each digit and keep the images.

    `frames` is a list of (iteration, images shaped (10, per_digit, 28, 28) in [-1, 1]); with
    `out_dir`, each grid is also saved as a PNG (`figures.save_grid`, a few ms). Fixed noise makes the
    frames a movie of learning.
    """

    def __init__(self, every: int, *, per_digit: int = 8, seed: int = 0, out_dir=None):
        super().__init__(every)
        self.per_digit, self.seed, self.out_dir = per_digit, seed, out_dir
        self.frames: list[tuple[int, np.ndarray]] = []

    def fire(self) -> None:
        iteration = current_iteration(self.model)
        if self.frames and self.frames[-1][0] == iteration:
            return
        rows = digit_rows(self.model.generator, n=self.per_digit, seed=self.seed)
        self.frames.append((iteration, rows))
        if self.out_dir is not None:
            save_grid(rows, Path(self.out_dir) / f"grid_{iteration:06d}.png", f"Iteration {iteration:,}")

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.fire()

    def on_train_end(self, logs=None):
        self.fire()


class Checkpoint(EveryIterations):
    """Save G, D, both optimizers, the iteration and the RNG state every `every` iterations and at the end."""

    def __init__(self, path: str | os.PathLike, every: int):
        super().__init__(every)
        self.path = Path(path)

    def fire(self) -> None:
        storage.save_atomically(self.model, self.path)

    def on_train_end(self, logs=None):
        self.fire()
