"""Checking a document's test vectors against the evaluator, by the rule of spec.md 15.11 (``vectorrule``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..document import Document
from ..errors import Finding, escape_pointer_token
from ..vectorrule import RTOL, allowed_atol, compare
from ._run import Plan, run


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
