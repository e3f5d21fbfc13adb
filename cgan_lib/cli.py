"""Command line: `python -m cgan_lib <command>` or `cgan <command>`. Errors: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib
import numpy as np

from cgan_lib import web
from cgan_lib.bench import run_benchmark
from cgan_lib.checks import IMAGE_SHAPE, check_choice, check_digit, check_positive
from cgan_lib.evaluation import evaluate
from cgan_lib.figures import plot_rows
from cgan_lib.judge import CLASSIFIER_PATH, train_classifier
from cgan_lib.models import load_generator, shipped_generator_path
from cgan_lib.sampling import generate
from cgan_lib.training import GENERATOR, train

DEFAULT_RUN = Path("runs/cgan")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cgan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the tutorial's CGAN with the fast loop")
    train.add_argument("--iterations", type=int, required=True, help="iterations in total")
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, default=DEFAULT_RUN, help="run folder (default runs/cgan)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--data", default="auto", help="auto | keras | bundled")
    train.add_argument("--conditioning", default="multiply", help="multiply | concatenate")
    train.add_argument("--loop", default="library", help="library (fast) | tutorial (its own, slow loop)")
    train.add_argument("--every", type=int, default=1000, help="iterations between grids and checkpoints")

    sample = commands.add_parser("sample", help="generate digits: .png grid or .npy array in [-1, 1]")
    sample.add_argument("--digit", type=int, required=True)
    sample.add_argument("--n", type=int, default=16)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--weights", type=Path, help="generator .weights.h5 (default: shipped)")
    sample.add_argument("--conditioning", default="multiply")
    sample.add_argument("--out", type=Path, required=True, help="FILE.png or FILE.npy")

    bench = commands.add_parser("bench", help="the tutorial loop vs the library's loop")
    bench.add_argument("--seconds", type=float, default=20.0, help="timed seconds per variant, all rounds")
    bench.add_argument("--rounds", type=int, default=5, help="the variants take turns this many times")
    bench.add_argument("--quick", action="store_true", help="a short run to check it works")

    evaluate = commands.add_parser("evaluate", help="accuracy, Fréchet distance, precision, recall")
    evaluate.add_argument("--weights", type=Path, help="generator .weights.h5 (default: shipped)")
    evaluate.add_argument("--conditioning", default="multiply")
    evaluate.add_argument("--n-per-digit", type=int, default=100, help="generated images per digit")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data", default="auto", help="held-out real digits: auto | keras | bundled")

    judge = commands.add_parser("train-classifier", help="train the digit classifier that judges generators")
    judge.add_argument("--data", default="auto", help="auto | keras | bundled")
    judge.add_argument("--epochs", type=int, default=20)
    judge.add_argument("--seed", type=int, default=0)
    judge.add_argument("--out", type=Path, default=None, help="weights file (default: the shipped one)")

    web = commands.add_parser("export-web", help="write generators for the web page: JSON header + weights")
    web.add_argument("--out", type=Path, required=True, help="folder (the book build: _build/html/_static)")
    web.add_argument("--dtype", default="float16", help="float16 (default, half the size) | float32")
    web.add_argument("--weights", type=Path, help="one generator .weights.h5 (default: both shipped ones)")
    web.add_argument("--conditioning", default="multiply", help="of --weights: multiply | concatenate")

    return parser


def _sample(args) -> None:
    check_digit(args.digit)
    check_positive("n", args.n)
    if args.out.suffix not in (".png", ".npy"):
        raise ValueError(f"--out must end in .png or .npy; got {str(args.out)!r}")
    weights = args.weights
    if weights is None and not shipped_generator_path(args.conditioning).exists():
        runs = sorted(Path("runs").glob(f"*/{GENERATOR}"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise FileNotFoundError("no shipped generator and no training output: run `cgan train` first")
        weights = runs[-1]
    generator = load_generator(weights, conditioning=args.conditioning)
    images = generate(generator, args.digit, n=args.n, seed=args.seed)
    if args.out.suffix == ".npy":
        np.save(args.out, images)
    else:
        columns = min(args.n, 8)
        rows = -(-args.n // columns)
        grid = np.full((rows * columns, *IMAGE_SHAPE[:2]), -1.0, "float32")  # blank panels are black
        grid[: args.n] = images
        title = f"Digit {args.digit}: {args.n} samples (seed {args.seed})"
        plot_rows(grid.reshape(rows, columns, *IMAGE_SHAPE[:2]), title=title, row_labels=[""] * rows).savefig(
            args.out, dpi=100
        )
    print(f"wrote {args.out}")


def _train(args) -> None:
    matplotlib.use("Agg")  # the grids only go to files, drawn in the background (callbacks.SampleGrid)

    run = train(
        args.iterations,
        batch_size=args.batch_size,
        seed=args.seed,
        out_dir=args.out,
        resume=args.resume,
        data=args.data,
        conditioning=args.conditioning,
        loop=args.loop,
        every=args.every,
    )
    print(
        f"{run.iterations:,} iterations in {run.seconds:.1f} s ({run.iterations_per_second:.1f} it/s; after "
        f"the first call, which compiles, {run.steady_iterations_per_second:.1f} it/s); "
        f"generator: {args.out / GENERATOR}"
    )


def _evaluate(args) -> None:
    generator = load_generator(args.weights, conditioning=args.conditioning)
    print(evaluate(generator, args.n_per_digit, seed=args.seed, data=args.data))


def _train_classifier(args) -> None:
    out = args.out if args.out is not None else CLASSIFIER_PATH
    _, metrics = train_classifier(args.data, epochs=args.epochs, seed=args.seed, out=out)
    print(
        f"held-out accuracy {metrics['test_accuracy']:.1%} on {metrics['test_images']:,} {metrics['data']} "
        f"test images ({metrics['epochs']} epochs, {metrics['training_seconds']:.0f} s); weights: {out}"
    )


def _bench(args) -> None:
    run_benchmark(seconds=args.seconds, rounds=args.rounds, quick=args.quick)


def _export_web(args) -> None:
    check_choice("--dtype", args.dtype, web.DTYPES)
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out must be a folder; {str(args.out)!r} is a file")
    if args.weights is None:
        names = [p.stem for p in web.export_shipped(args.out, args.dtype) if p.suffix == ".json"]
    else:
        names = [f"generator_{args.conditioning}"]
        generator = load_generator(args.weights, conditioning=args.conditioning)
        web.export(generator, args.out, names[0], args.dtype)
    for name in names:
        size = (args.out / f"{name}.bin").stat().st_size
        print(f"wrote {args.out / name}.json, .bin ({size / 1e6:.2f} MB of {args.dtype}) and .js")


COMMANDS = {
    "train": _train,
    "sample": _sample,
    "bench": _bench,
    "evaluate": _evaluate,
    "train-classifier": _train_classifier,
    "export-web": _export_web,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as error:
        print(f"cgan {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0
