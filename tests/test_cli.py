"""The command line: real outputs, and one line on stderr with exit code 2 for bad input."""

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli


@pytest.fixture(scope="module")
def weights(short_run):
    return str(short_run.out_dir / "generator.weights.h5")


def test_sample_npy_and_png(weights, tmp_path):
    result = run_cli(
        "sample",
        "--digit",
        "7",
        "--n",
        "5",
        "--seed",
        "3",
        "--weights",
        weights,
        "--out",
        str(tmp_path / "s.npy"),
    )
    assert result.returncode == 0, result.stderr
    images = np.load(tmp_path / "s.npy")
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    assert -1.0 <= images.min() < 0.0 and images.max() <= 1.0  # numbers in the library's range
    assert result.stderr == ""  # quiet: no TensorFlow log lines
    result = run_cli(
        "sample", "--digit", "7", "--n", "5", "--weights", weights, "--out", str(tmp_path / "s.png")
    )
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "s.png").size[0] > 100


@pytest.mark.parametrize(
    "args, message",
    [
        (["sample", "--digit", "10", "--out", "x.png"], "digit must be an integer from 0 to 9; got 10"),
        (["sample", "--digit", "3", "--n", "0", "--out", "x.png"], "n must be a positive integer; got 0"),
        (["sample", "--digit", "3", "--out", "x.jpg"], "--out must end in .png or .npy"),
        (
            ["sample", "--digit", "3", "--weights", "nope.weights.h5", "--out", "x.png"],
            "no weights of the 'multiply' generator at",
        ),
        (["train", "--iterations", "0"], "iterations must be a positive integer; got 0"),
        (["train", "--iterations", "5", "--batch-size", "-2"], "batch size must be a positive integer"),
        (["train", "--iterations", "5", "--data", "imagenet"], "data must be one of 'auto', 'keras'"),
        (["train", "--iterations", "5", "--loop", "fast"], "loop must be one of 'library', 'tutorial'"),
        (["train", "--iterations", "5", "--resume", "--out", "no-such-run"], "no checkpoint to resume from"),
        (["bench", "--seconds", "0"], "seconds must be a positive number; got 0.0"),
        (["bench", "--rounds", "-1"], "rounds must be a positive integer; got -1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_weights_file(tmp_path):
    (tmp_path / "bad.weights.h5").write_bytes(b"\x89HDF\r\n garbage")
    result = run_cli("sample", "--digit", "1", "--weights", "bad.weights.h5", "--out", "x.png", cwd=tmp_path)
    assert result.returncode == 2 and "corrupt or from another architecture" in result.stderr
    assert result.stderr.count("\n") == 1


def test_argparse_rejects_non_integers(tmp_path):
    result = run_cli("sample", "--digit", "three", "--out", "x.png", cwd=tmp_path)
    assert result.returncode == 2 and "invalid int value: 'three'" in result.stderr
