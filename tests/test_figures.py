"""Figures: pictures of the library's [-1, 1] images, drawn in [0, 1], offline, row for row."""

import numpy as np
import pytest
from PIL import Image

from cgan_lib import data, figures, models, sampling


@pytest.fixture(scope="module")
def generator():
    import keras

    keras.utils.set_random_seed(0)
    return models.build_generator()


def test_image_grid_has_one_labelled_row_per_digit(generator):
    fig = figures.image_grid(generator, n=4, seed=0, title="Grid")
    axes = np.array(fig.axes).reshape(10, 4)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == [str(d) for d in range(10)]
    assert fig._suptitle.get_text() == "Grid"
    rows = sampling.digit_rows(generator, n=4, seed=0)
    for d in range(10):  # row d really shows the images generated for digit d, as a picture
        np.testing.assert_allclose(axes[d, 1].images[0].get_array(), data.to_display(rows[d, 1]))


def test_progress_animation_has_one_frame_per_grid(generator):
    frames = [(0, sampling.digit_rows(generator, n=2)), (100, sampling.digit_rows(generator, n=2, seed=1))]
    html = figures.animation_html(figures.progress_animation(frames))
    assert html.count("data:image/jpeg;base64") == 2  # one small JPEG per frame
    assert "http" not in html and "fa fa" not in html  # no CDN icon font: works offline


def test_png_strip_round_trip():
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28)).astype("float32")
    png = figures.to_png(images)
    assert png.startswith(b"\x89PNG")
    np.testing.assert_allclose(figures.from_png(png, 3), images, atol=1 / 255 + 1e-6)  # 8-bit grey levels


def test_mosaic_puts_image_j_of_row_d_in_block_d_j_framed_in_grey():
    rows = np.random.default_rng(0).uniform(-1, 1, (10, 3, 28, 28)).astype("float32")
    picture = figures.mosaic(rows)
    assert picture.shape == (10 * 30, 3 * 30)
    block = picture[4 * 30 : 5 * 30, 2 * 30 : 3 * 30]
    np.testing.assert_allclose(block[1:-1, 1:-1], data.to_display(rows[4, 2]))
    assert np.all(block[0] == 0.5) and np.all(block[:, -1] == 0.5)
    with pytest.raises(ValueError, match=r"\(rows, columns, 28, 28\); got \(30, 28, 28\)"):
        figures.mosaic(rows.reshape(30, 28, 28))


def test_save_grid_shows_the_mosaic_with_a_labelled_row_per_digit(generator, tmp_path):
    rows = sampling.digit_rows(generator, n=4, seed=0)
    figures.save_grid(rows, tmp_path / "grid.png", "Iteration 100", scale=2)
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    picture = np.kron(np.round(figures.mosaic(rows) * 255).astype("uint8"), np.ones((2, 2), "uint8"))
    top, left = 28, 24  # the title strip and the label column at scale 2
    np.testing.assert_array_equal(grid[top : top + picture.shape[0], left : left + picture.shape[1]], picture)
    assert grid[:top].min() < 100, "no title drawn"
    row = 30 * 2
    labels = [grid[top + d * row : top + (d + 1) * row, :left] for d in range(10)]
    assert all(label.min() < 100 for label in labels), "a row without its digit"
    assert len({label.tobytes() for label in labels}) == 10, "two rows carry the same label"
    figures.save_grid(rows, tmp_path / "untitled.png", scale=2)
    assert np.asarray(Image.open(tmp_path / "untitled.png")).shape[0] == grid.shape[0] - 22


@pytest.mark.parametrize("scale", [0, -2, 1.5])
def test_pngs_refuse_a_bad_scale(scale, tmp_path):
    rows = np.zeros((10, 2, 28, 28), "float32")
    with pytest.raises(ValueError, match=f"scale must be a positive integer; got {scale!r}"):
        figures.save_grid(rows, tmp_path / "grid.png", scale=scale)
    with pytest.raises(ValueError, match=f"scale must be a positive integer; got {scale!r}"):
        figures.to_png(rows[0], scale=scale)
    assert not (tmp_path / "grid.png").exists()
