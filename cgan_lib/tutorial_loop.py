"""The tutorial's own training loop (predict + three train_on_batch), kept for comparison.

On Keras 3 the tutorial's recipe -- compile D, set D.trainable = False, compile the combined model --
freezes D for good: Keras 3 collects trainable weights when a train function is first traced, not at
compile time. `keras3_fix=True` switches D.trainable on and off around the calls, which repairs it.
"""

from __future__ import annotations

import keras
import numpy as np

from cgan_lib.models import latent_dim_of, num_classes_of


class TutorialLoop:
    """One `train_iteration` is one pass of the tutorial's `for epoch in range(epochs)` loop."""

    def __init__(self, generator, discriminator, *, keras3_fix: bool = True, seed: int = 0):
        self.generator = generator
        self.discriminator = discriminator
        self.keras3_fix = keras3_fix
        self.latent_dim = latent_dim_of(generator)
        self.num_classes = num_classes_of(generator)
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))
        discriminator.trainable = False
        z = keras.Input((self.latent_dim,))
        y = keras.Input((1,), dtype="int32")
        self.combined = keras.Model([z, y], discriminator([generator([z, y]), y]))
        self.combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))

    def train_iteration(
        self, images: np.ndarray, labels: np.ndarray, batch_size: int = 32
    ) -> tuple[float, float]:
        """Draw a batch, update D on reals and on G's fakes, then G through the combined model."""
        index = self.rng.integers(0, len(labels), batch_size)
        real, y = images[index], labels[index].reshape(-1, 1)
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
