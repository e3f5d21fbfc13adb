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
from browser import ROOT, launch
from keras import layers
from playwright.sync_api import Browser, Page

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
