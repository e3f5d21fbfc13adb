"""cgan_lib: the Conditional GAN of the CGAN book (Mirza & Osindero, 2014), on Keras 3.

Import it before TensorFlow or Keras: it sets quiet logging and an XLA flag, which TensorFlow reads once.
"""

import os
import re
from importlib import metadata

# XLA:CPU's copy insertion, analysing the training loop region by region, no longer copies G's four
# kernels in every iteration (TF 2.21; 2.20's still copies three): the same numbers, bit for bit.
XLA_FLAGS = "--xla_cpu_copy_insertion_use_region_analysis=true"


def tensorflow_version() -> tuple[int, int]:
    """(major, minor) of the installed TensorFlow, read without importing it; (0, 0) if unknown."""
    try:
        found = re.match(r"(\d+)\.(\d+)", metadata.version("tensorflow"))
    except metadata.PackageNotFoundError:
        return (0, 0)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def default_xla_flags(tensorflow: tuple[int, int]) -> str:
    """The XLA flags to set for this TensorFlow version: none before 2.20, whose XLA would stop at a
    flag it does not know (TF 2.18's libraries do not have this one; 2.20's and 2.21's do)."""
    return XLA_FLAGS if tensorflow >= (2, 20) else ""


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if _flags := default_xla_flags(tensorflow_version()):
    os.environ.setdefault("XLA_FLAGS", _flags)  # an XLA_FLAGS of your own is left as it is


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow and probe its devices with file descriptor 2 muted.

    Probing for CUDA, TensorFlow's C++ runtime writes "Could not find cuda drivers" and similar lines
    straight to stderr, whatever TF_CPP_MIN_LOG_LEVEL says. Python errors still surface normally.
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

__version__ = "0.1.0"
