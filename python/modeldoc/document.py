"""The document model: what a reader hands over and a writer takes.

Plain dataclasses, framework-neutral. Tensors are NumPy arrays by name. The
conversion to and from the value tree applies the defaults of spec.md, so a
document read and written again has the same reader report.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Iterator

import numpy as np

from ._version import __version__
from .quantize import QuantizedTensor

FORMAT_VERSION = "1.0.0"


@dataclass
class Producer:
    """Who wrote the document, and from which framework."""

    name: str = "modeldoc"
    version: str = __version__
    framework: str = ""
    framework_version: str = ""


@dataclass
class Input:
    """A graph input: the value it defines, its dtype and shape (None = unknown)."""

    name: str
    dtype: str
    shape: list[int | None]


@dataclass
class Node:
    """One call of ``layer`` on the values ``inputs``, defining the values ``outputs``."""

    layer: str
    inputs: list[str]
    outputs: list[str]
    name: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layer:
    """A named operation with its configuration, its weights (tensor names) and,
    for a layer that is a model, that model's graph."""

    name: str
    type: str
    config: dict[str, Any] = field(default_factory=dict)
    weights: list[str] = field(default_factory=list)
    model: "Graph | None" = None


@dataclass
class Graph:
    """A model: layers plus the acyclic graph of calls between named values."""

    layers: list[Layer] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    name: str | None = None

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` in this graph (KeyError if none)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def walk_layers(self) -> Iterator[Layer]:
        """Every layer of this graph and of the graphs nested in it, depth first."""
        for layer in self.layers:
            yield layer
            if layer.model is not None:
                yield from layer.model.walk_layers()


@dataclass
class TestVector:
    """Inputs (graph input name -> tensor name) and the outputs the producer's
    framework computed for them (graph output name -> tensor name)."""

    __test__ = False  # not a pytest test class

    inputs: dict[str, str]
    outputs: dict[str, str]
    name: str | None = None
    tolerance: float = 0.0


@dataclass
class Document:
    """A ModelDoc document: the model graph, its tensors and metadata.

    >>> import numpy as np, modeldoc
    >>> g = modeldoc.Graph(
    ...     layers=[modeldoc.Layer("dense", "Dense", {"units": 2}, ["dense/kernel"])],
    ...     inputs=[modeldoc.Input("x", "float32", [None, 3])],
    ...     nodes=[modeldoc.Node("dense", ["x"], ["y"])],
    ...     outputs=["y"],
    ... )
    >>> doc = modeldoc.Document(g, {"dense/kernel": np.ones((3, 2), "float32")})
    >>> doc.num_parameters
    6
    """

    model: Graph
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    producer: Producer = field(default_factory=Producer)
    format_version: str = FORMAT_VERSION
    test_vectors: list[TestVector] = field(default_factory=list)
    # Tensors stored quantized (spec.md 5.5): ``tensors`` holds their dequantized values.
    quantization: dict[str, QuantizedTensor] = field(default_factory=dict)

    @property
    def num_parameters(self) -> int:
        """Number of tensor elements in the document."""
        return sum(int(a.size) for a in self.tensors.values())

    def __eq__(self, other: object) -> bool:
        """Equal when the models, metadata and producers are equal and every tensor has the same
        dtype, shape and bytes (bit for bit: NaN equals the same NaN, 0.0 differs from -0.0).

        >>> import modeldoc
        >>> modeldoc.example_document() == modeldoc.example_document()
        True
        """
        if not isinstance(other, Document):
            return NotImplemented
        return all(same_bits(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  # mutable, as every dataclass with __eq__

    def __repr__(self) -> str:
        layers = sum(1 for _ in self.model.walk_layers())
        name = f" {self.model.name!r}" if self.model.name else ""
        return (f"<modeldoc.Document{name}: {layers} layers, {len(self.tensors)} tensors, "
                f"{self.num_parameters} parameters, format {self.format_version}>")


def same_bits(a: Any, b: Any) -> bool:
    """Deep equality in which arrays compare by dtype, shape and bytes instead of element by element."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b))
    if is_dataclass(a) and not isinstance(a, type):
        return all(same_bits(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    return bool(a == b)


# --- tree <-> document ----------------------------------------------------------


def graph_to_tree(g: Graph) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if g.name is not None:
        out["name"] = g.name
    out["layers"] = [_layer_to_tree(layer) for layer in g.layers]
    out["inputs"] = [{"name": i.name, "dtype": i.dtype, "shape": list(i.shape)} for i in g.inputs]
    out["nodes"] = [_node_to_tree(n) for n in g.nodes]
    out["outputs"] = list(g.outputs)
    return out


def _layer_to_tree(layer: Layer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": layer.name,
        "type": layer.type,
        "config": layer.config,
        "weights": list(layer.weights),
    }
    if layer.model is not None:
        out["model"] = graph_to_tree(layer.model)
    return out


def _node_to_tree(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if n.name is not None:
        out["name"] = n.name
    out.update(layer=n.layer, inputs=list(n.inputs), outputs=list(n.outputs), arguments=n.arguments)
    return out


def graph_from_tree(t: dict[str, Any]) -> Graph:
    return Graph(
        layers=[
            Layer(
                name=x["name"],
                type=x["type"],
                config=x.get("config", {}),
                weights=list(x.get("weights", [])),
                model=graph_from_tree(x["model"]) if "model" in x else None,
            )
            for x in t["layers"]
        ],
        inputs=[Input(i["name"], i["dtype"], list(i["shape"])) for i in t["inputs"]],
        nodes=[
            Node(
                layer=n["layer"],
                inputs=list(n["inputs"]),
                outputs=list(n["outputs"]),
                name=n.get("name"),
                arguments=n.get("arguments", {}),
            )
            for n in t["nodes"]
        ],
        outputs=list(t["outputs"]),
        name=t.get("name"),
    )


def test_vectors_to_tree(vectors: list[TestVector]) -> list[dict[str, Any]]:
    out = []
    for v in vectors:
        t: dict[str, Any] = {}
        if v.name is not None:
            t["name"] = v.name
        t["inputs"] = dict(v.inputs)
        t["outputs"] = dict(v.outputs)
        t["tolerance"] = v.tolerance
        out.append(t)
    return out


def test_vectors_from_tree(items: list[dict[str, Any]]) -> list[TestVector]:
    return [
        TestVector(dict(t["inputs"]), dict(t["outputs"]), t.get("name"), float(t.get("tolerance", 0.0)))
        for t in items
    ]


def producer_to_tree(p: Producer) -> dict[str, str]:
    return {
        "name": p.name,
        "version": p.version,
        "framework": p.framework,
        "framework_version": p.framework_version,
    }


def producer_from_tree(t: dict[str, Any]) -> Producer:
    return Producer(t["name"], t["version"], t.get("framework", ""), t.get("framework_version", ""))
