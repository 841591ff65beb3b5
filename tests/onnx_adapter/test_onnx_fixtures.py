"""Every valid conformance fixture with test vectors exports to ONNX; framework-computed vectors match."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")  # a formality: `make test` installs the extra, so these run
pytest.importorskip("onnxruntime")

import modeldoc
from modeldoc.onnx import check_onnx, to_onnx
from modeldoc.onnx._check import run_checker, run_test_vectors
from tests.onnx_adapter.onnx_helpers import ZOO_REFUSED
from tests.testutil import CASES as ALL_CASES
from tests.testutil import FIXTURES


def _cases_with_vectors() -> list[str]:
    files = [c["file"] for c in ALL_CASES if c["valid"]]
    refused = tuple(f"valid/keras-zoo-{name}-" for name in ZOO_REFUSED)  # test_onnx_zoo checks why
    return [f for f in files if modeldoc.load(str(FIXTURES / f)).test_vectors and not f.startswith(refused)]


CASES = _cases_with_vectors()


def test_the_manifest_has_fixtures_with_test_vectors() -> None:
    assert len(CASES) >= 3
    # The zoo's "edge" model (go_backwards, output_padding, Softmax over several axes, float64 layers, ...) is
    # among them, so it must export and match too.
    assert "valid/keras-zoo-edge-base64.json" in CASES


@pytest.mark.parametrize("file", CASES)
def test_fixture_exports_and_runs(file: str) -> None:
    doc = modeldoc.load(str(FIXTURES / file))
    model = to_onnx(doc)
    if doc.producer.framework:
        # Vectors computed by the producer's framework: onnxruntime must reproduce them.
        results = check_onnx(doc, model)
    else:
        # No framework: the vectors show the format and are not outputs of the model, so only the
        # export, the checker and a run of every vector are required.
        run_checker(model)
        results = run_test_vectors(doc, model)
    assert {(r.vector, r.output) for r in results} == {
        (k, name) for k, v in enumerate(doc.test_vectors) for name in v.outputs}
