"""The web export: folding batch normalization keeps Keras's inference output; header, files, bad input."""

import base64
import json

import keras
import numpy as np
import pytest

from cgan_lib import data, models, sampling, web
from conftest import run_cli

GREY_LEVEL = 1 / 255  # float16 weights must change no pixel by a grey level of the 8-bit canvas


@pytest.fixture(scope="module", params=models.CONDITIONING)
def generator(request):
    return models.load_generator(conditioning=request.param)


def pictures(generator, z, digits):
    """What Keras draws, in the browser's [0, 1] (the web generator paints pixels)."""
    return data.to_display(sampling.generate_from(generator, z, digits))


@pytest.fixture(scope="module")
def probe():
    """Ten noise vectors per digit."""
    return sampling.noise(100, seed=5), np.repeat(np.arange(10), 10)


def test_folding_batch_normalization_keeps_the_inference_output(generator, probe):
    folded = web.fold(generator)
    assert [d.activation for d in folded.dense] == ["leaky_relu"] * 3 + ["tanh"]
    assert [d.negative_slope for d in folded.dense[:3]] == [0.2] * 3
    z, digits = probe
    np.testing.assert_allclose(folded(z, digits), pictures(generator, z, digits), atol=2e-5)


def test_folding_uses_the_moving_statistics(probe):
    """A generator whose BN statistics are far from 0 and 1: folded and Keras still agree (not a no-op)."""
    g = models.build_generator()
    rng = np.random.default_rng(0)
    for layer in g.get_layer("generator_body").layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 1, beta.shape),
                               rng.normal(0, 2, mean.shape), rng.uniform(0.1, 4, var.shape)])
    z, digits = probe
    expected = pictures(g, z, digits)
    np.testing.assert_allclose(web.fold(g)(z, digits), expected, atol=2e-5)
    plain = models.build_generator()
    plain.set_weights([w for w in g.get_weights()])
    for layer in plain.get_layer("generator_body").layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([np.ones_like(w) if i in (0, 3) else np.zeros_like(w)
                               for i, w in enumerate(layer.get_weights())])
    assert np.abs(web.fold(plain)(z, digits) - expected).max() > 0.05, "the statistics changed nothing"


def test_blend_matches_the_label_blend_of_sampling(generator, probe):
    z = probe[0][:6]
    t = np.linspace(0, 1, 6)
    expected = data.to_display(sampling.LabelBlend(generator)(z, 3, 8, t))
    np.testing.assert_allclose(web.fold(generator)(z, 3, 8, t), expected, atol=2e-5)


@pytest.mark.parametrize(("dtype", "tolerance"), [("float16", GREY_LEVEL), ("float32", 2e-5)])
def test_export_writes_header_weights_and_script_that_read_back(generator, probe, tmp_path, dtype, tolerance):
    head = web.export(generator, tmp_path, "g", dtype)
    conditioning = generator.name.removeprefix("generator_")
    inputs = 100 if conditioning == "multiply" else 200
    assert json.loads((tmp_path / "g.json").read_text()) == head
    assert head["format"] == web.FORMAT and head["conditioning"] == conditioning and head["dtype"] == dtype
    assert (head["latent_dim"], head["num_classes"], head["image_shape"]) == (100, 10, [28, 28, 1])
    assert [(lay["inputs"], lay["units"]) for lay in head["layers"]] == [
        (inputs, 256), (256, 512), (512, 1024), (1024, 784)
    ]
    assert head["tensors"]["dense_0/weight"] == {"shape": [256, inputs], "offset": 1000}
    bn_params = 4 * (256 + 512 + 1024)  # gamma, beta, mean, variance: gone into the dense layers
    assert head["values"] == generator.count_params() - bn_params
    data = (tmp_path / "g.bin").read_bytes()
    assert len(data) == head["values"] * np.dtype(dtype).itemsize and head["weights"] == "g.bin"
    script = (tmp_path / "g.js").read_text()
    prefix = '(window.cganGenerators = window.cganGenerators || {})["g"] = '
    assert script.startswith(prefix) and script.endswith(";\n")
    wrapped = json.loads(script[len(prefix) : -2])
    assert wrapped["header"] == head and base64.b64decode(wrapped["base64"]) == data
    z, digits = probe
    read = web.read(tmp_path / "g.json")
    error = np.abs(read(z, digits) - pictures(generator, z, digits)).max()
    assert error < tolerance
    np.testing.assert_array_equal(read(z, digits), web.fold(generator).rounded(dtype)(z, digits))


def test_export_shipped_writes_both_generators(tmp_path):
    written = web.export_shipped(tmp_path)
    assert sorted(p.name for p in written) == sorted(
        f"generator_{c}.{s}" for c in models.CONDITIONING for s in ("json", "bin", "js")
    )
    assert all(p.is_file() for p in written)


def test_bad_input_is_refused_with_one_clear_error(tmp_path):
    g = models.build_generator()
    with pytest.raises(ValueError, match=r"dtype must be one of 'float16', 'float32'; got 'float64'"):
        web.export(g, tmp_path, "g", "float64")
    with pytest.raises(ValueError, match=r"expected the \.json header of a web export; got '.*g\.bin'"):
        web.read(tmp_path / "g.bin")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match=r"is not a cgan-web-generator/1 header \(format 'something else'\)"):
        web.read(tmp_path / "other.json")
    web.export(g, tmp_path, "g")
    (tmp_path / "g.bin").write_bytes((tmp_path / "g.bin").read_bytes()[:-2])
    with pytest.raises(ValueError, match=r"g\.bin holds 1487351 values; the header says 1487352"):
        web.read(tmp_path / "g.json")
    x = keras.Input((4,))
    odd = keras.Model(x, keras.layers.Dense(2)(x), name="odd")
    with pytest.raises(ValueError, match=r"expected a generator of .*; got the model 'odd'"):
        web.fold(odd)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"digit": 10}, r"digit must be an integer from 0 to 9; got 10"),
        ({"seed": -1}, r"seed must be an integer >= 0; got -1"),
        ({"samples": 9}, r"samples must be at most 8; got 9"),
        ({"samples": 0}, r"samples must be a positive integer; got 0"),
        ({"controls": ("digit", "style")}, r"controls must be a non-empty subset of digit, seed, .*; got"),
        ({"controls": ()}, r"controls must be a non-empty subset"),
    ],
)
def test_page_explorer_misuse(settings, message):
    with pytest.raises(ValueError, match=message):
        web.page_explorer(**settings)


def test_page_explorer_is_a_note_that_the_script_replaces():
    """The cell's output: the note (what Colab and Jupyter show) inside the block the script fills."""
    block = web.page_explorer(digit=7, seed=2, samples=4, controls=("digit", "seed")).data
    assert block.startswith('<div class="cgan-explorer" data-digit="7" data-seed="2" data-samples="4" '
                            'data-controls="digit,seed" data-static="../_static">')
    assert f'<p class="cgan-explorer-note">{web.PAGE_NOTE}</p></div>' in block
    assert block.endswith('<script src="../_static/cgan-explorer.js" defer></script>')


def test_cli_export_web(tmp_path):
    out = tmp_path / "static"
    result = run_cli("export-web", "--out", str(out), "--dtype", "float32")
    assert result.returncode == 0, result.stderr
    assert "generator_multiply.json, .bin (5.95 MB of float32) and .js" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"generator_{c}.{s}" for c in models.CONDITIONING for s in ("json", "bin", "js")
    )
    one = run_cli("export-web", "--out", str(tmp_path / "one"), "--conditioning", "concatenate",
                  "--weights", str(models.shipped_generator_path("concatenate")))
    assert one.returncode == 0, one.stderr
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "generator_concatenate.bin", "generator_concatenate.js", "generator_concatenate.json"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dtype", "int8"], "--dtype must be one of 'float16', 'float32'; got 'int8'"),
        (["--weights", "missing.weights.h5"], "no weights of the 'multiply' generator at missing.weights.h5"),
        (
            ["--weights", "w.txt"],
            "weights of the 'multiply' generator must be a Keras .weights.h5 file; got 'w.txt'",
        ),
    ],
)
def test_cli_export_web_bad_input(tmp_path, args, message):
    result = run_cli("export-web", "--out", str(tmp_path / "out"), *args, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.strip() == f"cgan export-web: error: {message}"
    assert not (tmp_path / "out").exists()


def test_cli_export_web_out_is_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    result = run_cli("export-web", "--out", str(tmp_path / "f"))
    assert result.returncode == 2
    message = f"--out must be a folder; '{tmp_path / 'f'}' is a file"
    assert result.stderr.strip() == f"cgan export-web: error: {message}"
