"""The generator on the web page: export G(z|y) for the browser, and the explorer that runs it there.

`export` writes a trained generator as a JSON header (layers, shapes, conditioning) and one binary
file of weights, plus the same two wrapped in a .js file, because a page opened from disk (file://)
may load a script but not fetch a file. Batch normalization is folded into the dense layer after
it, so the browser (book/_js/cgan-explorer.js) runs four matrix products, LeakyReLU and tanh.
`WebGenerator` is the same computation in NumPy: what the export means, and what tests compare.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from IPython.display import HTML
from keras import layers

from cgan_lib.checks import check_choice, check_digit, check_positive, check_seed
from cgan_lib.data import to_display
from cgan_lib.models import CONDITIONING, conditioning_of, load_generator

FORMAT = "cgan-web-generator/1"
DTYPES = ("float16", "float32")
PAGE_NOTE = (
    "This explorer runs in the browser on the book's web page. In Colab or Jupyter, use the "
    "live ipywidgets explorer instead: <code>cgan_lib.widgets.digit_explorer()</code>."
)


@dataclass
class Dense:
    """One dense layer for inference: y = activation(x @ weight.T + bias), weight (out, in)."""

    weight: np.ndarray
    bias: np.ndarray
    activation: str = "linear"  # "linear" | "leaky_relu" | "tanh"
    negative_slope: float = 0.0


@dataclass
class WebGenerator:
    """G(z|y) with batch normalization folded away: label embedding, conditioning, dense layers."""

    conditioning: str
    embedding: np.ndarray  # (num_classes, latent_dim)
    dense: list[Dense] = field(default_factory=list)
    image_shape: tuple[int, ...] = (28, 28, 1)

    def __call__(self, z: np.ndarray, digits, others=None, t=0.0) -> np.ndarray:
        """Images (n, 28, 28) in [0, 1] for label vectors (1 - t) e(digit) + t e(other), as in the browser."""
        z = np.asarray(z, dtype="float32")
        digits = np.broadcast_to(digits, len(z))
        others = digits if others is None else np.broadcast_to(others, len(z))
        t = np.broadcast_to(np.asarray(t, "float32").reshape(-1, 1), (len(z), 1))
        table = self.embedding.astype("float32")
        label = (1 - t) * table[digits] + t * table[others]
        h = z * label if self.conditioning == "multiply" else np.concatenate([z, label], axis=1)
        for layer in self.dense:
            h = h @ layer.weight.astype("float32").T + layer.bias.astype("float32")
            if layer.activation == "leaky_relu":
                h = np.where(h > 0, h, layer.negative_slope * h)
            elif layer.activation == "tanh":
                h = np.tanh(h)
        return to_display(h.reshape(len(z), *self.image_shape[:2]))

    def rounded(self, dtype: str) -> WebGenerator:
        """The same generator with every weight stored as `dtype` (what an export in that dtype holds)."""
        check_choice("dtype", dtype, DTYPES)
        dense = [Dense(d.weight.astype(dtype), d.bias.astype(dtype), d.activation, d.negative_slope)
                 for d in self.dense]
        return WebGenerator(self.conditioning, self.embedding.astype(dtype), dense, self.image_shape)


def fold(generator: keras.Model) -> WebGenerator:
    """The generator's inference computation with each BatchNormalization folded into the next Dense.

    BN(x) = s * x + c with s = gamma / sqrt(var + eps) and c = beta - mean * s, so the Dense after it
    computes (s * x + c) @ W + b = x @ (s[:, None] * W) + (c @ W + b): the same layer, other weights.
    """
    names = {layer.name for layer in generator.layers}
    if not {"condition", "label_embedding", "generator_body"} <= names:
        raise ValueError(f"expected a generator of models.build_generator; got the model {generator.name!r}")
    conditioning = conditioning_of(generator)
    embedding = generator.get_layer("label_embedding").get_weights()[0]
    dense: list[Dense] = []
    pending = None  # (s, c) of a batch normalization waiting for the next Dense
    for layer in generator.get_layer("generator_body").layers:
        if isinstance(layer, layers.Dense):
            kernel, bias = (w.astype("float64") for w in layer.get_weights())
            if pending is not None:
                scale, shift = pending
                kernel, bias, pending = scale[:, None] * kernel, shift @ kernel + bias, None
            activation = layer.activation.__name__
            if activation not in ("linear", "tanh"):
                raise ValueError(f"cannot export a Dense layer with activation {activation!r} for the web")
            dense.append(Dense(kernel.T, bias, activation))
        elif isinstance(layer, layers.LeakyReLU):
            dense[-1].activation, dense[-1].negative_slope = "leaky_relu", float(layer.negative_slope)
        elif isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = (w.astype("float64") for w in layer.get_weights())
            scale = gamma / np.sqrt(var + layer.epsilon)
            pending = (scale, beta - mean * scale)
        elif not isinstance(layer, layers.Reshape):
            raise ValueError(f"cannot export a {type(layer).__name__} layer ({layer.name!r}) for the web")
    if pending is not None:
        raise ValueError("the generator ends with a batch normalization: nothing to fold it into")
    shape = tuple(int(d) for d in generator.outputs[0].shape[1:])
    return WebGenerator(conditioning, embedding.astype("float64"), dense, shape)


def _tensors(model: WebGenerator) -> list[tuple[str, np.ndarray]]:
    named = [("label_embedding", model.embedding)]
    for i, layer in enumerate(model.dense):
        named += [(f"dense_{i}/weight", layer.weight), (f"dense_{i}/bias", layer.bias)]
    return named


def header(model: WebGenerator, dtype: str = "float16", weights: str = "") -> dict:
    """The JSON header: conditioning, shapes, layers, and where each tensor starts in the weights file."""
    check_choice("dtype", dtype, DTYPES)
    offset, tensors = 0, {}
    for name, array in _tensors(model):
        tensors[name] = {"shape": list(array.shape), "offset": offset}
        offset += array.size
    num_classes, latent_dim = model.embedding.shape
    return {
        "format": FORMAT,
        "conditioning": model.conditioning,
        "latent_dim": latent_dim,
        "num_classes": num_classes,
        "image_shape": list(model.image_shape),
        "output": "tanh, shown as (x + 1) / 2",
        "dtype": dtype,
        "byte_order": "little",
        "weights": weights,
        "values": offset,
        "tensors": tensors,  # offsets count values, not bytes; weight matrices are (out, in), row-major
        "layers": [
            {"name": f"dense_{i}", "units": len(d.bias), "inputs": d.weight.shape[1],
             "activation": d.activation, "negative_slope": d.negative_slope}
            for i, d in enumerate(model.dense)
        ],
    }


def export(model: WebGenerator | keras.Model, out_dir: str | Path, name: str, dtype: str = "float16") -> dict:
    """Write NAME.json (header), NAME.bin (weights) and NAME.js (both, for pages opened from disk).

    Returns the header.
    """
    if isinstance(model, keras.Model):
        model = fold(model)
    head = header(model, dtype, f"{name}.bin")
    data = np.concatenate([a.ravel() for _, a in _tensors(model)]).astype(np.dtype(dtype).newbyteorder("<"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(head, indent=1) + "\n")
    (out / f"{name}.bin").write_bytes(data.tobytes())
    wrapped = {"header": head, "base64": base64.b64encode(data.tobytes()).decode("ascii")}
    registry = "(window.cganGenerators = window.cganGenerators || {})"
    (out / f"{name}.js").write_text(f"{registry}[{json.dumps(name)}] = {json.dumps(wrapped)};\n")
    return head


def read(path: str | Path) -> WebGenerator:
    """Read an export back from its NAME.json header (and the NAME.bin next to it)."""
    path = Path(path)
    if path.suffix != ".json" or not path.is_file():
        raise ValueError(f"expected the .json header of a web export; got {str(path)!r}")
    head = json.loads(path.read_text())
    if head.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} header (format {head.get('format')!r})")
    data = np.fromfile(path.with_name(head["weights"]), dtype=np.dtype(head["dtype"]).newbyteorder("<"))
    if data.size != head["values"]:
        raise ValueError(f"{head['weights']} holds {data.size} values; the header says {head['values']}")

    def tensor(name: str) -> np.ndarray:
        spec = head["tensors"][name]
        return data[spec["offset"] : spec["offset"] + int(np.prod(spec["shape"]))].reshape(spec["shape"])

    dense = [
        Dense(tensor(f"{layer['name']}/weight"), tensor(f"{layer['name']}/bias"), layer["activation"],
              layer["negative_slope"])
        for layer in head["layers"]
    ]
    return WebGenerator(head["conditioning"], tensor("label_embedding"), dense, tuple(head["image_shape"]))


def export_shipped(out_dir: str | Path, dtype: str = "float16") -> list[Path]:
    """Export both shipped generators (multiply, concatenate) as generator_<conditioning>.{json,bin,js}."""
    check_choice("dtype", dtype, DTYPES)
    written = []
    for conditioning in CONDITIONING:
        name = f"generator_{conditioning}"
        export(load_generator(conditioning=conditioning), out_dir, name, dtype)
        written += [Path(out_dir) / f"{name}.{suffix}" for suffix in ("json", "bin", "js")]
    return written


CONTROLS = ("digit", "seed", "samples", "same_z", "blend", "walk", "generator")


def page_explorer(
    *,
    digit: int = 3,
    seed: int = 0,
    samples: int = 8,
    controls: tuple[str, ...] = CONTROLS,
    static: str = "../_static",
):
    """An HTML block that runs the exported generator in the reader's browser (book/_js/cgan-explorer.js).

    On the book's web page the script replaces the note with the explorer; in Colab or Jupyter there
    is no `static` folder, the script does not load, and the note (pointing to the ipywidgets
    explorer) stays. `controls` chooses which controls show; `static` is the page's _static folder.
    """
    check_digit(digit)
    check_seed(seed)
    if check_positive("samples", samples) > 8:
        raise ValueError(f"samples must be at most 8; got {samples}")
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown or not controls:
        raise ValueError(f"controls must be a non-empty subset of {', '.join(CONTROLS)}; got {controls!r}")
    attrs = {"digit": digit, "seed": seed, "samples": samples, "controls": ",".join(controls)}
    data = " ".join(f'data-{k}="{html.escape(str(v))}"' for k, v in {**attrs, "static": static}.items())
    src = html.escape(f"{static}/cgan-explorer.js")
    return HTML(
        f'<div class="cgan-explorer" {data}><p class="cgan-explorer-note">{PAGE_NOTE}</p></div>\n'
        f'<script src="{src}" defer></script>'
    )

