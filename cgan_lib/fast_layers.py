"""Faster calls for the Dense and Dropout layers of G and D in the compiled training step.

The same weights and the same numbers as Keras' own layers (up to float rounding in one gradient);
only how XLA:CPU runs them changes. `ConditionalGAN` switches its two networks to these calls; the
models themselves (`cgan_lib.models`) are built from stock Keras layers. What they gain is measured
by `python -m cgan_lib bench` (the row "same, with Keras' own Dense and Dropout"; SPEED.md).
"""

from __future__ import annotations

import types

import keras
import tensorflow as tf
from keras import layers, ops

try:  # a private TensorFlow module: tests/test_fast_layers.py tells when a TensorFlow lacks it
    from tensorflow.compiler.tf2xla.python.xla import optimization_barrier
except ImportError:  # pragma: no cover - then the transposes may be folded, slower but the same numbers
    optimization_barrier = None

DROPOUT_ALGORITHM = "auto_select"  # TensorFlow's default, as Keras draws


def stateless_seed(seed_generator: keras.random.SeedGenerator) -> tf.Tensor:
    """The next seed of `seed_generator` for a TensorFlow stateless draw, cast exactly as Keras casts it."""
    return tf.cast(tf.math.floormod(seed_generator.next(), 2**31 - 2), "int32")


def _stored(x: tf.Tensor) -> tf.Tensor:
    """`x` as it is: XLA may not fold this transpose into a product (the barrier stops it)."""
    return optimization_barrier(x)[0] if optimization_barrier is not None else x


@tf.custom_gradient
def _product(x: tf.Tensor, kernel: tf.Tensor):
    """x @ kernel, with the gradient for x computed as (kernel @ g^T)^T instead of g @ kernel^T.

    The same gradient up to rounding (summed in another order), but XLA:CPU gives YNNPACK only
    products whose right operand is stored row by row along the summed axis; g @ kernel^T is not,
    and falls back to a slower kernel (SPEED.md).
    """

    def gradient(g):
        x_gradient = ops.transpose(_stored(ops.matmul(kernel, _stored(ops.transpose(g)))))
        return x_gradient, ops.matmul(ops.transpose(x), g)

    return ops.matmul(x, kernel), gradient


def dense_call(self: layers.Dense, inputs, training=None):
    """`keras.layers.Dense.call`, same outputs; its backward pass written for XLA:CPU (`_product`)."""
    x = _product(inputs, tf.convert_to_tensor(self.kernel))
    return self.activation(x if self.bias is None else x + self.bias)


def dropout_call(self: layers.Dropout, inputs, training=False):
    """`keras.layers.Dropout.call` drawing its mask with the layer's `algorithm`.

    Under XLA the training step names "threefry": XLA:CPU draws ThreeFry numbers 3.5x as fast as
    Philox, TensorFlow's default, which alone runs outside XLA (SPEED.md).
    """
    if not training or self.rate == 0:
        return inputs
    return tf.nn.experimental.stateless_dropout(
        inputs,
        self.rate,
        noise_shape=self.noise_shape,
        seed=stateless_seed(self.seed_generator),
        rng_alg=getattr(self, "algorithm", DROPOUT_ALGORITHM),
    )


def use_fast_calls(model: keras.Model) -> None:
    """Switch every Dense and Dropout layer of `model` to the calls above.

    Weights, outputs and masks stay Keras' own (Dropout draws as Keras does until `algorithm` is set).
    """
    for layer in model._flatten_layers():
        if type(layer) is layers.Dense and layer.units > 1:  # one unit: its gradient is no matrix product
            layer.call = types.MethodType(dense_call, layer)
        elif type(layer) is layers.Dropout:
            layer.call = types.MethodType(dropout_call, layer)
            layer.algorithm = DROPOUT_ALGORITHM
