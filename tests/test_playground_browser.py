"""The live explorer on the built web pages (book/_js/cgan-explorer.js), in headless Chromium.

Chapter 8 and chapter 1 hold a `cgan_lib.web.page_explorer` block; `make book` exports the generators
into _build/html/_static. Opened from disk (and once over http), the page computes G(z|y) itself:
every control changes the picture, the judge reads each digit as asked, the numbers match Keras's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from browser import HTML, ROOT, launch, open_page, require_built_book, screenshot, served_book
from playwright.sync_api import Browser, Page, expect

from cgan_lib import data, judge, models, sampling, web

PAGE, INTRO = "book/08_playground.html", "book/01_introduction.html"
GREY_LEVEL = 1 / 255  # measured: float16 weights move a pixel by at most 0.0028 (tests/test_web.py)

_CANVAS_JS = """root => {
  const c = root.querySelector('canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
  const count = Math.round((c.width + 2) / 86);
  for (let s = 0; s < count; s++)
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) out.push(px[4 * ((3 * y + 1) * c.width + s * 86 + 3 * x + 1)]);
  return out;
}"""


# Every digit for 8 rows of z, then 7 rows (not a block of 4) blended from 3 towards 8.
GENERATE_JS = """async ([conditioning, z, simd]) => {
  const m = await CGAN.load('../_static/', conditioning), out = [];
  if (!m.kernel) throw new Error('Chromium runs no WebAssembly SIMD kernel');
  const rows = (k, n) => new Float32Array(z.slice(100 * k, 100 * (k + n)));
  CGAN.simd = simd;
  for (let d = 0; d < 10; d++) out.push(...CGAN.generate(m, rows(8 * d, 8), d));
  out.push(...CGAN.generate(m, rows(0, 7), 3, 8, 0.4));
  CGAN.simd = true;
  return out;
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    require_built_book()
    with launch() as browser:
        yield browser


@pytest.fixture
def chapter8(chromium: Browser) -> Iterator[Page]:
    """Chapter 8 from disk, its explorer drawn once; afterwards: no request outside the book, no error."""
    assert (HTML / PAGE).is_file(), f"{PAGE} was not built"
    page, log = open_page(chromium, PAGE)
    wait_drawn(page)
    yield page
    outside = [u for u in log.requested if not u.startswith((HTML.as_uri() + "/", "data:", "blob:"))]
    assert not (outside or log.failed or log.external or log.errors), (outside, log)
    page.close()


def explorer(page: Page):
    return page.locator(".cgan-explorer").first


def draws(page: Page) -> int:
    return int(explorer(page).get_attribute("data-draws") or 0)


def wait_drawn(page: Page, more_than: int = 0) -> None:
    page.wait_for_function(
        "n => Number(document.querySelector('.cgan-explorer')?.dataset.draws || 0) > n",
        arg=more_than, timeout=60_000,
    )


def picture(page: Page) -> np.ndarray:
    """The images the canvas shows, (samples, 28, 28) in [0, 1] (one pixel out of each 3 x 3 block)."""
    values = np.array(explorer(page).evaluate(_CANVAS_JS), dtype="float32") / 255
    return values.reshape(-1, 28, 28)


def act(page: Page, action) -> np.ndarray:
    """Do `action`, wait for the redraw it causes, return the new picture."""
    before = draws(page)
    action()
    wait_drawn(page, before)
    return picture(page)


def set_digit(page: Page, digit: int) -> None:
    slider = page.get_by_label("digit", exact=True)
    if slider.input_value() != str(digit):
        act(page, lambda: slider.fill(str(digit)))


def test_every_control_changes_the_picture(chapter8: Page) -> None:
    """Each control, driven from the keyboard (found by its <label>), redraws a different picture."""
    page = chapter8
    start = picture(page)
    assert start.shape == (8, 28, 28) and start.std() > 0.1, "the first picture is empty"
    moves = {
        "digit": ("ArrowRight",),
        "seed": ("ArrowUp",),
        "samples": ("ArrowLeft",),
        "blend": ("ArrowRight",) * 6,
        "blend to": ("ArrowLeft",),
        "z direction 1": ("ArrowRight",) * 10,
        "z direction 2": ("ArrowLeft",) * 10,
    }
    last = start
    for name, keys in moves.items():
        control = page.get_by_label(name, exact=True)
        control.focus()
        before = draws(page)
        for key in keys:
            control.press(key)
        wait_drawn(page, before)
        now = picture(page)
        assert now.shape != last.shape or np.abs(now - last).max() > 0.2, f"{name} did not change the picture"
        last = now
    button = page.get_by_role("button", name="new z")
    button.focus()
    now = act(page, lambda: button.press("Enter"))
    assert np.abs(now - last).max() > 0.2, "new z did not change the picture"
    now, last = act(page, lambda: page.get_by_label("generator").select_option("concatenate")), now
    assert np.abs(now - last).max() > 0.2, "the concatenate generator drew the same picture"
    screenshot(page, "book/08_playground-explorer.html")


def test_same_z_keeps_the_noise_while_the_digit_changes(chapter8: Page) -> None:
    page = chapter8
    seed, same_z = page.get_by_label("seed", exact=True), page.get_by_label("same z")
    expect(same_z).to_be_checked()
    set_digit(page, 3)
    three, seed0 = picture(page), seed.input_value()
    seven = act(page, lambda: page.get_by_label("digit", exact=True).fill("7"))
    assert seed.input_value() == seed0 and np.abs(seven - three).mean() > 0.05
    same_z.press("Space")  # the toggle alone redraws nothing
    expect(same_z).not_to_be_checked()
    back = act(page, lambda: page.get_by_label("digit", exact=True).fill("3"))
    assert seed.input_value() == str(int(seed0) + 1), "without same z a digit change draws new noise"
    assert np.abs(back - three).max() > 0.2, "a 3 with new noise looks like the old 3"


def test_the_judge_reads_every_digit_and_the_pixels_are_keras(chapter8: Page) -> None:
    """10 digits x 8 samples from the canvas: the judge reads >= 95% as asked; each picture is Keras's
    G(z|y) for the same z (taken from the page's random generator) within a grey level plus rounding."""
    page = chapter8
    generator = models.load_generator()
    correct, worst = 0, 0.0
    for digit in range(10):
        set_digit(page, digit)
        shown = picture(page)
        correct += int(np.sum(judge.predict_digits(data.from_display(shown)) == digit))
        seed = int(page.get_by_label("seed", exact=True).input_value())
        z = np.array(page.evaluate("s => Array.from(CGAN.normals(s, 800))", seed), "float32").reshape(8, 100)
        keras_picture = data.to_display(sampling.generate_from(generator, z, [digit] * 8))
        worst = max(worst, float(np.abs(shown - keras_picture).max()))
    assert correct >= 76, f"the judge read {correct} of 80 canvas digits as asked"
    assert worst <= GREY_LEVEL + 0.5 / 255 + 1e-6, f"canvas differs from Keras by {worst:.4f}"


@pytest.mark.parametrize("conditioning", models.CONDITIONING)
def test_javascript_computes_what_keras_computes(chapter8: Page, conditioning: str) -> None:
    """CGAN.generate with z passed in, all digits and a blend: within a grey level of Keras, and equal
    (to float32 rounding) to the NumPy reading of the same exported file, with the matrix products in
    WebAssembly SIMD (what Chromium uses) and in the plain-JS fallback."""
    generator = models.load_generator(conditioning=conditioning)
    exported = web.read(HTML / "_static" / f"generator_{conditioning}.json")
    z = sampling.noise(80, seed=9)
    digits = np.repeat(np.arange(10), 8)

    def browser(simd: bool) -> np.ndarray:
        values = chapter8.evaluate(GENERATE_JS, [conditioning, z.ravel().tolist(), simd])
        return np.array(values, "float32").reshape(87, 28, 28)

    js, plain = browser(True), browser(False)
    assert np.abs(js[:80] - data.to_display(sampling.generate_from(generator, z, digits))).max() <= GREY_LEVEL
    np.testing.assert_allclose(js[:80], exported(z, digits), atol=1e-5)
    np.testing.assert_allclose(js[80:], exported(z[:7], 3, 8, 0.4), atol=1e-5)
    np.testing.assert_allclose(plain, js, atol=1e-5)


def test_the_book_opens_with_the_explorer(chromium: Browser) -> None:
    """Chapter 1's first picture is the live explorer with a digit slider and a seed, drawing 7s."""
    page, log = open_page(chromium, INTRO)
    try:
        wait_drawn(page)
        first_heading = page.get_by_role("heading", name="A first look")
        follows = "(e, h) => !!(e.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_FOLLOWING)"
        assert explorer(page).evaluate(follows, first_heading.element_handle()), "not before 'A first look'"
        labels = explorer(page).locator("label").all_text_contents()
        assert labels == ["digit", "seed"]
        sevens = picture(page)
        assert np.sum(judge.predict_digits(data.from_display(sevens)) == 7) >= 7
        screenshot(page, INTRO)
        assert not (log.failed or log.external or log.errors), log
    finally:
        page.close()


def test_served_over_http_the_page_fetches_the_binary_weights(chromium: Browser) -> None:
    with served_book() as base:
        page = chromium.new_page()
        requested, outside = [], []
        page.on("request", lambda r: requested.append(r.url))

        def route(r) -> None:
            if r.request.url.startswith((base, "data:", "blob:")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        try:
            page.goto(base + PAGE)
            wait_drawn(page)
            set_digit(page, 5)
            assert np.sum(judge.predict_digits(data.from_display(picture(page))) == 5) >= 7
            assert base + "_static/generator_multiply.bin" in requested
            assert base + "_static/generator_multiply.js" not in requested
            assert not outside, outside
        finally:
            page.close()


@pytest.mark.parametrize("with_script", [False, True])
def test_without_the_book_the_cell_output_keeps_its_note(chromium: Browser, tmp_path, with_script) -> None:
    """The cell's HTML where the book is not (Jupyter, Colab: no _static folder), or where the script is
    but the exported weights are not: the note stays, no JavaScript error, the page asks nothing else."""
    (tmp_path / "book").mkdir()
    if with_script:
        (tmp_path / "_static").mkdir()
        script = (ROOT / "book" / "_js" / "cgan-explorer.js").read_text()
        (tmp_path / "_static" / "cgan-explorer.js").write_text(script)
    page_file = tmp_path / "book" / "cell.html"
    page_file.write_text(f"<!doctype html><html><body>{web.page_explorer().data}</body></html>")
    page = chromium.new_page()
    errors, requested = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(page_file.as_uri())
        if with_script:
            expect(page.locator(".cgan-status")).to_contain_text("could not load the generator")
        else:
            page.wait_for_load_state("load")
        note = web.PAGE_NOTE.replace("<code>", "").replace("</code>", "")
        expect(page.locator(".cgan-explorer-note")).to_have_text(note)
        assert page.locator(".cgan-explorer canvas").count() == 0 and not errors, errors
        assert all(u.startswith(tmp_path.as_uri()) for u in requested), requested
    finally:
        page.close()


_OVERFLOW_JS = """root => {
  const box = root.getBoundingClientRect();
  return [...root.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > box.right + 1)
    .map(e => (e.id || e.tagName) + ' ends at ' + Math.round(e.getBoundingClientRect().right) +
         ' px, the explorer at ' + Math.round(box.right));
}"""


@pytest.mark.parametrize("width", [1100, 800, 400])
def test_no_control_sticks_out_of_the_text_column(chromium: Browser, width: int) -> None:
    """On a laptop, a narrow window and a phone, every control and the canvas stay inside the explorer."""
    page, log = open_page(chromium, PAGE, width=width)
    try:
        wait_drawn(page)
        assert explorer(page).evaluate(_OVERFLOW_JS) == []
        assert not (log.failed or log.external or log.errors), log
    finally:
        page.close()
