"""cgan_lib's XLA flag: set where this TensorFlow's XLA knows it, and what it is there for."""

import os
import subprocess
import sys
from importlib import metadata

import pytest
import tensorflow as tf

import cgan_lib

# Run in a fresh process: XLA reads its flags once, when it first compiles.
KERNEL_COPIES = """
import re
import cgan_lib
import tensorflow as tf
from cgan_lib import bench, training
from cgan_lib.data import load_mnist

images, labels = load_mnist("bundled", verbose=False)
gan = training.ConditionalGAN(bench.build_generator(), bench.build_discriminator(), images, labels)
gan.compile()
step = tf.function(gan.train_step, jit_compile=True)
hlo = step.experimental_get_compiler_ir(tf.constant(10))(stage="optimized_hlo")
kernels = {"f32[%d,%d]" % shape for shape in bench.dense_kernels(gan.generator)}
print(sorted(c for c in re.findall(r"= (f32\\[[\\d,]*\\])\\{[^}]*\\} copy\\(", hlo) if c in kernels))
"""


def kernel_copies(xla_flags: str | None) -> str:
    """G's kernels that XLA copies in the compiled training step, with XLA_FLAGS unset or as given."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    command = [sys.executable, "-c", KERNEL_COPIES]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


# TF 2.20's XLA (Colab's) takes the flag but still copies three of the four kernels.
@pytest.mark.skipif(cgan_lib.tensorflow_version() < (2, 21), reason="TF < 2.21")
def test_the_training_step_copies_g_kernels_only_without_cgan_libs_flag():
    g_kernels = ["f32[100,256]", "f32[256,512]", "f32[512,1024]", "f32[1024,784]"]
    assert kernel_copies(None) == "[]"  # cgan_lib sets its flag
    assert kernel_copies("") == str(sorted(g_kernels))  # XLA's defaults: a copy of each, every iteration


def test_the_flag_is_set_only_for_a_tensorflow_whose_xla_knows_it():
    assert cgan_lib.default_xla_flags((2, 20)) == cgan_lib.default_xla_flags((3, 0)) == cgan_lib.XLA_FLAGS
    assert cgan_lib.default_xla_flags((2, 19)) == cgan_lib.default_xla_flags((0, 0)) == ""


def test_tensorflow_version_is_read_without_importing_it(monkeypatch):
    assert cgan_lib.tensorflow_version() == tuple(int(n) for n in tf.__version__.split(".")[:2])
    monkeypatch.setattr(metadata, "version", lambda name: "2.20.0rc1")
    assert cgan_lib.tensorflow_version() == (2, 20)

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert cgan_lib.tensorflow_version() == (0, 0)


@pytest.mark.parametrize("own", ["--xla_cpu_enable_fast_math=false", ""])
def test_an_xla_flags_of_your_own_is_left_as_it_is(own):
    env = dict(os.environ, XLA_FLAGS=own)
    code = "import os, cgan_lib; print(repr(os.environ['XLA_FLAGS']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == repr(own)
