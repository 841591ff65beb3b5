"""Evaluating a document's model: check every call first, bind the inputs, run the calls in order.

Numbers (spec.md 15.2): each layer rounds its float inputs and weights to the
dtype of its Keras dtype policy (float32 unless the policy says float64),
computes in float64 and rounds its float results to the policy's dtype, as
Keras does at every layer boundary; integer and bool values (token ids) pass
through layers that only move values unchanged.
"""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np

from ..document import Document
from ..dtypes import dtype_of_array
from ..errors import Finding, ModelDocError
from ..flatgraph import Call, Program, flatten
from ..profile import Config
from ._calls import count_problem, nested_call_findings
from ._kernel import Ctx, Kernel
from ._masking import ANY, NOT_EQUAL, Roles, mask_problem, output_masks, roles
from ._masking import count_problem as sequence_count_problem
from ._ops import call_problem as op_call_problem
from ._ops import is_op
from ._registry import BUILDERS
from ._registry_seq import sequence_builders

FRAMEWORK = "keras"
_SEQUENCE_TYPES = frozenset(sequence_builders({})) - {"GlobalAveragePooling1D"}
COMPUTE = np.dtype(np.float64)


class Plan:
    """A document's calls with a kernel for each layer; building one reports everything unsupported."""

    def __init__(self, doc: Document) -> None:
        # spec.md 15.1: a document that names no framework uses the profile's own vocabulary.
        if doc.producer.framework not in (FRAMEWORK, ""):
            raise ModelDocError.of("EVAL_UNSUPPORTED", "/producer/framework",
                                   f"the core profile defines Keras 3 layer types; this document's layers come "
                                   f"from {doc.producer.framework!r}, whose types it does not define: convert the "
                                   f"model with that framework's adapter, or write profile types and set "
                                   f"producer.framework to \"keras\" or leave it out")
        self.doc = doc
        self.program: Program = flatten(doc)
        self.kernels: dict[int, Kernel] = {}
        self.policies: dict[int, np.dtype | None] = {}
        self.roles: list[Roles] = []
        findings: list[Finding] = []
        masked: dict[str, bool] = {}  # values that carry a Keras mask (spec.md 15.12); known from the graph alone
        for call in self.program.calls:
            findings.extend(self._build(call))
            if is_op(call.layer.type):  # constants among the operands, read by the kernel (spec.md 15.15)
                problem = op_call_problem(call.layer.type, call.arguments, len(call.inputs), len(call.outputs))
                parts: Roles | str = Roles(list(range(len(call.inputs))))
                if any(masked.get(v, False) for v in call.inputs):
                    problem = problem or "an operation does not take a Keras mask"
            else:
                parts = roles(call.layer.type, call.arguments, len(call.inputs))
                problem = parts if isinstance(parts, str) else None
            if is_op(call.layer.type):
                self.roles.append(parts)  # type: ignore[arg-type]
            elif isinstance(parts, Roles):
                self.roles.append(parts)
                if call.layer.type in _SEQUENCE_TYPES:
                    problem = sequence_count_problem(call.layer.type, call.layer.config, parts, len(call.outputs))
                elif call.layer.type in BUILDERS:
                    problem = count_problem(call.layer.type, call.layer.config, len(parts.data), len(call.outputs))
                data = [masked.get(call.inputs[i], False) for i in parts.data]
                for q in ("query", "value", "key"):
                    if q in parts.named:
                        data.append(masked.get(call.inputs[parts.named[q]], False))
                problem = problem or mask_problem(call.layer.type, call.layer.config, data)
                outs = output_masks(call.layer.type, call.layer.config, [True if m else None for m in data], [],
                                    [None] * len(call.outputs))
                masked.update({v: m is not None for v, m in zip(call.outputs, outs)})
            else:
                self.roles.append(Roles([]))
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
        # An operation has no dtype policy: its kernel gives results in its operands' dtype (spec.md 15.15).
        no_policy = is_op(layer.type) or layer.type in (NOT_EQUAL, ANY)
        self.policies[id(layer)] = None if no_policy else np.dtype(cfg.policy())
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
    masks: dict[str, np.ndarray | None] = {}  # the mask Keras attaches to a value (spec.md 15.12)
    for call, parts in zip(plan.program.calls, plan.roles):
        weights = []
        for k, name in enumerate(call.layer.weights):
            if name not in tensors:
                raise ModelDocError.of("EVAL_MISMATCH", f"{call.pointer}/weights/{k}", f"no tensor named {name!r}")
            weights.append(tensors[name])
        policy = plan.policies[id(call.layer)]
        ctx = Ctx(weights, call.pointer, call.layer.type, COMPUTE, policy, converted, call.arguments)
        # Keras casts a layer's float inputs to its policy's dtype (spec.md 15.2).
        args = [_round(env[v], policy) for v in call.inputs]
        data = [args[i] for i in parts.data]
        attached = [masks.get(call.inputs[i]) for i in parts.data]
        ctx.named = {key: args[i] for key, i in parts.named.items()}
        ctx.flags, ctx.constants = parts.flags, parts.constants
        # An explicit mask argument wins over the attached one, as in Keras.
        if isinstance(parts.mask, list):
            ctx.mask = [None if i is None else env[call.inputs[i]] for i in parts.mask]
        elif parts.mask is not None:
            ctx.mask = env[call.inputs[parts.mask]]
        elif call.layer.type in ("Attention", "AdditiveAttention"):
            ctx.mask = attached[:2] if any(m is not None for m in attached[:2]) else None
        else:
            # Keras fills in the attached mask only when the call passes one tensor (not with initial states).
            ctx.mask = attached[0] if len(attached) == 1 else None
        outputs = plan.kernels[id(call.layer)](data, ctx)
        if len(outputs) != len(call.outputs):
            ctx.unfit(f"gives {len(outputs)} outputs, the call of {call.path!r} defines {len(call.outputs)}")
        for name, value, mask in zip(call.outputs, outputs, output_masks(call.layer.type, call.layer.config,
                                                                         attached, data, outputs)):
            env[name] = _round(value, policy)
            masks[name] = mask
    # np.asarray, not np.ascontiguousarray, which turns a 0-d output (a mean over every axis) into 1-d.
    return {name: np.asarray(env[value], order="C") for name, value in zip(plan.doc.model.outputs,
                                                                         plan.program.outputs)}


def _round(value: np.ndarray, policy: np.dtype | None) -> np.ndarray:
    """A float value in the policy's dtype; integer and bool values unchanged; an operation's (no policy)
    values unchanged."""
    dtype = dtype_of_array(value)
    if policy is not None and dtype is not None and dtype.kind == "float" and value.dtype != policy:
        return value.astype(policy)
    return value
