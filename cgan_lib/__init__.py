"""cgan_lib: the Conditional GAN of the CGAN book (Mirza & Osindero, 2014), on Keras 3.

Importing the package silences TensorFlow's C++ logging; set the variables yourself to override.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
