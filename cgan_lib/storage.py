"""Weights on disk: where the shipped ones live, saving that never leaves half a file, one strict loader."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import keras

from cgan_lib.checks import check_weights_file

WEIGHTS_DIR = Path(__file__).parent / "weights"


def shipped(name: str) -> Path:
    """The path of a weights file that ships with the package, e.g. shipped("classifier")."""
    return WEIGHTS_DIR / f"{name}.weights.h5"


def save_atomically(model: keras.Model, path: str | os.PathLike) -> None:
    """Write `model.save_weights` to a temporary file, then rename it over `path`.

    A rename is atomic, so a run killed mid-write leaves the previous file intact.
    """
    path = Path(check_weights_file(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name.replace(".weights.h5", ".partial.weights.h5"))
    model.save_weights(partial)
    with open(partial, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(partial, path)


def load_weights(model: keras.Model, path: str | os.PathLike, what: str) -> keras.Model:
    """Load `path` into `model` (described to the reader as `what`): every weight, or one clear error.

    Keras only warns when it skips weights that do not fit, and h5py raises many kinds of error on a
    broken file; either way the reader gets one message that names the file and what it should hold.
    """
    path = Path(check_weights_file(path, f"weights of {what}"))
    if not path.exists():
        raise FileNotFoundError(f"no weights of {what} at {path}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(path)
        skipped = [str(w.message).splitlines()[0] for w in caught if "Skipping" in str(w.message)]
        if skipped:
            raise ValueError(skipped[0])
    except Exception as error:
        reason = (str(error).splitlines() or [""])[0][:160]
        raise ValueError(
            f"{path} does not hold weights of {what} ({model.count_params():,} parameters): it is corrupt "
            f"or from another architecture ({type(error).__name__}: {reason})"
        ) from None
    return model
