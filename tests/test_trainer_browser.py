"""The in-browser trainer (book/_js/cgan-trainer.js) in headless Chromium, against Keras.

One iteration in the page, from the page's own state (weights, Adam moments, batch-norm moving
statistics), with the batch, noise, fresh labels and dropout masks the page drew, is repeated in
Keras with the tutorial's models (`models.build_generator`, `build_discriminator`), Adam and BCE:
every weight, moment and statistic agrees within float32 rounding, for both conditionings, in
WebAssembly SIMD and in plain JavaScript. The engine tests load the script and the digits from a
folder of their own (from disk); the page tests open the built book's page.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from browser import HTML, ROOT, launch, open_page, require_built_book, screenshot, served_book
from keras import layers
from playwright.sync_api import Browser, Page, expect

from cgan_lib import models, web_trainer
from cgan_lib.training import apply_gradients

SCRIPT = ROOT / "book" / "_js" / "cgan-trainer.js"
PAGE = "book/train_in_browser.html"
BATCH, RATE = 32, 0.4

# The page's state and one recorded iteration, as base64 float32 / uint8 and lists.
ITERATION_JS = """async ([conditioning, simd, warmup]) => {
  const b64 = a => { const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength); let s = '';
    for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode.apply(null, u.subarray(i, i + 8192));
    return btoa(s); };
  const net = n => Object.fromEntries(Object.entries(n).map(
    ([k, v]) => [k, { shape: v.shape, value: b64(v.value), m: b64(v.m), v: b64(v.v) }]));
  const pack = st => ({ t: st.t, G: net(st.G), D: net(st.D),
    moving: st.moving.map(m => ({ mean: b64(m.mean), variance: b64(m.variance) })) });
  const digits = await CGANTrainer.loadData('./');
  const e = CGANTrainer.Engine(digits, { conditioning, seed: 0, simd });
  if (simd && !e.simd) throw new Error('Chromium runs no WebAssembly SIMD kernel');
  for (let k = 0; k < warmup; k++) e.iteration();
  const before = pack(e.state());
  const d = e.record();
  const logged = e.iteration();
  return { before, after: pack(e.state()), logged, simd: e.simd,
    draws: { index: Array.from(d.index), labels: Array.from(d.labels), fresh: Array.from(d.fresh),
             real: b64(d.real), z: b64(d.z), masks: d.masks.map(pair => pair.map(b64)) } };
}"""


def floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def mask(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(BATCH, 512).astype(bool)


# ---- the reference: the tutorial's Keras models, given the page's state and draws ----


def _pairs(generator: keras.Model, discriminator: keras.Model) -> tuple[list, list]:
    """(page tensor name, Keras variable, transpose?) for G's and D's trainable weights."""
    def body(model, net):
        found, dense, norm = [(net + "embedding", model.get_layer("label_embedding").embeddings, False)], 0, 0
        for layer in model.get_layer(("generator" if net == "G/" else "discriminator") + "_body").layers:
            if isinstance(layer, layers.Dense):
                found += [(f"{net}dense_{dense}/weight", layer.kernel, True),
                          (f"{net}dense_{dense}/bias", layer.bias, False)]
                dense += 1
            elif isinstance(layer, layers.BatchNormalization):
                found += [(f"{net}bn_{norm}/gamma", layer.gamma, False),
                          (f"{net}bn_{norm}/beta", layer.beta, False)]
                norm += 1
        return found
    return body(generator, "G/"), body(discriminator, "D/")


def _norms(generator: keras.Model) -> list:
    body = generator.get_layer("generator_body").layers
    return [la for la in body if isinstance(la, layers.BatchNormalization)]


def _tensor(state: dict, name: str, key: str) -> np.ndarray:
    net, tensor = name.split("/", 1)
    spec = state[net][tensor]
    return floats(spec[key]).reshape(spec["shape"])


def keras_iteration(conditioning: str, before: dict, draws: dict) -> dict:
    """One iteration of the library's loop in Keras from the page's state; returns the state after it."""
    G = models.build_generator(conditioning=conditioning)
    D = models.build_discriminator(conditioning=conditioning)
    g_pairs, d_pairs = _pairs(G, D)
    optimizers = {}
    for pairs, net, model in ((g_pairs, "G", G), (d_pairs, "D", D)):
        opt = models.adam()
        opt.build(model.trainable_variables)
        opt.iterations.assign(before["t"][net])
        for name, var, transpose in pairs:
            fix = (lambda a: a.T) if transpose else (lambda a: a)
            var.assign(fix(_tensor(before, name, "value")))
            index = opt._get_variable_index(var)
            opt._momentums[index].assign(fix(_tensor(before, name, "m")))
            opt._velocities[index].assign(fix(_tensor(before, name, "v")))
        optimizers[net] = opt
    for norm, stats in zip(_norms(G), before["moving"], strict=True):
        norm.moving_mean.assign(floats(stats["mean"]))
        norm.moving_variance.assign(floats(stats["variance"]))

    bce = keras.losses.BinaryCrossentropy()
    embed_d, body_d = D.get_layer("label_embedding"), D.get_layer("discriminator_body")

    def discriminator(images, labels, masks):  # D in training mode, with the page's dropout masks
        label = tf.reshape(embed_d(labels), (BATCH, -1))
        flat = tf.reshape(images, (BATCH, -1))
        h = flat * label if conditioning == "multiply" else tf.concat([flat, label], axis=1)
        drop = iter(masks)
        for layer in body_d.layers:
            h = tf.where(next(drop), h / (1 - RATE), 0.0) if isinstance(layer, layers.Dropout) else layer(h)
        return h

    masks = [[mask(m) for m in pair] for pair in draws["masks"]]
    real = floats(draws["real"]).reshape(BATCH, 28, 28, 1)
    z = floats(draws["z"]).reshape(BATCH, 100)
    labels = np.array(draws["labels"], "int32").reshape(-1, 1)
    fresh = np.array(draws["fresh"], "int32").reshape(-1, 1)
    fakes = G([z, labels], training=True)
    logged = {}
    for name, images, target, m in (("dReal", real, 1.0, masks[0]), ("dFake", fakes, 0.0, masks[1])):
        with tf.GradientTape() as tape:
            p = discriminator(images, labels, m)
            loss = bce(tf.fill(p.shape, target), p)
        apply_gradients(optimizers["D"], tape.gradient(loss, D.trainable_variables), D.trainable_variables)
        logged[name], logged[name + "Loss"] = float(tf.reduce_mean(p)), float(loss)
    with tf.GradientTape() as tape:
        p = discriminator(G([z, fresh], training=True), fresh, masks[2])
        loss = bce(tf.ones_like(p), p)
    apply_gradients(optimizers["G"], tape.gradient(loss, G.trainable_variables), G.trainable_variables)
    logged["gLoss"] = float(loss)
    after = {}
    for pairs, net in ((g_pairs, "G"), (d_pairs, "D")):
        opt = optimizers[net]
        for name, var, transpose in pairs:
            fix = (lambda a: a.T) if transpose else (lambda a: a)
            index = opt._get_variable_index(var)
            after[name] = {key: fix(np.asarray(v)) for key, v in
                           (("value", var), ("m", opt._momentums[index]), ("v", opt._velocities[index]))}
    after["moving"] = [(np.asarray(n.moving_mean), np.asarray(n.moving_variance)) for n in _norms(G)]
    return {"after": after, "logged": logged}


# ---- fixtures ----


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A page of its own from disk: the trainer script and the exported digits, nothing else."""
    out = tmp_path_factory.mktemp("trainer")
    web_trainer.export_digits(out)
    shutil.copy(SCRIPT, out / SCRIPT.name)
    page = f'<!doctype html><html><body><script src="{SCRIPT.name}"></script></body></html>'
    (out / "index.html").write_text(page)
    return out


@pytest.fixture
def engine_page(chromium: Browser, folder: Path) -> Iterator[Page]:
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((folder / "index.html").as_uri())
    page.wait_for_function("() => !!window.CGANTrainer")
    yield page
    assert not errors, errors
    page.close()


# ---- the engine ----


@pytest.mark.parametrize("simd", [True, False], ids=["wasm-simd", "plain-js"])
@pytest.mark.parametrize("conditioning", models.CONDITIONING)
def test_one_iteration_is_the_one_keras_makes(engine_page: Page, conditioning: str, simd: bool) -> None:
    """The 2nd iteration of a seeded page run, repeated in Keras from the page's state and draws:
    G's and D's weights, Adam moments and G's moving statistics agree within float32 rounding."""
    page_run = engine_page.evaluate(ITERATION_JS, [conditioning, simd, 1])  # Adam's 2nd step: m, v not 0
    assert page_run["simd"] == simd
    ref = keras_iteration(conditioning, page_run["before"], page_run["draws"])
    after = page_run["after"]
    for name, keras_state in ref["after"].items():
        if name == "moving":
            continue
        for key, expected in keras_state.items():
            got = _tensor(after, name, key)
            scale = max(float(np.abs(expected).max()), 1e-30)
            err = float(np.abs(got - expected).max())
            # weights move by ~lr per step: compare the change, not only the value
            if key == "value":
                moved = got - _tensor(page_run["before"], name, "value")
                want = expected - _tensor(page_run["before"], name, "value")
                step_error = float(np.abs(moved - want).max())
                assert step_error <= 1e-3 * 2e-4 + 2e-6 * scale, (name, step_error)
            else:
                assert err <= 2e-4 * scale + 1e-12, (name, key, err, scale)
    for (mean, var), stats in zip(ref["after"]["moving"], after["moving"], strict=True):
        np.testing.assert_allclose(floats(stats["mean"]), mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(floats(stats["variance"]), var, rtol=1e-4, atol=1e-5)
    logged = page_run["logged"]
    assert abs(logged["dReal"] - ref["logged"]["dReal"]) < 1e-5
    assert abs(logged["dFake"] - ref["logged"]["dFake"]) < 1e-5
    assert abs(logged["gLoss"] - ref["logged"]["gLoss"]) < 1e-5
    assert abs(logged["dLoss"] - 0.5 * (ref["logged"]["dRealLoss"] + ref["logged"]["dFakeLoss"])) < 1e-5


SEEDED_JS = """async () => {
  const digits = await CGANTrainer.loadData('./');
  const run = () => { const e = CGANTrainer.Engine(digits, { seed: 7, dSteps: 2 });
    for (let k = 0; k < 3; k++) e.iteration();
    const w = e.generator()['dense_3/weight'].data; let sum = 0; for (const v of w) sum += v * v;
    return { history: e.stats.history, sum, first: Array.from(w.slice(0, 50)) }; };
  const a = run(), b = run();
  const other = CGANTrainer.Engine(digits, { seed: 8 }); other.iteration();
  return { a, b, other: other.stats.history[0] };
}"""


def test_a_seeded_run_is_repeatable(engine_page: Page) -> None:
    """Same seed, same run (weights from the seed, batches, noise, dropout): equal to the last bit;
    another seed, another run."""
    out = engine_page.evaluate(SEEDED_JS)
    assert out["a"] == out["b"]
    assert out["other"] != out["a"]["history"][0]


# ---- the page of the book ----


def trainer(page: Page):
    return page.locator(".cgan-trainer").first


def ready(page: Page) -> None:
    page.wait_for_function("() => window.cganTrainer && window.cganTrainer.state === 'idle'", timeout=60_000)


def iteration(page: Page) -> int:
    return int(page.evaluate("() => cganTrainer.iteration"))


@pytest.fixture(scope="module")
def book_chromium() -> Iterator[Browser]:
    require_built_book()
    assert (HTML / PAGE).is_file(), f"{PAGE} was not built"
    with launch() as browser:
        yield browser


@pytest.fixture
def trainer_page(book_chromium: Browser) -> Iterator[Page]:
    """The page from disk, its trainer ready; afterwards: no request outside the book, no error."""
    page, log = open_page(book_chromium, PAGE)
    ready(page)
    yield page
    outside = [u for u in log.requested if not u.startswith((HTML.as_uri() + "/", "data:", "blob:"))]
    assert not (outside or log.failed or log.external or log.errors), (outside, log)
    page.close()


_GRID_JS = """() => {
  const c = cganTrainer.grid, px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const size = (c.height + 2) / 10, grey = [];  // the gaps between images: rows and columns of 128
  for (let k = 1; k < 10; k++) for (let g = 0; g < 2; g++) {
    const at = k * size - 2 + g;
    for (let i = 0; i < c.width; i += 7) grey.push(px[4 * (at * c.width + i)], px[4 * (i * c.width + at)]);
  }
  return { width: c.width, height: c.height, grey: [...new Set(grey)] };
}"""


def test_train_pause_resume_reset(trainer_page: Page) -> None:
    """Train runs iterations and says their speed; Pause stops them; Resume carries on; Reset starts
    over. The grid is 10 rows of 28 x 28 images at an integer scale, with equal gaps."""
    page = trainer_page
    grid = page.evaluate(_GRID_JS)
    assert grid["width"] == grid["height"] and (grid["height"] + 2) % 10 == 0
    assert ((grid["height"] + 2) // 10 - 2) % 28 == 0, "not an integer scale of 28 x 28"
    assert grid["grey"] == [128], "the gaps between images are not plain grey"
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("() => cganTrainer.iteration >= 26 && Number(cganTrainer.root.dataset.draws) >= 2",
                           timeout=120_000)
    page.get_by_role("button", name="Pause").click()
    stopped = iteration(page)
    page.wait_for_timeout(500)
    assert iteration(page) == stopped and page.evaluate("() => cganTrainer.speed") > 0
    expect(trainer(page).locator(".cgan-trainer-status")).to_contain_text("iterations per second")
    expect(trainer(page).locator(".cgan-trainer-status")).to_contain_text("D(G(z|y)|y)")
    page.get_by_role("button", name="Resume").click()
    page.wait_for_function("n => cganTrainer.iteration > n", arg=stopped, timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    history = page.evaluate("() => cganTrainer.history.length")
    assert history == iteration(page) > stopped
    page.get_by_role("button", name="Reset").click()
    assert iteration(page) == 0
    expect(page.get_by_role("button", name="Train")).to_be_visible()
    screenshot(page, PAGE)


@pytest.mark.parametrize(("label", "bad"), [("D learning rate", "0.5"), ("G learning rate", "fast"),
                                            ("D steps per G step", "0"), ("D steps per G step", "2.5"),
                                            ("seed", "-3")])
def test_a_bad_knob_value_is_refused_with_a_message(trainer_page: Page, label: str, bad: str) -> None:
    page = trainer_page
    knob = page.get_by_label(label, exact=True)
    before = knob.input_value()
    knob.fill(bad)
    knob.dispatch_event("change")
    expect(trainer(page).locator(".cgan-trainer-message")).to_contain_text("Refused")
    assert knob.input_value() == before
    options = page.evaluate("() => cganTrainer.engine.options")
    assert (options["lrD"], options["lrG"], options["dSteps"]) == (2e-4, 2e-4, 1)


def test_a_good_knob_value_and_a_preset_reach_the_engine(trainer_page: Page) -> None:
    page = trainer_page
    knob = page.get_by_label("G learning rate", exact=True)
    knob.fill("1e-3")
    knob.dispatch_event("change")
    assert page.evaluate("() => cganTrainer.engine.options.lrG") == 1e-3
    page.get_by_label("preset").select_option("strongD")
    options = page.evaluate("() => cganTrainer.engine.options")
    assert (options["lrD"], options["lrG"], options["dSteps"]) == (2e-3, 2e-4, 5)
    page.get_by_label("conditioning").select_option("concatenate")
    page.get_by_role("button", name="Reset").click()
    assert page.evaluate("() => cganTrainer.engine.options.conditioning") == "concatenate"


_HANDED_JS = """() => {
  const z = CGAN.normals(11, 8 * 100), a = CGAN.generate(CGAN.trained, z, 4);
  const b = cganTrainer.engine.sample(z, new Int32Array(8).fill(4));
  let worst = 0; for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}"""


def test_the_trained_generator_goes_to_the_explorer(trainer_page: Page) -> None:
    """After some training, the explorer's engine (cgan-explorer.js) runs the trained G, batch
    normalization folded into the weights: the same pictures as the trainer's own G."""
    page = trainer_page
    assert page.evaluate("() => cganTrainer.run(5)") == 5  # resolves when the 5 iterations are done
    page.get_by_role("button", name="Hand G to the explorer").click()
    page.wait_for_function("() => Number(document.querySelector('.cgan-trainer-explorer').dataset.draws) > 0",
                           timeout=30_000)
    assert page.evaluate(_HANDED_JS) < 1e-4
    samples = np.array(page.evaluate("() => cganTrainer.sample(3, 4, 0)"), "float32")
    assert samples.shape == (4 * 784,) and 0 <= samples.min() and samples.max() <= 1


def test_without_webassembly_simd_the_page_trains_in_plain_javascript(book_chromium: Browser) -> None:
    page = book_chromium.new_page()
    page.add_init_script("WebAssembly.validate = () => false;")  # a browser without WebAssembly SIMD
    try:
        page.goto((HTML / PAGE).as_uri())
        ready(page)
        expect(trainer(page).locator(".cgan-trainer-engine")).to_contain_text("plain JavaScript")
        assert trainer(page).get_attribute("data-engine") == "js"
        page.evaluate("() => cganTrainer.run(1)")
        page.wait_for_function("() => cganTrainer.iteration >= 1", timeout=60_000)
    finally:
        page.close()


def test_served_over_http_the_page_fetches_the_packed_digits(book_chromium: Browser) -> None:
    with served_book() as base:
        page = book_chromium.new_page()
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        try:
            page.goto(base + PAGE)
            ready(page)
            page.evaluate("() => cganTrainer.run(3)")
            page.wait_for_function("() => cganTrainer.iteration >= 3", timeout=60_000)
            assert base + "_static/mnist_train.bin.gz" in requested
            assert base + "_static/mnist_train.js" not in requested
            assert all(u.startswith(base) for u in requested), requested
        finally:
            page.close()


def test_the_page_states_its_own_weight() -> None:
    """The sizes the page's prose gives are those of the files it loads: the digits exactly as rounded,
    the scripts (which change more often) within 10%."""
    import re

    text = " ".join((ROOT / "book" / "train_in_browser.md").read_text().split())
    require_built_book()
    size = lambda name: (HTML / "_static" / name).stat().st_size  # noqa: E731
    said = {
        "script": (r"its script \((\d+) kB\)", size("cgan-trainer.js") / 1e3, 0.1),  # within 10%
        "packed": (r"([\d.]+) MB from a web server", size("mnist_train.bin.gz") / 1e6, 0),  # as rounded
        "disk": (r"\(([\d.]+) MB from disk", size("mnist_train.js") / 1e6, 0),
        "explorer": (r"explorer's script \((\d+) kB\)", size("cgan-explorer.js") / 1e3, 0.1),
    }
    for name, (pattern, actual, relative) in said.items():
        found = re.search(pattern, text)
        assert found, f"the page does not say the {name} size"
        stated = float(found[1])
        slack = relative * actual if relative else 0.005
        assert abs(stated - actual) <= slack, f"{name}: the page says {stated}, the file is {actual:.3f}"
