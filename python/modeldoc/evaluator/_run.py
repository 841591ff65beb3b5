"""Evaluating a document's model: check every call first, bind the inputs, run the calls in order.

Numbers (spec.md 15.2): each layer rounds its float inputs and weights to the
dtype of its Keras dtype policy (float32 unless the policy says float64),
computes in float64 and rounds its float results to the policy's dtype, as
Keras does at every layer boundary; integer and bool values (token ids) pass
through layers that only move values unchanged.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from ..document import Document
from ..dtypes import dtype_of_array
from ..errors import Finding, ModelDocError
from ..flatgraph import Call, Program, flatten
from ._config import Config
from ._kernel import Ctx, Kernel
from ._calls import STATES, argument_problem, count_problem, nested_call_findings
from ._ops import call_problem as op_call_problem, is_op
from ._registry import BUILDERS

FRAMEWORK = "keras"
COMPUTE = np.dtype(np.float64)


class Plan:
    """A document's calls with a kernel for each layer; building one reports everything unsupported."""

    def __init__(self, doc: Document) -> None:
        if doc.producer.framework != FRAMEWORK:
            raise ModelDocError.of("EVAL_UNSUPPORTED", "/producer/framework",
                                   f"the core profile defines Keras layers; this document's layers come from "
                                   f"{doc.producer.framework or 'no framework'!r}")
        self.doc = doc
        self.program: Program = flatten(doc)
        self.kernels: dict[int, Kernel] = {}
        self.policies: dict[int, np.dtype | None] = {}
        findings: list[Finding] = []
        for call in self.program.calls:
            findings.extend(self._build(call))
            if is_op(call.layer.type):  # constants among the operands (spec.md 15.12)
                problem = op_call_problem(call.layer.type, call.arguments, len(call.inputs), len(call.outputs))
            else:
                problem = argument_problem(call.arguments, len(call.inputs), call.layer.type in STATES)
            if problem is None and call.layer.type in BUILDERS and not is_op(call.layer.type):
                problem = count_problem(call.layer.type, call.layer.config, len(call.inputs), len(call.outputs))
            if problem:
                findings.append(Finding("EVAL_UNSUPPORTED", call.pointer, f"a call of {call.path!r}: {problem}"))
        findings.extend(nested_call_findings(doc))
        if findings:
            unique = list(dict.fromkeys(findings))  # a shared layer is reported once
            raise ModelDocError(unique)

    def _build(self, call: Call) -> list[Finding]:
        layer = call.layer
        if id(layer) in self.kernels:
            return []
        builder = BUILDERS.get(layer.type)
        if builder is None:
            return [Finding("EVAL_UNSUPPORTED", f"{call.pointer}/type",
                            f"layer {call.path!r} has type {layer.type!r}, which is not in the core profile")]
        cfg = Config(layer.config, call.pointer, layer.type)
        self.kernels[id(layer)] = builder(cfg)
        # An operation has no dtype policy: its kernel gives results in its operands' dtype (spec.md 15.12).
        self.policies[id(layer)] = None if is_op(layer.type) else np.dtype(cfg.policy())
        return cfg.findings


def bind_inputs(program: Program, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The given arrays by value name, after checking each against its graph input (all problems at once)."""
    findings = []
    names = [i.name for i in program.inputs]
    for name in inputs:
        if name not in names:
            findings.append(Finding("EVAL_INPUT", "/model/inputs", f"the model has no input named {name!r} "
                                    f"(its inputs: {', '.join(names)})"))
    env = {}
    for k, spec in enumerate(program.inputs):
        at = f"/model/inputs/{k}"
        if spec.name not in inputs:
            findings.append(Finding("EVAL_INPUT", at, f"no array given for input {spec.name!r}"))
            continue
        array = np.asarray(inputs[spec.name])
        dtype = dtype_of_array(array)
        if dtype is None or dtype.name != spec.dtype:
            findings.append(Finding("EVAL_INPUT", at, f"input {spec.name!r} is {spec.dtype}, "
                                    f"the array is {dtype.name if dtype else array.dtype}"))
        elif array.ndim != len(spec.shape) or any(d is not None and d != n for d, n in zip(spec.shape, array.shape)):
            want = json.dumps(spec.shape)
            findings.append(Finding("EVAL_INPUT", at, f"input {spec.name!r} has shape {want}, "
                                    f"the array has {list(array.shape)}"))
        env[spec.name] = array
    if findings:
        raise ModelDocError(findings)
    return env


def run(plan: Plan, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every call of the plan in order; the top-level outputs by name."""
    env = bind_inputs(plan.program, inputs)
    tensors = plan.doc.tensors
    converted: dict[tuple[int, str], np.ndarray] = {}  # weights rounded to a policy, shared by every call
    for call in plan.program.calls:
        weights = []
        for k, name in enumerate(call.layer.weights):
            if name not in tensors:
                raise ModelDocError.of("EVAL_MISMATCH", f"{call.pointer}/weights/{k}", f"no tensor named {name!r}")
            weights.append(tensors[name])
        policy = plan.policies[id(call.layer)]
        ctx = Ctx(weights, call.pointer, call.layer.type, COMPUTE, policy, converted, call.arguments)
        # Keras casts a layer's float inputs to its policy's dtype (spec.md 15.2).
        args = [_round(env[v], policy) for v in call.inputs]
        outputs = plan.kernels[id(call.layer)](args, ctx)
        if len(outputs) != len(call.outputs):
            ctx.unfit(f"gives {len(outputs)} outputs, the call of {call.path!r} defines {len(call.outputs)}")
        for name, value in zip(call.outputs, outputs):
            env[name] = _round(value, policy)
    return {name: np.ascontiguousarray(env[value]) for name, value in zip(plan.doc.model.outputs, plan.program.outputs)}


def _round(value: np.ndarray, policy: np.dtype | None) -> np.ndarray:
    """A float value in the policy's dtype; integer and bool values unchanged; an operation's (no policy)
    values unchanged."""
    dtype = dtype_of_array(value)
    if policy is not None and dtype is not None and dtype.kind == "float" and value.dtype != policy:
        return value.astype(policy)
    return value
