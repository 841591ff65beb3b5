"""The ONNX graph under construction: nodes, initializers and unique names.

Every op family writes through a :class:`Builder`, so names are made unique in
one place and the opset-dependent forms of an op (ReduceMean's ``axes`` moved
from an attribute to an input in opset 18) are chosen in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper


@dataclass(frozen=True)
class Value:
    """A value of the ONNX graph: its name, element dtype and rank (None when unknown)."""

    name: str
    dtype: np.dtype[Any]
    rank: int | None


@dataclass(frozen=True)
class Extras:
    """What a call passes besides its data inputs (spec.md 15.12, 15.14): the mask it reads (for the
    attention layers a query and a value mask), tensors passed by name, and flags such as use_causal_mask."""

    mask: Value | list[Value | None] | None = None
    named: dict[str, Value] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    constants: dict[int, float] = field(default_factory=dict)
    """Number operands of ops.numpy.NotEqual, by their place among the operands."""


@dataclass
class Builder:
    """Collects the nodes and initializers of one ONNX graph."""

    opset: int
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    pointer: str = ""
    """JSON Pointer of the layer being exported; each node keeps it as its doc_string, so a checker
    error that names a node can be reported at the layer."""
    extras: Extras = field(default_factory=Extras)
    """The mask, named tensors and flags of the call being exported."""
    _taken: set[str] = field(default_factory=set)
    _cache: dict[Any, str] = field(default_factory=dict)

    def subgraph(self) -> Builder:
        """A builder for the body of a Scan: its own nodes, but the names, shared constants and initializers
        of this graph (a body reads outer values by name, and ONNX names are unique across a model)."""
        return Builder(self.opset, initializers=self.initializers, pointer=self.pointer, _taken=self._taken,
                       _cache=self._cache)

    def reserve(self, name: str) -> None:
        """Keep ``name`` (a graph input or output) from being given to anything else."""
        self._taken.add(name)

    def fresh(self, hint: str) -> str:
        """A name not used yet, readable: the hint itself or the hint with a numeric suffix."""
        name, k = hint, 1
        while name in self._taken:
            name, k = f"{hint}_{k}", k + 1
        self._taken.add(name)
        return name

    def op(self, op_type: str, inputs: Sequence[str], hint: str, *, outputs: int = 1, **attrs: Any) -> str:
        """Append one node and return the name of its (first) output."""
        return self.op_multi(op_type, inputs, hint, outputs=outputs, **attrs)[0]

    def op_multi(self, op_type: str, inputs: Sequence[str], hint: str, *, outputs: int, **attrs: Any) -> list[str]:
        """Append one node with ``outputs`` outputs and return their names."""
        names = [self.fresh(f"{hint}/{op_type}" if i == 0 else f"{hint}/{op_type}:{i}") for i in range(outputs)]
        node_name = self.fresh(f"{hint}/{op_type}#node")
        self.nodes.append(helper.make_node(op_type, list(inputs), names, name=node_name, doc_string=self.pointer,
                                           **attrs))
        return names

    def const(self, array: np.ndarray, hint: str, *, key: Any = None) -> str:
        """An initializer holding ``array`` (kept in its own dtype); ``key`` shares it between calls."""
        if key is not None and key in self._cache:
            return self._cache[key]
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self._cache[key] = name
        return name

    def ints(self, values: Sequence[int], hint: str) -> str:
        """An int64 1-D constant (shapes, axes, pads), shared by equal values."""
        return self.const(np.asarray(list(values), np.int64), f"{hint}/ints", key=("ints", tuple(values)))

    def scalar(self, value: float, dtype: np.dtype[Any], hint: str) -> str:
        """A 0-D constant of ``dtype``, shared by equal values."""
        key = ("scalar", float(value), np.dtype(dtype).str)
        return self.const(np.asarray(value, dtype), f"{hint}/scalar", key=key)

    def cast(self, x: Value, dtype: np.dtype[Any], hint: str) -> Value:
        """``x`` converted to ``dtype`` (no node when it already is)."""
        if x.dtype == np.dtype(dtype):
            return x
        to = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        producer = next((n for n in reversed(self.nodes) if x.name in n.output), None)
        if producer is not None and producer.op_type == "Transpose":
            # Cast before the Transpose, not after: onnxruntime 1.31's MatmulTransposeFusion crashes the process
            # (segmentation fault) on Transpose -> Cast -> MatMul, e.g. a float64 LSTM sequence into a float32
            # Dense. The two commute, so the value is the same.
            perm = next(list(a.ints) for a in producer.attribute if a.name == "perm")
            cast = self.op("Cast", [producer.input[0]], hint, to=to)
            return Value(self.transpose(cast, perm, hint), np.dtype(dtype), x.rank)
        return Value(self.op("Cast", [x.name], hint, to=to), np.dtype(dtype), x.rank)

    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool, hint: str) -> str:
        """ReduceMean/ReduceMax/...: ``axes`` is an input from opset 18 on (ReduceSum: 13), an attribute before."""
        if self.opset >= 18 or op_type == "ReduceSum":
            return self.op(op_type, [x, self.ints(axes, hint)], hint, keepdims=int(keepdims))
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))

    def squeeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Squeeze", [x, self.ints(axes, hint)], hint)

    def unsqueeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes, hint)], hint)

    def transpose(self, x: str, perm: Sequence[int], hint: str) -> str:
        return self.op("Transpose", [x], hint, perm=list(perm))
