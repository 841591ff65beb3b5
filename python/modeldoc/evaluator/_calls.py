"""Checking each call of a layer against the core profile (spec.md 15.1), before anything is evaluated.

A call is in the profile when its ``arguments`` only pass the node's inputs, in order (plus Keras'
inference flags and a recurrent layer's initial states), and when it passes and defines as many values
as the layer takes and returns. Nested-model calls follow the same argument rule.
"""

from __future__ import annotations

from typing import Any

from ..document import Document, Graph
from ..errors import Finding
from ._preprocess import TWO_INPUTS

# Layers whose call may pass initial states (extra inputs after the sequence), and how many they take.
STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")


def _is_ref(value: Any) -> bool:
    index = value.get("$input") if isinstance(value, dict) and len(value) == 1 else None
    return isinstance(index, int) and not isinstance(index, bool)


def argument_problem(arguments: Any, n_inputs: int, recurrent: bool) -> str | None:
    """Why a node's ``arguments`` fall outside the core profile, or None if they do not.

    >>> argument_problem({"args": [[{"$input": 0}, {"$input": 1}]], "kwargs": {"mask": None}}, 2, False) is None
    True
    >>> argument_problem({"args": [{"$input": 1}, {"$input": 0}]}, 2, False)
    "its $input references are not the node's inputs in order"
    """
    if not arguments:
        return None  # absent and {} are the same (spec.md section 4)
    if not isinstance(arguments, dict) or set(arguments) - {"args", "kwargs"}:
        return "arguments has members other than args and kwargs"
    positional, kwargs = arguments.get("args", []), arguments.get("kwargs", {})
    if not isinstance(positional, list) or not isinstance(kwargs, dict):
        return "args is not a list or kwargs is not an object"
    refs: list[Any] = []
    for item in positional:
        if _is_ref(item):
            refs.append(item)
        elif isinstance(item, list) and item and all(_is_ref(r) for r in item):
            refs.extend(item)  # a merge layer's (or a multi-input model's) list of inputs
        else:
            return "args holds an item that is neither a reference nor a list of references"
    for key, value in kwargs.items():
        if key == "training" and (value is None or isinstance(value, bool)):
            continue  # inference either way: training-only behaviour is off
        if key == "mask" and value is None:
            continue
        if key == "initial_state" and recurrent:
            states = value if isinstance(value, list) else [value]  # one state may be passed bare
            if states and all(_is_ref(r) for r in states):
                refs.extend(states)
                continue
        return f"kwargs.{key} is outside the core profile"
    if refs != [{"$input": k} for k in range(n_inputs)]:
        return "its $input references are not the node's inputs in order"
    return None


def count_problem(layer_type: str, config: dict[str, Any], n_inputs: int, n_outputs: int) -> str | None:
    """Why a call passes or defines a number of values the layer does not take or return, or None.

    >>> count_problem("LSTM", {"return_state": True}, 3, 3) is None
    True
    >>> count_problem("Dense", {}, 2, 1)
    'passes 2 inputs, Dense takes 1'
    """
    outputs = 1
    if layer_type in MERGES:
        takes = "2" if layer_type == "Subtract" else "2 or more"
        fits = n_inputs == 2 if layer_type == "Subtract" else n_inputs >= 2
    elif layer_type in TWO_INPUTS:
        takes, fits = "2", n_inputs == 2
    elif layer_type in STATES:
        states = STATES[layer_type]
        takes, fits = f"1 or {1 + states}", n_inputs in (1, 1 + states)
        outputs = 1 + states if config.get("return_state") is True else 1
    else:
        takes, fits = "1", n_inputs == 1
    return count_verdict(layer_type, n_inputs, takes, fits, n_outputs, outputs)


def count_verdict(layer_type: str, n_inputs: int, takes: str, fits: bool, n_outputs: int, outputs: int) -> str | None:
    """The one wording of a count problem, for this module's layers and the sequence layers' (_masking.py):
    ``takes`` says what the layer takes, ``fits`` whether the call's ``n_inputs`` are that."""
    if not fits:
        return f"passes {n_inputs} inputs, {layer_type} takes {takes}"
    if n_outputs != outputs:
        return f"defines {n_outputs} outputs, {layer_type} returns {outputs}"
    return None


def nested_call_findings(doc: Document) -> list[Finding]:
    """EVAL_UNSUPPORTED at each nested model whose call passes arguments outside the profile (the calls of
    leaf layers are checked with the flattened program)."""
    findings: list[Finding] = []
    _walk(doc.model, "/model", findings, set())
    return findings


def _walk(graph: Graph, pointer: str, findings: list[Finding], seen: set[int]) -> None:
    index = {layer.name: i for i, layer in enumerate(graph.layers)}
    for node in graph.nodes:
        i = index.get(node.layer)
        if i is None or graph.layers[i].model is None:
            continue
        layer, at = graph.layers[i], f"{pointer}/layers/{i}"
        problem = argument_problem(node.arguments, len(node.inputs), False)
        if problem:
            findings.append(Finding("EVAL_UNSUPPORTED", at, f"a call of nested model {layer.name!r}: {problem}"))
        if id(layer) not in seen:
            seen.add(id(layer))
            model = layer.model
            assert model is not None
            _walk(model, f"{at}/model", findings, seen)
