"""A document's model as one flat list of layer calls, nested models inlined.

The evaluator, the ONNX exporter and the TensorFlow.js exporter all walk a
graph the same way: in a topological order, with every nested model (a layer
holding ``model``) replaced by its own calls. This module does that walk once.

Value names are only unique within their graph (spec.md section 4), so each
value gets a program-wide id: the top-level graph keeps its names, a nested
graph's values are prefixed by the path of the calling node ("outer/inner").
A nested model called twice is inlined twice, with two prefixes; its layers
(and so their weights) are the same objects both times.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from .document import Document, Graph, Input, Layer
from .errors import ModelDocError


@dataclass(frozen=True)
class Call:
    """One call of a leaf layer (a layer without a nested model)."""

    layer: Layer
    inputs: list[str]
    outputs: list[str]
    arguments: dict[str, Any]
    path: str
    """The layer's name, prefixed by the names of the layers holding it ("outer/inner/dense")."""
    pointer: str
    """JSON Pointer to the layer in the document ("/model/layers/0/model/layers/3")."""


@dataclass
class Program:
    """The top-level inputs, the calls in an order where every value is defined before use, the outputs."""

    inputs: list[Input]
    calls: list[Call] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def layers(self) -> list[Call]:
        """One call per distinct leaf layer, the first call of each (for exporters that list layers once)."""
        seen: set[int] = set()
        firsts = []
        for call in self.calls:
            if id(call.layer) not in seen:
                seen.add(id(call.layer))
                firsts.append(call)
        return firsts


def flatten(doc: Document) -> Program:
    """The document's top-level graph with every nested model inlined, in topological order.

    Raises ModelDocError (``SEMANTIC_CYCLE``, ``SEMANTIC_ARITY``, ``SEMANTIC_UNKNOWN_VALUE``
    or ``SEMANTIC_UNKNOWN_LAYER``) for a graph that a validated document cannot have.

    >>> import modeldoc
    >>> program = flatten(modeldoc.example_document())
    >>> [c.layer.type for c in program.calls]
    ['Conv2D', 'Flatten', 'Dense', 'Dense', 'Dense', 'IntegerLookup']
    """
    graph = doc.model
    program = Program(inputs=list(graph.inputs))
    env = {i.name: i.name for i in graph.inputs}
    program.outputs = _inline(graph, env, "", "", "/model", program)
    return program


def _inline(graph: Graph, env: dict[str, str], value_prefix: str, path_prefix: str, pointer: str,
            program: Program) -> list[str]:
    """Append the calls of ``graph`` (whose inputs are bound in ``env``) and return its output ids."""
    layer_index = {layer.name: i for i, layer in enumerate(graph.layers)}
    for n in _topological(graph, pointer):
        node = graph.nodes[n]
        at = f"{pointer}/nodes/{n}"
        if node.layer not in layer_index:
            raise ModelDocError.of("SEMANTIC_UNKNOWN_LAYER", f"{at}/layer", f"no layer named {node.layer!r}")
        li = layer_index[node.layer]
        layer = graph.layers[li]
        args = [_lookup(env, v, f"{at}/inputs") for v in node.inputs]
        call_name = node.name if node.name is not None else f"{node.layer}#{n}"
        if layer.model is not None:
            inner = layer.model
            if len(inner.inputs) != len(args) or len(inner.outputs) != len(node.outputs):
                raise ModelDocError.of("SEMANTIC_ARITY", at, f"nested model {layer.name!r} takes "
                                       f"{len(inner.inputs)} inputs and gives {len(inner.outputs)} outputs")
            inner_env = {i.name: a for i, a in zip(inner.inputs, args)}
            results = _inline(inner, inner_env, f"{value_prefix}{call_name}/", f"{path_prefix}{layer.name}/",
                              f"{pointer}/layers/{li}/model", program)
            for name, result in zip(node.outputs, results):
                env[name] = result
            continue
        outputs = [f"{value_prefix}{v}" for v in node.outputs]
        for name, value in zip(node.outputs, outputs):
            env[name] = value
        program.calls.append(Call(layer, args, outputs, dict(node.arguments), f"{path_prefix}{layer.name}",
                                  f"{pointer}/layers/{li}"))
    return [_lookup(env, v, f"{pointer}/outputs") for v in graph.outputs]


def _lookup(env: dict[str, str], name: str, at: str) -> str:
    if name not in env:
        raise ModelDocError.of("SEMANTIC_UNKNOWN_VALUE", at, f"no value named {name!r}")
    return env[name]


def _topological(graph: Graph, pointer: str) -> list[int]:
    """Node indices in an order where each node follows the nodes defining its inputs; among the nodes
    ready at a time, the first listed goes first, so a document already in order keeps it."""
    defined_by: dict[str, int] = {}
    for n, node in enumerate(graph.nodes):
        for v in node.outputs:
            defined_by.setdefault(v, n)
    needs = [{defined_by[v] for v in node.inputs if v in defined_by} for node in graph.nodes]
    users: list[list[int]] = [[] for _ in graph.nodes]
    for n, deps in enumerate(needs):
        for d in deps:
            users[d].append(n)
    pending = [len(deps) for deps in needs]
    ready = [n for n, count in enumerate(pending) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for u in users[n]:
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, u)
    if len(order) < len(graph.nodes):
        first = min(set(range(len(graph.nodes))) - set(order))
        raise ModelDocError.of("SEMANTIC_CYCLE", f"{pointer}/nodes/{first}", "the graph has a cycle")
    return order
