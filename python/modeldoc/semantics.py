"""The semantic layer: names, references and the shape of the graph.

Runs on a tree that passed the schema, so types are known to be right.
Reports every finding; never stops at the first.
"""

from __future__ import annotations

from typing import Any

from .errors import Collector, escape_pointer_token


def check_semantics(tree: dict[str, Any], out: Collector) -> None:
    tensor_names: dict[str, int] = {}
    for i, t in enumerate(tree["tensors"]):
        if t["name"] in tensor_names:
            out.add(
                "SEMANTIC_DUPLICATE_TENSOR",
                f"/tensors/{i}/name",
                f"tensor {t['name']!r} is already defined at /tensors/{tensor_names[t['name']]}",
            )
        else:
            tensor_names[t["name"]] = i
    used: dict[str, str] = {}
    _check_graph(tree["model"], "/model", tensor_names, used, out)
    for name, i in tensor_names.items():
        if name not in used:
            out.add("SEMANTIC_UNUSED_TENSOR", f"/tensors/{i}", f"tensor {name!r} is no layer's weight", "warning")


def _check_graph(
    g: dict[str, Any], ptr: str, tensors: dict[str, int], used: dict[str, str], out: Collector
) -> None:
    layers: dict[str, dict[str, Any]] = {}
    for i, layer in enumerate(g["layers"]):
        lptr = f"{ptr}/layers/{i}"
        if layer["name"] in layers:
            out.add("SEMANTIC_DUPLICATE_LAYER", lptr + "/name", f"layer {layer['name']!r} is defined twice")
        else:
            layers[layer["name"]] = layer
        for j, w in enumerate(layer.get("weights", [])):
            if w not in tensors:
                out.add("SEMANTIC_UNKNOWN_TENSOR", f"{lptr}/weights/{j}", f"no tensor named {w!r}")
            elif w in used:
                out.add(
                    "SEMANTIC_SHARED_WEIGHT", f"{lptr}/weights/{j}", f"tensor {w!r} is also a weight at {used[w]}",
                    "warning",
                )
            else:
                used[w] = f"{lptr}/weights/{j}"
        if "model" in layer:
            _check_graph(layer["model"], lptr + "/model", tensors, used, out)

    # Value names: defined once, by a graph input or by a node output.
    producer_of: dict[str, int | None] = {}  # value -> node index (None: graph input)
    for i, inp in enumerate(g["inputs"]):
        _define(inp["name"], None, f"{ptr}/inputs/{i}/name", producer_of, out)
    node_names: set[str] = set()
    for k, node in enumerate(g["nodes"]):
        nptr = f"{ptr}/nodes/{k}"
        if "name" in node:
            if node["name"] in node_names:
                out.add("SEMANTIC_DUPLICATE_NODE", nptr + "/name", f"node {node['name']!r} is defined twice")
            node_names.add(node["name"])
        for j, v in enumerate(node["outputs"]):
            _define(v, k, f"{nptr}/outputs/{j}", producer_of, out)

    for k, node in enumerate(g["nodes"]):
        nptr = f"{ptr}/nodes/{k}"
        layer = layers.get(node["layer"])
        if layer is None:
            out.add("SEMANTIC_UNKNOWN_LAYER", nptr + "/layer", f"graph has no layer named {node['layer']!r}")
        elif "model" in layer:
            inner = layer["model"]
            if len(inner["inputs"]) != len(node["inputs"]) or len(inner["outputs"]) != len(node["outputs"]):
                out.add(
                    "SEMANTIC_ARITY",
                    nptr,
                    f"layer {layer['name']!r} takes {len(inner['inputs'])} inputs and gives "
                    f"{len(inner['outputs'])} outputs; the call has {len(node['inputs'])} and {len(node['outputs'])}",
                )
        for j, v in enumerate(node["inputs"]):
            if v not in producer_of:
                out.add("SEMANTIC_UNKNOWN_VALUE", f"{nptr}/inputs/{j}", f"no input or node defines {v!r}")
    for j, v in enumerate(g["outputs"]):
        if v not in producer_of:
            out.add("SEMANTIC_UNKNOWN_VALUE", f"{ptr}/outputs/{j}", f"no input or node defines {v!r}")
    _check_acyclic(g["nodes"], producer_of, ptr, out)


def _define(name: str, node: int | None, ptr: str, producer_of: dict[str, int | None], out: Collector) -> None:
    if name in producer_of:
        out.add("SEMANTIC_DUPLICATE_VALUE", ptr, f"value {name!r} is defined twice in this graph")
    else:
        producer_of[name] = node


def _check_acyclic(
    nodes: list[dict[str, Any]], producer_of: dict[str, int | None], ptr: str, out: Collector
) -> None:
    """Kahn's algorithm; on a cycle, report the cycle through the lowest node index."""
    preds: list[set[int]] = []
    for node in nodes:
        preds.append({p for v in node["inputs"] if (p := producer_of.get(v)) is not None})
    succs: list[list[int]] = [[] for _ in nodes]
    indeg = [len(p) for p in preds]
    for k, ps in enumerate(preds):
        for p in ps:
            succs[p].append(k)
    ready = [k for k, d in enumerate(indeg) if d == 0]
    done = 0
    while ready:
        k = ready.pop()
        done += 1
        for s in succs[k]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if done == len(nodes):
        return
    # Every remaining node has a remaining predecessor: walking predecessors must revisit one.
    remaining = {k for k, d in enumerate(indeg) if d > 0}
    k = min(remaining)
    seen: list[int] = []
    while k not in seen:
        seen.append(k)
        k = min(p for p in preds[k] if p in remaining)
    cycle = seen[seen.index(k) :]
    start = min(cycle)
    rot = cycle.index(start)
    cycle = cycle[rot:] + cycle[:rot]
    path = " <- ".join(f"nodes/{c}" for c in cycle + [start])
    out.add("SEMANTIC_CYCLE", f"{ptr}/nodes/{start}", f"the graph has a cycle: {path}")


def tensor_pointer(index: int) -> str:
    return f"/tensors/{escape_pointer_token(index)}"
