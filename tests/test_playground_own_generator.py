"""Chapter 8's "a generator of your own": the three ways it names give a file that loads into the explorer.

A library generator saved with `save_weights` loads back with `models.load_generator(path)`; chapter 6's
plain generator (its cells tagged `plain-cgan`) does not load directly, but its weights copied with
`set_weights(get_weights())` into `models.build_generator()` give the same images, saved and loaded.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_plain_cgan import plain_code

from cgan_lib import models, sampling, widgets


def randomized(model, seed: int = 0):
    """The model with every weight drawn at random (variances positive): unlike fresh weights, no two
    weights of one BatchNormalization layer are equal, so a copy in the wrong order would show."""
    rng = np.random.default_rng(seed)
    model.set_weights([
        (rng.standard_normal(w.shape) / np.sqrt(w.shape[0]) if w.ndim > 1 else rng.uniform(0.5, 1.5, w.shape))
        .astype("float32") for w in model.get_weights()
    ])
    return model


def images(generator, z, digit: int = 3) -> np.ndarray:
    drawn = sampling.generate_from(generator, z, [digit] * len(z))
    assert drawn.std() > 0.1, "the random weights drew flat images: the comparison would prove nothing"
    return drawn


def test_a_saved_library_generator_loads_into_the_live_explorer(tmp_path):
    mine = randomized(models.build_generator())
    path = tmp_path / "mine.weights.h5"
    mine.save_weights(path)
    loaded = models.load_generator(path)
    explorer = widgets.digit_explorer(loaded, digit=3, samples=4)
    np.testing.assert_allclose(explorer.images(), images(mine, explorer.z), atol=1e-5)


def test_chapter6s_plain_generator_goes_in_through_the_library_generator(tmp_path):
    plain = randomized(plain_code()["build_generator"]())
    direct = tmp_path / "plain.weights.h5"
    plain.save_weights(direct)
    with pytest.raises(ValueError, match="does not hold weights"):
        models.load_generator(direct)  # the layers are arranged differently: the file does not fit

    library_g = models.build_generator()
    library_g.set_weights(plain.get_weights())
    path = tmp_path / "mine.weights.h5"
    library_g.save_weights(path)
    explorer = widgets.digit_explorer(models.load_generator(path), digit=7, samples=4)
    np.testing.assert_allclose(explorer.images(), images(plain, explorer.z, 7), atol=1e-5)
