"""The semantic layer: names, references and the shape of the graph.

Runs on a tree that passed the schema, so types are known to be right.
Reports every finding; never stops at the first.
"""

from __future__ import annotations

from typing import Any

from .errors import Collector, escape_pointer_token
from .limits import Limits


def check_counts(tree: dict[str, Any], limits: Limits, out: Collector) -> None:
    """Layers and nodes in all graphs together, and tensors, against the limits.

    Runs before the semantic checks, whose cost grows with these counts. Graphs
    are taken in depth-first pre-order (a graph, then the nested models of its
    layers in layer order), so the graph named is the same in every reader.
    """
    if len(tree["tensors"]) > limits.max_tensors:
        out.add("LIMIT_COUNT", "/tensors", f"more than {limits.max_tensors} tensors")
    totals = {"layers": 0, "nodes": 0}
    caps = {"layers": limits.max_layers, "nodes": limits.max_nodes}
    graphs: list[tuple[dict[str, Any], str]] = [(tree["model"], "/model")]
    while graphs:
        g, ptr = graphs.pop()
        for kind in ("layers", "nodes"):
            before = totals[kind]
            totals[kind] += len(g[kind])
            if before <= caps[kind] < totals[kind]:
                out.add("LIMIT_COUNT", f"{ptr}/{kind}", f"more than {caps[kind]} {kind} in all graphs together")
        nested = [(layer["model"], f"{ptr}/layers/{i}/model") for i, layer in enumerate(g["layers"]) if "model" in layer]
        graphs.extend(reversed(nested))  # popped in layer order


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
    referenced = _check_test_vectors(tree, tensor_names, out)
    for name, i in tensor_names.items():
        if name not in used and name not in referenced:
            out.add("SEMANTIC_UNUSED_TENSOR", f"/tensors/{i}", f"tensor {name!r} is no layer's weight", "warning")


def _check_test_vectors(tree: dict[str, Any], tensor_names: dict[str, int], out: Collector) -> set[str]:
    """Test vectors must name every top-level input and output, and tensors that fit the inputs."""
    model = tree["model"]
    inputs = {i["name"]: i for i in model["inputs"]}
    outputs = set(model["outputs"])
    referenced: set[str] = set()
    for i, vec in enumerate(tree.get("test_vectors", [])):
        for side, names in (("inputs", set(inputs)), ("outputs", outputs)):
            base = f"/test_vectors/{i}/{side}"
            mapping = vec[side]
            for key, tname in mapping.items():
                ptr = f"{base}/{escape_pointer_token(key)}"
                if key not in names:
                    out.add("SEMANTIC_TEST_VECTOR", ptr, f"{key!r} is not a top-level model {side[:-1]}")
                if tname not in tensor_names:
                    out.add("SEMANTIC_UNKNOWN_TENSOR", ptr, f"no tensor named {tname!r}")
                    continue
                referenced.add(tname)
                if side == "inputs" and key in inputs:
                    problem = _fits(tree["tensors"][tensor_names[tname]], inputs[key])
                    if problem:
                        out.add("SEMANTIC_TEST_VECTOR", ptr, f"tensor {tname!r} {problem}")
            for missing in sorted(names - set(mapping)):
                out.add("SEMANTIC_TEST_VECTOR", base, f"no tensor for the model {side[:-1]} {missing!r}")
    return referenced


def _fits(tensor: dict[str, Any], spec: dict[str, Any]) -> str | None:
    dtype = tensor.get("quantization", {}).get("dtype", tensor["dtype"])  # what a reader hands out
    if dtype != spec["dtype"]:
        return f"has dtype {dtype}, the input {spec['dtype']}"
    shape, want = tensor["shape"], spec["shape"]
    if len(shape) != len(want) or any(w is not None and w != d for d, w in zip(shape, want)):
        return f"has shape {shape}, the input {want}"
    return None


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
    """One finding per graph with a cycle, at the lowest-indexed node that lies on one."""
    preds: list[set[int]] = []
    for node in nodes:
        preds.append({p for v in node["inputs"] if (p := producer_of.get(v)) is not None})
    on_cycle = _nodes_on_cycles(preds)
    if not on_cycle:
        return
    start = min(on_cycle)
    # Shortest way back to ``start`` through predecessors, for the message.
    parent: dict[int, int] = {}
    frontier = [start]
    while frontier and start not in parent:
        nxt = []
        for k in frontier:
            for p in sorted(preds[k]):
                if p not in parent:
                    parent[p] = k
                    nxt.append(p)
        frontier = nxt
    path = [start]
    k = parent[start]
    while k != start:
        path.append(k)
        k = parent[k]
    path.append(start)
    text = " <- ".join(f"nodes/{c}" for c in reversed(path))
    out.add("SEMANTIC_CYCLE", f"{ptr}/nodes/{start}", f"the graph has a cycle: {text}")


def _nodes_on_cycles(preds: list[set[int]]) -> set[int]:
    """Nodes in a strongly connected component with a cycle (Tarjan, iterative)."""
    n = len(preds)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    result: set[int] = set()
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, iter(sorted(preds[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(sorted(preds[w]))))
                    advanced = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in preds[v]:
                    result.update(comp)
    return result
