"""Checking an exported model: onnx.checker (full check), then onnxruntime against the test vectors.

Each output is held to the test-vector rule of spec.md 15.11 (``modeldoc.vectorrule``), the one
``modeldoc run`` applies: the test vectors hold what the producing framework computed, and their
``tolerance`` says how far another correct implementation, such as ONNX Runtime, may land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from ..document import Document
from ..errors import Finding, ModelDocError, pointer
from ..vectorrule import RTOL, allowed_atol, compare


@dataclass(frozen=True)
class OutputCheck:
    """One output of one test vector: the largest absolute difference and the bound it was held to,
    ``atol + rtol * |want|`` per element."""

    vector: int
    output: str
    max_abs_diff: float
    atol: float
    rtol: float
    ok: bool

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "BEYOND TOLERANCE"
        return (f"test vector {self.vector}, output {self.output!r}: max abs difference {self.max_abs_diff:.3g} "
                f"(allowed {self.atol:.3g} + {self.rtol:.3g} * |want|) {verdict}")


def run_checker(model: onnx.ModelProto) -> None:
    """onnx.checker.check_model with full_check (strict shape inference); a failure is ONNX_UNSUPPORTED."""
    try:
        # Strict shape inference first: its message names the node (and so the layer) that does not fit.
        onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelDocError.of("ONNX_UNSUPPORTED", _layer_pointer(model, first),
                               f"the exported model fails onnx.checker: {first}") from None


def _layer_pointer(model: onnx.ModelProto, message: str) -> str:
    """The pointer of the layer whose node the message names (each node's doc_string), else ""."""
    found = re.search(r"node name: ([^)]*)\)", message)
    if found:
        for node in model.graph.node:
            if node.name == found.group(1):
                return str(node.doc_string)
    return ""


def _session(model: onnx.ModelProto) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4  # failures are reported as findings, not logged
    try:
        return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types, not exported as a stable API
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelDocError.of("ONNX_UNSUPPORTED", "", f"onnxruntime cannot load the exported model: "
                               f"{first}") from None


def run_test_vectors(doc: Document, model: onnx.ModelProto) -> list[OutputCheck]:
    """Run the model in onnxruntime on every test vector; one OutputCheck per vector and output.

    Raises ModelDocError (``EVAL_TEST_VECTOR``) when a vector lacks a graph input,
    and ``ONNX_UNSUPPORTED`` when onnxruntime cannot load or run the model.
    """
    session = _session(model)
    onnx_inputs = [i.name for i in model.graph.input]
    onnx_outputs = [o.name for o in model.graph.output]
    results: list[OutputCheck] = []
    for k, vector in enumerate(doc.test_vectors):
        missing = [i.name for i in doc.model.inputs if i.name not in vector.inputs]
        if missing:
            raise ModelDocError.of("EVAL_TEST_VECTOR", f"/test_vectors/{k}/inputs",
                                   f"test vector {k} gives no value for the input(s) {', '.join(missing)}")
        feeds = {onnx_name: np.ascontiguousarray(doc.tensors[vector.inputs[i.name]])
                 for onnx_name, i in zip(onnx_inputs, doc.model.inputs)}
        try:
            got = session.run(onnx_outputs, feeds)
        except Exception as e:  # onnxruntime's own exception types
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelDocError.of("ONNX_UNSUPPORTED", f"/test_vectors/{k}",
                                   f"onnxruntime cannot run the exported model on test vector {k}: {first}") from None
        for name, array in zip(doc.model.outputs, got):
            if name not in vector.outputs:
                continue
            atol = allowed_atol(vector.tolerance)
            diff, ok, _ = compare(np.asarray(array), doc.tensors[vector.outputs[name]], atol)
            results.append(OutputCheck(k, name, diff, atol, RTOL, ok))
    return results


def failures(results: list[OutputCheck]) -> list[Finding]:
    """One ``EVAL_TEST_VECTOR`` finding per output beyond its tolerance."""
    return [Finding("EVAL_TEST_VECTOR", pointer("test_vectors", r.vector, "outputs", r.output),
                    f"onnxruntime's output differs from the test vector by {r.max_abs_diff:.3g}, beyond "
                    f"{r.atol:.3g} + {r.rtol:.3g} * |want| (spec.md 15.11)") for r in results if not r.ok]
