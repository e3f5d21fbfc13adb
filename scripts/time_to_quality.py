"""Time to quality: how good is the generator after how many seconds, with the fast and the tutorial loop?

One training run per loop. A callback measures conditional accuracy and Fréchet distance when the run
passes each checkpoint; the time spent measuring is taken out of the wall time. Writes
cgan_lib/results/time_to_quality.csv after every checkpoint (one row per loop and checkpoint; rows not
reached are kept, with a note saying why) and prints the table at the end. `cpu_seconds` (process
CPU time) is less sensitive than wall time to other jobs sharing the machine.

    nice -n 10 .venv/bin/python scripts/time_to_quality.py [--max-tutorial-iterations 5000] [--loops fast]

With --loops, only those loops run; the rows of the other loops already in the CSV are kept.
"""

from __future__ import annotations  # noqa: I001  (cgan_lib must come before keras)

import argparse
import csv
import functools
import os
import time
from pathlib import Path

import cgan_lib  # noqa: F401  (quiet TensorFlow: before keras)
import keras

from cgan_lib import data as data_lib
from cgan_lib.callbacks import current_iteration
from cgan_lib.evaluation import conditional_accuracy, frechet_distance, real_halves
from cgan_lib.training import train

CHECKPOINTS = (250, 500, 1_000, 2_000, 5_000, 10_000, 20_000)
COLUMNS = ("loop", "iterations", "seconds", "conditional_accuracy", "frechet_distance", "cpu_seconds", "note")
LOOPS = ("fast", "tutorial")
OUT = Path(__file__).resolve().parent.parent / "cgan_lib" / "results" / "time_to_quality.csv"


class QualityProbe(keras.callbacks.Callback):
    """At each checkpoint: the training seconds so far (measuring excluded) and the two quality scores."""

    def __init__(self, loop, checkpoints, reference, *, n_per_digit: int = 100, seed: int = 0, on_row=None):
        super().__init__()
        self.loop, self.pending, self.on_row = loop, sorted(checkpoints), on_row
        self.reference, self.n_per_digit, self.seed = reference, n_per_digit, seed
        self.rows: list[dict] = []

    def on_train_begin(self, logs=None):
        self.begin, self.measuring = time.perf_counter(), 0.0
        self.cpu_begin, self.cpu_measuring = time.process_time(), 0.0

    def on_train_batch_end(self, batch, logs=None):
        step = current_iteration(self.model)
        if self.pending and step >= self.pending[0]:
            while self.pending and step >= self.pending[0]:
                self.pending.pop(0)
            self._measure(step)

    def _measure(self, step: int) -> None:
        seconds = time.perf_counter() - self.begin - self.measuring
        cpu_seconds = time.process_time() - self.cpu_begin - self.cpu_measuring
        start, cpu_start = time.perf_counter(), time.process_time()
        generator = self.model.generator
        accuracy = conditional_accuracy(generator, self.n_per_digit, seed=self.seed).overall
        distance = frechet_distance(generator, self.reference, n=self.n_per_digit * 10, seed=self.seed)
        self.measuring += time.perf_counter() - start
        self.cpu_measuring += time.process_time() - cpu_start
        self.rows.append(
            dict(
                loop=self.loop,
                iterations=step,
                seconds=round(seconds, 1),
                conditional_accuracy=round(accuracy, 4),
                frechet_distance=round(distance, 2),
                cpu_seconds=round(cpu_seconds, 1),
                note="",
            )
        )
        shown = f"{seconds:7.1f} s  accuracy {accuracy:6.1%}  Fréchet {distance:7.2f}"
        print(f"{self.loop:>8} {step:>6,} it  {shown}", flush=True)
        if self.on_row is not None:
            self.on_row(self.rows)


def unreached(loop: str, done: list[dict], budget: int) -> list[dict]:
    """Rows for the checkpoints of `loop` that have no measurement, each with the reason."""
    measured = {row["iterations"] for row in done}
    return [
        dict(
            loop=loop,
            iterations=c,
            note=f"not run: beyond this run's budget of {budget:,} iterations"
            if c > budget
            else "not run: training stopped (or was still running) before this point",
        )
        for c in CHECKPOINTS
        if c not in measured
    ]


def run(loop: str, steps: int, reference, *, seed: int, data: str, on_row=None) -> list[dict]:
    """Train one loop for `steps` iterations and return its checkpoint rows."""
    checkpoints = [c for c in CHECKPOINTS if c <= steps]
    probe = QualityProbe(loop, checkpoints, reference, seed=seed, on_row=on_row)
    train(
        steps,
        seed=seed,
        data=data,
        loop="tutorial" if loop == "tutorial" else "library",
        every=steps,
        verbose=0,
        callbacks=[probe],
    )
    return probe.rows


def write(path: Path, rows: list[dict], loops: list[str]) -> list[dict]:
    """Write `rows`, plus the rows of loops not run now that `path` already holds; return the table."""
    if path.exists():
        with open(path) as f:
            rows = [row for row in csv.DictReader(f) if row["loop"] not in loops] + rows
    rows.sort(key=lambda row: (LOOPS.index(row["loop"]), int(row["iterations"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
    with open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, path)  # atomic: the two loops may run as two processes writing this file
    return rows


def save_loop(path: Path, loop: str, budget: int, done: list[dict]) -> list[dict]:
    """Write the rows of one loop (measured so far, and the rest with a note) into the CSV."""
    return write(path, done + unreached(loop, done, budget), [loop])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tutorial-iterations", type=int, default=5_000)
    parser.add_argument("--max-fast-iterations", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="auto")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--loops", default=",".join(LOOPS), help="which loops to run: fast,tutorial")
    args = parser.parse_args()
    loops = args.loops.split(",")
    if not loops or any(loop not in LOOPS for loop in loops):
        parser.error(f"--loops must name loops from {', '.join(LOOPS)}; got {args.loops!r}")

    if min(args.max_fast_iterations, args.max_tutorial_iterations) < CHECKPOINTS[0]:
        parser.error(f"the iteration budgets must be at least {CHECKPOINTS[0]}")
    real, _ = data_lib.load_mnist(args.data, "test", verbose=False)
    reference = real_halves(real, seed=args.seed)[0]  # the same half `cgan evaluate` compares with
    budgets = {"fast": args.max_fast_iterations, "tutorial": args.max_tutorial_iterations}
    for loop in loops:
        budget = budgets[loop]
        steps = max(c for c in CHECKPOINTS if c <= budget)
        save = functools.partial(save_loop, args.out, loop, budget)
        table = save(run(loop, steps, reference, seed=args.seed, data=args.data, on_row=save))
    print(f"\nwrote {args.out}")
    for row in table:
        print(",".join(str(row.get(c, "")) for c in COLUMNS))


if __name__ == "__main__":
    main()
