"""The book's sources follow the house rules (fast: reads files, builds nothing)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from markdown_it import MarkdownIt
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
INSTALL_CELL = """\
# In Colab: install the book's library. Elsewhere this cell does nothing.
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{name} @ git+{url}@{branch}\""""
NBVAL_TAGS = {"nbval-check-output", "nbval-ignore-output", "nbval-skip", "nbval-raises-exception"}


def toc_files() -> list[str]:
    """The toc entries in reading order (root, chapters, parts' chapters), without suffix."""
    files = [TOC["root"]] + [c["file"] for c in TOC.get("chapters", [])]
    return files + [c["file"] for part in TOC.get("parts", []) for c in part["chapters"]]


NOTEBOOKS = sorted(ROOT.glob("book/*.ipynb"))
NB_IDS = [nb.stem for nb in NOTEBOOKS]


def read(nb: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4."""
    return nbformat.read(nb, as_version=4)


def test_toc_entries_exist_and_cover_every_notebook() -> None:
    """Every toc entry is a file; every notebook in book/ is in the toc, once."""
    files = toc_files()
    assert len(files) == len(set(files)), "a toc entry is listed twice"
    missing = [f for f in files if not list(ROOT.glob(f"{f}.*"))]
    assert not missing, f"toc entries without a file: {missing}"
    absent = [nb.relative_to(ROOT).with_suffix("").as_posix() for nb in NOTEBOOKS]
    assert not [f for f in absent if f not in files], "notebooks missing from _toc.yml"


def test_jupyter_book_1_is_pinned() -> None:
    """Jupyter Book 2 has no Colab button and needs the network: pyproject pins jupyter-book<2."""
    reqs = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["book"]]
    jb = [r for r in reqs if r.name == "jupyter-book"]
    assert jb and not jb[0].specifier.contains("2.0") and jb[0].specifier.contains("1.0.4")


def test_build_outputs_are_gitignored() -> None:
    """_build, .venv and the fetched web assets are never committed."""
    paths = ["_build", ".venv", ".venv-colab", "book/_vendor", "_build/.jupyter_cache"]
    ignored = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert sorted(ignored) == sorted(paths)


def test_no_root_static_folder() -> None:
    """A root _static/ makes Jupyter Book add every .js of every static path (MathJax!) to pages."""
    assert not (ROOT / "_static").exists(), "use another folder name for static files"


def test_config_repository_gives_the_colab_path() -> None:
    """path_to_book is empty, so Colab opens <repository>/blob/<branch>/book/<name>.ipynb."""
    repo = CONFIG["repository"]
    assert repo["url"].startswith("https://github.com/") and not repo["url"].endswith("/")
    assert not repo.get("path_to_book")
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_notebook_is_valid_and_uses_the_python3_kernel(nb: Path) -> None:
    """Valid nbformat, kernel 'python3' (the build's own Python)."""
    notebook = read(nb)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_colab_opens_the_notebook_on_a_gpu_runtime(nb: Path) -> None:
    """Colab reads `accelerator` and `colab.gpuType` from the notebook and starts a T4 GPU runtime."""
    metadata = read(nb).metadata
    assert metadata.get("accelerator") == "GPU"
    assert metadata.get("colab", {}).get("gpuType") == "T4"


def nonblank_lines(text: str) -> list[str]:
    """The lines of a text that are not blank, right-stripped (ruff wants a blank after imports)."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_first_code_cell_installs_the_library_from_the_configured_repository(nb: Path) -> None:
    """The first code cell is the standard install cell, from _config.yml's repository@branch."""
    repo = CONFIG["repository"]
    expected = INSTALL_CELL.format(name=PYPROJECT["project"]["name"], url=repo["url"], branch=repo["branch"])
    code = [c for c in read(nb).cells if c.cell_type == "code"]
    assert code, "the notebook has no code cell"
    assert nonblank_lines(code[0].source) == nonblank_lines(expected)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_checked_cells_do_not_glue(nb: Path) -> None:
    """`glue` adds an output nbval would compare (and the reference does not keep): glue elsewhere."""
    gluing = [
        i
        for i, c in enumerate(read(nb).cells)
        if "nbval-check-output" in c.metadata.get("tags", []) and "glue(" in c.source
    ]
    assert not gluing, f"cells {gluing} are checked by nbval and call glue: move the glue to another cell"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_only_checked_cells_carry_outputs(nb: Path) -> None:
    """The build runs the notebooks; only nbval's reference for `nbval-check-output` cells is committed
    (text output and execution count, written by scripts/store-checked-outputs), never images."""
    cells = [c for c in read(nb).cells if c.cell_type == "code"]
    stray = [
        i for i, c in enumerate(cells) if c.outputs and "nbval-check-output" not in c.metadata.get("tags", [])
    ]
    counted = [
        i
        for i, c in enumerate(cells)
        if (c.execution_count is not None) != ("nbval-check-output" in c.metadata.get("tags", []))
    ]
    images = [i for i, c in enumerate(cells) for o in c.outputs if set(o.get("data", {})) - {"text/plain"}]
    missing = [
        i for i, c in enumerate(cells) if "nbval-check-output" in c.metadata.get("tags", []) and not c.outputs
    ]
    assert not (stray or counted or images or missing), (
        f"outputs on unchecked cells {stray}, counts off checked cells {counted}, rich outputs {images}, "
        f"checked cells without a stored reference {missing}: run scripts/store-checked-outputs"
    )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_nbval_uses_tags_not_comments(nb: Path) -> None:
    """nbval is steered with cell tags, never `# NBVAL_...` comments (they show in the book)."""
    for i, cell in enumerate(read(nb).cells):
        assert not re.search(r"nbval_", cell.source, re.I), f"cell {i} has an NBVAL comment"
        tags = {t for t in cell.metadata.get("tags", []) if t.lower().startswith("nbval")}
        assert tags <= NBVAL_TAGS, f"cell {i} has unknown nbval tags {tags - NBVAL_TAGS}"


def headings_and_items(markdown: str) -> list[tuple[str, str]]:
    """A markdown text's headings ('h', text) and top-level list items ('li', '') in order."""
    found, depth = [], 0
    tokens = MarkdownIt("commonmark").parse(markdown)
    for tok, nxt in zip(tokens, tokens[1:] + tokens[:1], strict=True):
        if tok.type == "heading_open":
            found.append(("h", nxt.content))
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open" and depth == 1:
            found.append(("li", ""))
    return found


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_notebook_ends_with_exercises(nb: Path) -> None:
    """The last section is 'Exercises' (any heading level) with 2 or 3 top-level list items."""
    marks = [m for c in read(nb).cells if c.cell_type == "markdown" for m in headings_and_items(c.source)]
    heads = [i for i, (kind, _) in enumerate(marks) if kind == "h"]
    assert heads, "the notebook has no heading"
    assert "exercises" in marks[heads[-1]][1].lower(), (
        f"the last heading is {marks[heads[-1]][1]!r}, not an Exercises section"
    )
    items = sum(kind == "li" for kind, _ in marks[heads[-1] :])
    assert 2 <= items <= 3, f"the Exercises section has {items} list items, not 2 or 3"


def test_readme_lists_every_chapter_with_its_colab_badge() -> None:
    """The README's chapter table: every chapter in toc order, its title, and its Open-in-Colab link."""
    readme = (ROOT / "README.md").read_text()
    badge = r"\[!\[Open in Colab\]\([^)]+\)\]\(([^)]+)\)"
    times = r"(?: [^|]+ \|)*"  # the running-time columns, if any
    rows = re.findall(rf"^\| (\d+) \| \[([^\]]+)\]\(([^)]+)\) \| {badge} \|{times}$", readme, flags=re.M)
    chapters = [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]
    assert [r[2] for r in rows] == [f"{f}.ipynb" for f in chapters]
    repo, slug = CONFIG["repository"], CONFIG["repository"]["url"].removeprefix("https://github.com/")
    for number, title, path, colab in rows:
        first_heading = next(
            line[2:] for c in read(ROOT / path).cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("# ")
        )
        assert title == first_heading, f"chapter {number}: README {title!r}, notebook {first_heading!r}"
        assert colab == f"https://colab.research.google.com/github/{slug}/blob/{repo['branch']}/{path}"


RUNNING_TIME = re.compile(
    r"All cells: about \*\*(?P<cpu>[^*]+)\*\* on a 2-core CPU, "
    r"about \*\*(?P<gpu>[^*]+)\*\* on Colab's GPU \(an estimate\)\."
)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=NB_IDS)
def test_chapter_says_its_running_time_under_the_title(nb: Path) -> None:
    """scripts/chapter-times measured the chapter on a CPU and estimated a Colab T4; the note follows
    the title, and the README's chapter table shows the same two figures."""
    cells = read(nb).cells
    tagged = [i for i, c in enumerate(cells) if "running-time" in c.metadata.get("tags", [])]
    title = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("# "))
    assert tagged == [title + 1], f"the running-time note is at cells {tagged}, not right after the title"
    found = RUNNING_TIME.search(cells[tagged[0]].source.replace("\n", " "))
    assert found, "the running-time note does not say both figures"
    path = nb.relative_to(ROOT).as_posix()
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if f"]({path})" in line)
    assert row.rstrip(" |").split(" | ")[-2:] == [found["cpu"], found["gpu"]]
