"""cgan_lib: the Conditional GAN of the CGAN book (Mirza & Osindero, 2014), on Keras 3.

Import it before TensorFlow or Keras: it sets quiet logging, which TensorFlow reads once.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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
