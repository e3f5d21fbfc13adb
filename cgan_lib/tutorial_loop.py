"""The tutorial's own training loop (predict + three train_on_batch), kept for comparison.

On Keras 3 the tutorial's recipe -- compile D, set D.trainable = False, compile the combined model --
freezes D for good: Keras 3 collects trainable weights when a train function is first traced, not at
compile time. `keras3_fix=True` switches D.trainable on and off around the calls, which repairs it.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

from cgan_lib.models import adam, latent_dim_of, num_classes_of


class TutorialLoop:
    """One `train_iteration` is one pass of the tutorial's `for epoch in range(epochs)` loop.

    `fit` drives it like `keras.Model.fit` drives `training.ConditionalGAN`, callbacks included, so
    `training.train` runs either loop the same way.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        seed: int = 0,
        batch_size: int = 32,
        keras3_fix: bool = True,
    ):
        self.generator, self.discriminator = generator, discriminator
        self.images, self.labels, self.batch_size = images, np.reshape(labels, (-1, 1)), batch_size
        self.keras3_fix = keras3_fix
        self.latent_dim = latent_dim_of(generator)
        self.num_classes = num_classes_of(generator)
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        discriminator.compile(loss="binary_crossentropy", optimizer=adam())
        discriminator.trainable = False
        z = keras.Input((self.latent_dim,))
        y = keras.Input((1,), dtype="int32")
        self.combined = keras.Model([z, y], discriminator([generator([z, y]), y]))
        self.combined.compile(loss="binary_crossentropy", optimizer=adam())

    def train_iteration(self) -> tuple[float, float]:
        """Draw a batch, update D on reals and on G's fakes, then G through the combined model."""
        batch_size = self.batch_size
        index = self.rng.integers(0, len(self.labels), batch_size)
        real, y = self.images[index], self.labels[index]
        valid, fake = np.ones((batch_size, 1)), np.zeros((batch_size, 1))
        z = self.rng.normal(0, 1, (batch_size, self.latent_dim))
        fakes = self.generator.predict([z, y], verbose=0)
        self.discriminator.trainable = self.keras3_fix
        d_loss = 0.5 * (
            self.discriminator.train_on_batch([real, y], valid)
            + self.discriminator.train_on_batch([fakes, y], fake)
        )
        self.discriminator.trainable = False
        sampled = self.rng.integers(0, self.num_classes, (batch_size, 1))
        g_loss = self.combined.train_on_batch([z, sampled], valid)
        self.iteration += 1
        return float(d_loss), float(g_loss)

    def fit(self, counts: Iterable, *, callbacks: list | None = None, verbose: int = 0, shuffle=False):
        """For each element of `counts` (as `training.iteration_counts` makes them), that many iterations,
        then the `callbacks`, as `keras.Model.fit` calls them. `verbose` and `shuffle` are accepted for
        the same call as Keras' `fit` (progress is a callback; the batches are drawn at random anyway).
        """
        callbacks = callbacks or []
        for callback in callbacks:
            callback.set_model(self)
            callback.on_train_begin()
        for i, count in enumerate(counts):
            for _ in range(int(count)):
                d_loss, g_loss = self.train_iteration()
            for callback in callbacks:
                callback.on_train_batch_end(i, {"d_loss": d_loss, "g_loss": g_loss})
        for callback in callbacks:
            callback.on_train_end()
