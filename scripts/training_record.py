"""The shipped generator's training, recorded: fixed-noise frames and D's view, for chapters 5 and 6.

Re-runs exactly the run that made cgan_lib/weights/generator_multiply.weights.h5
(`cgan train --iterations 20000 --seed 0 --data bundled`), keeping a sample grid every 100 iterations up
to 1,000 and every 500 after that, and the whole history (losses, mean D(x|y), mean D(G(z|y)|y)).
The frames change nothing in training (they only run G in inference mode), so the final generator
must equal the shipped one weight for weight; the script checks that and stores the answer.

    nice -n 5 .venv/bin/python scripts/training_record.py --out runs/record

Writes cgan_lib/results/training_record.npz (read it with `cgan_lib.evaluation.training_record()`),
with the final generator's scores (`evaluation.evaluate`, bundled data, seed 0).
"""

from __future__ import annotations  # noqa: I001  (cgan_lib must come before keras)

import argparse
from pathlib import Path

import cgan_lib  # noqa: F401  (quiet TensorFlow: before keras)
import numpy as np

from cgan_lib.callbacks import LOGGED, SampleGrid
from cgan_lib.data import to_display
from cgan_lib.evaluation import evaluate
from cgan_lib.models import load_generator
from cgan_lib.training import train

OUT = Path(__file__).resolve().parent.parent / "cgan_lib" / "results" / "training_record.npz"
ITERATIONS, EARLY_EVERY, LATE_EVERY, EARLY_UNTIL = 20_000, 100, 500, 1_000


def same_weights(a, b) -> bool:
    pairs = zip(a.weights, b.weights, strict=True)
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, grids, generator)")
    parser.add_argument(
        "--iterations", type=int, default=ITERATIONS, help="20000 reproduces the shipped generator"
    )
    args = parser.parse_args()

    early = SampleGrid(EARLY_EVERY, seed=0)
    run = train(
        args.iterations, seed=0, data="bundled", out_dir=args.out, every=LATE_EVERY, verbose=2,
        callbacks=[early],
    )
    frames = {step: rows for step, rows in early.frames if step <= EARLY_UNTIL}
    frames.update({step: rows for step, rows in run.frames if step > EARLY_UNTIL})
    shown = sorted(frames)
    reproduced = args.iterations == ITERATIONS and same_weights(run.generator, load_generator())
    history = {k: np.array([h[k] for h in run.history], "float32") for k in LOGGED}
    final = evaluate(run.generator, data="bundled")
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(
        OUT,
        frame_iterations=np.array(shown, "int64"),
        frames=np.round(255 * to_display(np.stack([frames[s] for s in shown]))).astype("uint8"),
        iterations=np.array([h["iteration"] for h in run.history], "int64"),
        seconds=np.float64(run.seconds),
        reproduces_shipped_generator=np.bool_(reproduced),
        final_accuracy=np.float64(final.accuracy.overall),
        final_frechet_distance=np.float64(final.frechet_distance),
        final_recall=np.float64(np.mean(final.recall)),
        **history,
    )
    verdict = "IS" if reproduced else "is NOT"
    print(f"{run.iterations:,} iterations in {run.seconds:.0f} s; {len(shown)} frames; "
          f"the final generator {verdict} the shipped one, weight for weight; wrote {OUT}")


if __name__ == "__main__":
    main()
