"""The project's promises: the README's commands, CI, and pyproject.toml == environment.yml."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_names(requirements) -> dict[str, str]:
    """{normalised name: full requirement} for requirement strings."""
    found = {}
    for requirement in requirements:
        name = re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0]
        found[name.lower().replace("_", "-")] = requirement.replace(" ", "")
    return found


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = requirement_names(
        project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = requirement_names([d for d in conda if not d.startswith(("python", "pip"))])
    listed.update(requirement_names([p for p in pip if not p.startswith("-e")]))
    assert listed == wanted
    assert "-e ." in pip
    python = next(d for d in conda if d.startswith("python"))
    assert python.replace("python", "") == project["requires-python"]


def test_jupyter_book_is_pinned_below_2():
    assert "jupyter-book<2" in (ROOT / "pyproject.toml").read_text()
    assert "jupyter-book<2" in (ROOT / "environment.yml").read_text()


def test_readme_commands_are_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", readme, flags=re.M)
    assert commands[:2] == ["make book", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^book:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
