"""Shared fixtures: one short real training run (bundled MNIST) that several tests look at."""

import subprocess
import sys

import pytest

import cgan_lib  # noqa: F401  (quiet TensorFlow before anything imports it)


@pytest.fixture(scope="session")
def short_run(tmp_path_factory):
    """300 iterations of the library's loop on the bundled data, with a run folder."""
    from cgan_lib.training import train

    out = tmp_path_factory.mktemp("run")
    return train(300, data="bundled", out_dir=out, every=100, verbose=0)


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run `python -m cgan_lib ARGS` in a fresh process and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "cgan_lib", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
