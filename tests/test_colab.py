"""Colab-faithful test: every chapter runs top to bottom as a reader runs it in Google Colab.

Colab today (tests/colab/colab-runtime.txt names the source): Python 3.13 with its own versions of
TensorFlow, Keras, ipywidgets 7 ..., `google.colab` imported in the kernel, and an empty working
folder. `make test` builds that environment (`.venv-colab`, by tests/colab/make-venv). Each chapter
then runs in a fresh kernel of it, in an empty folder, with a stand-in `google.colab` imported
first; its install cell runs as written, and git sends the repository's GitHub URL to a local copy
of the commit under test. Colab gives every notebook a fresh machine, so what an install cell added
is removed before the next chapter; after each one, no package that Colab preinstalls may have been
upgraded, downgraded or removed (a change there would need a restart of the Colab runtime).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
COLAB = ROOT / "tests" / "colab"
PINS = COLAB / "colab-runtime.txt"
VENV = ROOT / ".venv-colab"
PYTHON = VENV / "bin" / "python"
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
ENTRIES = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]
CHAPTERS = [ROOT / f"{e}.ipynb" for e in ENTRIES if (ROOT / f"{e}.ipynb").exists()]  # not the glossary page


def pinned() -> dict[str, str]:
    """{name: version} of Colab's packages, from the pins file."""
    lines = [line.strip() for line in PINS.read_text().splitlines()]
    return dict(normalise(line) for line in lines if "==" in line and not line.startswith("#"))


def normalise(requirement: str) -> tuple[str, str]:
    name, version = requirement.split("==", 1)
    return name.lower().replace("_", "-").replace(".", "-"), version


def installed() -> dict[str, str]:
    """{name: version} of what the Colab venv holds now (pip freeze --all)."""
    freeze = subprocess.run(
        [PYTHON, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout
    lines = [line.replace(" @ ", "==", 1) for line in freeze.splitlines()]  # "cgan-lib @ git+..." too
    return dict(normalise(line) for line in lines if "==" in line)


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Lines like 'ipywidgets 7.7.1 -> 8.1.9' for every package of `before` removed or moved."""
    return [f"{n} {v} -> {after.get(n, 'removed')}" for n, v in sorted(before.items()) if after.get(n) != v]


def back_to_colab() -> None:
    """Uninstall what a chapter's install cell added (cgan-lib and any missing dependency)."""
    extra = sorted(set(installed()) - set(pinned()))
    if extra:
        subprocess.run([PYTHON, "-m", "pip", "uninstall", "--yes", "--quiet", *extra], check=True)
    now = installed()
    assert now == pinned(), f"the Colab venv differs from {PINS.name}: {changed(pinned(), now)}"


@pytest.fixture(scope="session")
def colab(tmp_path_factory) -> dict:
    """The Colab stand-in: its venv checked, a local copy of HEAD, git's URL rewrite, a kernel spec."""
    assert PYTHON.exists(), f"{VENV} is missing: `make colab-venv` (part of `make test`) makes it"
    stamp = VENV / "colab-runtime.txt"
    assert stamp.exists() and stamp.read_text() == PINS.read_text(), (
        f"{VENV} was made from another {PINS.name}: `make colab-venv` remakes it"
    )
    back_to_colab()

    home = tmp_path_factory.mktemp("colab")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    commit = head.stdout.strip()
    mirror = home / "cgan-book.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", ROOT, mirror], check=True)
    branch = f"refs/heads/{REPOSITORY['branch']}"
    subprocess.run(["git", "--git-dir", mirror, "update-ref", branch, commit], check=True)
    gitconfig = home / "gitconfig"
    gitconfig.write_text(f'[url "file://{mirror}"]\n\tinsteadOf = {REPOSITORY["url"]}\n')

    kernel = home / "jupyter" / "kernels" / "colab"
    kernel.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # Colab draws with the inline backend
    env.update(
        GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1", PYTHONPATH=str(COLAB), CGAN_QUICK="1"
    )
    spec = {
        "argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.exec_lines=import google.colab"],
        "display_name": "Colab stand-in (Python 3.13)",
        "language": "python",
        "env": env,
    }
    (kernel / "kernel.json").write_text(json.dumps(spec))
    return {"home": home, "commit": commit, "jupyter_path": str(home / "jupyter")}


def installed_commit() -> str:
    """The git commit that the installed cgan-lib was built from (pip's direct_url.json)."""
    found = subprocess.run(
        [PYTHON, "-I", "-c", "from importlib.metadata import distribution as d; "
                             "print(d('cgan-lib').read_text('direct_url.json'))"],
        capture_output=True, text=True, check=True,  # -I: not the source tree's own cgan_lib.egg-info
    ).stdout
    return json.loads(found)["vcs_info"]["commit_id"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_in_colab_and_changes_no_preinstalled_package(
    chapter: Path, colab: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Install cell as written, then every cell, in an empty folder; Colab's packages stay as they were."""
    monkeypatch.setenv("JUPYTER_PATH", colab["jupyter_path"])
    back_to_colab()  # Colab gives every notebook a fresh machine
    before = installed()
    notebook = nbformat.read(chapter, as_version=4)
    workdir = tmp_path / "content"
    workdir.mkdir()
    NotebookClient(
        notebook, timeout=900, kernel_name="colab", resources={"metadata": {"path": str(workdir)}}
    ).execute()

    install = next(c for c in notebook.cells if c.cell_type == "code")
    said = "".join(o.get("text", "") for o in install.outputs)
    assert "%pip install" in install.source and "ERROR" not in said, said
    assert installed_commit() == colab["commit"], "the install cell did not install the commit under test"
    after = installed()
    assert not changed(before, after), f"the install cell changed Colab's packages: {changed(before, after)}"
    added = [f"{name}=={after[name]}" for name in sorted(set(after) - set(before))]
    print(f"{chapter.stem}: the install cell added {', '.join(added)}; changed nothing preinstalled")
