"""What ONNX export supports, and the check that lists everything it does not, before anything is built.

The table maps each layer type to its :class:`~._config.Op`; which types it holds is the catalogue's word
(``modeldoc.profile``, checked at import). :func:`analyse`
parses every distinct layer of the flattened program and returns either the
parsed parameters (for the build) or one ``ONNX_UNSUPPORTED`` finding per
unsupported layer type, config member, weight dtype or call argument, all of
them, so a user sees the whole list at once.
"""

from __future__ import annotations

from typing import Any

import onnx

from ..document import Document
from ..dtypes import DTYPES
from ..errors import Finding
from ..flatgraph import Program
from ..profile import ONNX, kernels
from . import (
    _activations,
    _attention,
    _conv,
    _dense,
    _embedding,
    _masking,
    _merge,
    _norm,
    _ops,
    _pool,
    _preprocess,
    _recurrent,
    _shape,
    _wrappers,
)
from ._config import Config, Op, Unsupported
from ._masks import ROLE_TYPES
from ._masks import argument_problem as mask_argument_problem
from ._masks import static_findings as mask_findings
from ._opsets import MIN_OPSET

_TABLE: dict[str, Op] = {}
for _module in (_dense, _conv, _pool, _norm, _activations, _merge, _shape, _embedding, _recurrent, _masking,
                _attention, _preprocess, _ops):
    _TABLE.update(_module.OPS)
_TABLE.update(_wrappers.ops(_TABLE))  # TimeDistributed wraps any type of the table
# The catalogue (modeldoc.profile) says which types export maps; this stops the import if the modules disagree.
TABLE = kernels(ONNX, _TABLE)

MAX_PROTO_BYTES = 2**31 - 1  # protobuf's limit for one message; weights as external data are not written


def max_opset() -> int:
    """The newest default-domain opset the installed onnx package knows."""
    return int(onnx.defs.onnx_opset_version())


def _unsupported(ptr: str, message: str) -> Finding:
    return Finding("ONNX_UNSUPPORTED", ptr, message)


def analyse(doc: Document, program: Program, opset: int) -> tuple[dict[int, Any], list[Finding]]:
    """Parsed parameters by ``id(layer)``, and every finding that stops export (empty when it can go on)."""
    findings: list[Finding] = []
    if not MIN_OPSET <= opset <= max_opset():
        findings.append(_unsupported("", f"opset {opset} is not supported: choose {MIN_OPSET} to {max_opset()}"))
    for k, i in enumerate(program.inputs):
        if i.dtype not in DTYPES:
            findings.append(_unsupported(f"/model/inputs/{k}/dtype", f"input {i.name!r} has the unknown dtype "
                                         f"{i.dtype!r}"))
    params: dict[int, Any] = {}
    for call in program.layers():
        layer = call.layer
        op = TABLE.get(layer.type)
        if op is None:
            findings.append(_unsupported(f"{call.pointer}/type", f"layer {call.path!r}: type {layer.type!r} has no "
                                         "ONNX mapping in this exporter"))
            continue
        cfg = Config(layer, doc.tensors, call.pointer, call.path)
        try:
            params[id(layer)] = op.parse(cfg)
        except Unsupported:
            pass
        findings.extend(cfg.findings)
    for call in program.calls:
        for problem in argument_problems(call.arguments, len(call.inputs), call.layer.type):
            findings.append(_unsupported(call.pointer, f"layer {call.path!r} is called with {problem}, "
                                         "which export does not represent"))
    findings.extend(mask_findings(program))
    total = sum(int(a.nbytes) for a in doc.tensors.values())
    if total >= MAX_PROTO_BYTES:
        findings.append(_unsupported("/tensors", f"the tensors hold {total} bytes, more than one ONNX protobuf "
                                     "can (2 GiB); external-data export is not implemented"))
    return params, findings


def _refs(x: Any) -> list[Any]:
    """The ``{"$input": i}`` references in a call structure, in order."""
    if isinstance(x, dict):
        if set(x) == {"$input"}:
            return [x["$input"]]
        return [r for v in x.values() for r in _refs(v)]
    if isinstance(x, list):
        return [r for v in x for r in _refs(v)]
    return []


def argument_problems(arguments: dict[str, Any], n_inputs: int, layer_type: str) -> list[str]:
    """What in a node's ``arguments`` changes the call in a way export cannot follow.

    Keras documents hold ``{"args": [...], "kwargs": {...}}`` with ``{"$input": i}`` for the node's
    inputs. Allowed: the inputs in their order, ``training`` (export is inference), ``mask: null``,
    and for recurrent layers ``initial_state`` taken from the inputs after the sequence; the layers that
    read a mask or take tensors by name (spec.md 15.12, 15.14) follow the evaluator's rule for those.

    >>> argument_problems({"args": [{"$input": 0}], "kwargs": {"training": False, "mask": None}}, 1, "LSTM")
    []
    >>> argument_problems({"kwargs": {"mask": {"$input": 1}}}, 2, "Dense")
    ["the argument 'mask'"]

    An operation's call (spec.md 15.15) lists its operands instead, references and constants:

    >>> argument_problems({"args": [{"$input": 0}, 3.0], "kwargs": {}}, 1, "ops.numpy.Add")
    []
    """
    if layer_type in _ops.OPS:
        problem = _ops.operation_problem(layer_type, arguments, n_inputs)
        return [] if problem is None else [f"operands that spec.md 15.15 does not allow ({problem})"]
    if layer_type in ROLE_TYPES:  # masks, tensors by name, flags: the profile's rule (spec.md 15.12, 15.14)
        problem = mask_argument_problem(layer_type, arguments, n_inputs)
        return [f"arguments where {problem}"] if problem else []
    problems = [f"the argument {k!r}" for k in sorted(set(arguments) - {"args", "kwargs", "training"})]
    kwargs = arguments.get("kwargs", {})
    if not isinstance(kwargs, dict):
        return problems + ["kwargs that are not an object"]
    allowed = {"training"}
    if "mask" in kwargs and kwargs["mask"] is None:
        allowed.add("mask")
    if layer_type in ("LSTM", "GRU", "SimpleRNN"):
        allowed.add("initial_state")
    problems += [f"the argument {k!r}" for k in sorted(set(kwargs) - allowed)]
    refs = _refs(arguments.get("args", [])) + _refs(kwargs.get("initial_state", []))
    if "args" in arguments and refs != list(range(n_inputs)):
        problems.append(f"its inputs in the order {refs} (export passes them in the node's order)")
    return problems


def supported_types() -> list[str]:
    """The layer types export maps, sorted.

    >>> "LSTM" in supported_types() and "Conv2D" in supported_types()
    True
    """
    return sorted(TABLE)
