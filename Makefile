# ModelDoc. `make demo` and `make test` set up everything they need in .venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test generate check-generated clean

$(STAMP): requirements/runtime.txt requirements/test.txt requirements/keras.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/keras.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## demo: build a model from NumPy arrays, save it in all three encodings, validate, inspect, convert back, compare
demo: $(STAMP)
	$(PY) scripts/demo.py

## test: generated files current, strict type check, unit/property/conformance tests and doctests
test: $(STAMP)
	$(PY) scripts/generate.py --check
	$(PY) -m mypy
	$(PY) -m pytest

## generate: rewrite the schema copy, spec.md's code table and conformance_fixtures/
generate: $(STAMP)
	$(PY) scripts/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis python/*.egg-info
