"""Checking a document's test vectors against the evaluator (spec.md 15.11).

An element passes when ``|got - want| <= max(tolerance, ATOL) + RTOL * |want|``,
with ``tolerance`` the test vector's own member. NaN matches NaN and an
infinity matches the same infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..document import Document
from ..dtypes import dtype_of_array
from ..errors import Finding, escape_pointer_token
from ._run import Plan, run

# The floor every float32 comparison gets: measured over the zoo (docs/evaluator.md), with headroom.
ATOL = 1e-5
RTOL = 1e-5


@dataclass(frozen=True)
class VectorCheck:
    """One output of one test vector: how far the evaluator is from the stored result."""

    vector: int
    vector_name: str | None
    output: str
    max_abs_diff: float
    atol: float
    rtol: float
    ok: bool
    problem: str = ""

    @property
    def pointer(self) -> str:
        return f"/test_vectors/{self.vector}/outputs/{escape_pointer_token(self.output)}"

    def finding(self) -> Finding:
        why = self.problem or (f"max |got - want| = {self.max_abs_diff:.3g}, allowed "
                               f"{self.atol:.3g} + {self.rtol:.3g} * |want|")
        return Finding("EVAL_TEST_VECTOR", self.pointer, why)


def allowed_atol(tolerance: float) -> float:
    """The absolute part of the allowed difference for a test vector with this ``tolerance`` member."""
    return max(float(tolerance), ATOL)


def compare(got: np.ndarray, want: np.ndarray, atol: float, rtol: float = RTOL) -> tuple[float, bool, str]:
    """(max |got - want|, whether every element is within ``atol + rtol * |want|``, what is wrong if not);
    the stored ``want`` decides the rule: integer and bool values have to be equal.

    >>> compare(np.array([1.0, 2.0]), np.array([1, 2], "int32"), 1e-5)
    (0.0, True, '')
    >>> compare(np.array([1.5]), np.array([1], "int32"), 1.0)[1]
    False
    """
    if got.shape != want.shape:
        return float("inf"), False, f"shape {list(got.shape)}, the test vector has {list(want.shape)}"
    want_type = dtype_of_array(want)
    if want_type is not None and want_type.kind != "float":
        # The stored tensor's dtype decides (spec.md 15.11): integer and bool outputs are equal or wrong.
        equal = bool(np.array_equal(got, want))
        return (0.0 if equal else float("inf")), equal, "" if equal else "integer results differ"
    g, w = got.astype(np.float64), want.astype(np.float64)
    same = (g == w) | (np.isnan(g) & np.isnan(w))  # also equal infinities
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(g - w))
    diff = np.where(np.isnan(diff), np.inf, diff)
    ok = bool(np.all(diff <= atol + rtol * np.where(np.isfinite(w), np.abs(w), 0.0)))
    return (float(diff.max()) if diff.size else 0.0), ok, ""


def check_test_vectors(doc: Document) -> list[VectorCheck]:
    """Evaluate every test vector of ``doc`` and compare each output with the stored one.

    Raises ModelDocError (``EVAL_*``) if the model cannot be evaluated at all.

    >>> import numpy as np, modeldoc
    >>> g = modeldoc.Graph(layers=[modeldoc.Layer("d", "Dense", {"units": 1}, ["k", "b"])],
    ...     inputs=[modeldoc.Input("x", "float32", [None, 2])], nodes=[modeldoc.Node("d", ["x"], ["y"])],
    ...     outputs=["y"])
    >>> doc = modeldoc.Document(g, {"k": np.ones((2, 1), "float32"), "b": np.zeros(1, "float32"),
    ...     "in": np.array([[1, 2]], "float32"), "out": np.array([[3]], "float32")},
    ...     producer=modeldoc.Producer(framework="keras"),
    ...     test_vectors=[modeldoc.TestVector({"x": "in"}, {"y": "out"})])
    >>> [(c.output, c.max_abs_diff, c.ok) for c in check_test_vectors(doc)]
    [('y', 0.0, True)]
    """
    plan = Plan(doc)
    checks = []
    for k, vector in enumerate(doc.test_vectors):
        outputs = run(plan, {name: doc.tensors[t] for name, t in vector.inputs.items()})
        atol = allowed_atol(vector.tolerance)
        for name, tensor in vector.outputs.items():
            diff, ok, problem = compare(outputs[name], doc.tensors[tensor], atol)
            checks.append(VectorCheck(k, vector.name, name, diff, atol, RTOL, ok, problem))
    return checks
