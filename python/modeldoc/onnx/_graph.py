"""Document -> onnx.ModelProto: the walk over the flattened calls.

Graph inputs and outputs keep the document's top-level names (an output that
repeats an input or an earlier output gets a ``_1`` suffix, since ONNX names
are single-assignment); an unknown first dimension becomes the symbolic
``batch``, other unknown dimensions ``<input>_dim<i>``. Weights become
initializers in their own dtype: nothing is narrowed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper

from .._version import __version__
from ..document import Document, Input
from ..dtypes import DTYPES
from ..errors import ModelDocError
from ..flatgraph import flatten
from ._builder import Builder, Value
from ._masks import Masks
from ._opsets import DEFAULT_OPSET
from ._support import TABLE, analyse


def _input_info(i: Input) -> onnx.ValueInfoProto:
    dims: list[Any] = [d if d is not None else ("batch" if k == 0 else f"{i.name}_dim{k}")
                       for k, d in enumerate(i.shape)]
    elem = helper.np_dtype_to_tensor_dtype(DTYPES[i.dtype].native)
    return helper.make_tensor_value_info(i.name, elem, dims)


def to_onnx(doc: Document, *, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """The document's model as an ONNX model (default-domain ops only, opset ``opset``).

    Raises ModelDocError with one ``ONNX_UNSUPPORTED`` finding per layer type,
    config member, weight dtype or call argument that export cannot represent,
    all of them at once and before anything is built. The model is not checked
    here; :func:`modeldoc.onnx.check_onnx` runs onnx.checker and onnxruntime.

    >>> import modeldoc
    >>> from modeldoc.onnx import to_onnx
    >>> g = modeldoc.Graph(
    ...     layers=[modeldoc.Layer("dense", "Dense", {"units": 2, "activation": "relu"}, ["k", "b"])],
    ...     inputs=[modeldoc.Input("x", "float32", [None, 3])],
    ...     nodes=[modeldoc.Node("dense", ["x"], ["y"])], outputs=["y"])
    >>> doc = modeldoc.Document(g, {"k": np.ones((3, 2), "float32"), "b": np.zeros(2, "float32")})
    >>> [n.op_type for n in to_onnx(doc).graph.node]
    ['MatMul', 'Add', 'Relu', 'Identity']
    """
    program = flatten(doc)
    params, findings = analyse(doc, program, opset)
    if findings:
        raise ModelDocError(findings)
    b = Builder(opset)
    env: dict[str, Value] = {}
    for i in program.inputs:
        b.reserve(i.name)
        env[i.name] = Value(i.name, np.dtype(DTYPES[i.dtype].native), len(i.shape))
    output_names = [b.fresh(name) for name in doc.model.outputs]
    masks = Masks(b)
    for call in program.calls:
        b.pointer = call.pointer
        xs, b.extras = masks.inputs(call, env)
        outs = TABLE[call.layer.type].emit(b, params[id(call.layer)], xs, call)
        if len(outs) != len(call.outputs):
            raise ModelDocError.of("ONNX_UNSUPPORTED", call.pointer, f"layer {call.path!r} gives {len(outs)} "
                                   f"outputs in ONNX but is called for {len(call.outputs)}")
        env.update(zip(call.outputs, outs))
        masks.record(call, xs, outs)
    outputs = []
    for name, value_id in zip(output_names, program.outputs):
        value = env[value_id]
        b.nodes.append(helper.make_node("Identity", [value.name], [name], name=b.fresh(f"{name}#output")))
        outputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(value.dtype), None))
    graph = helper.make_graph(b.nodes, doc.model.name or "modeldoc", [_input_info(i) for i in program.inputs],
                              outputs, b.initializers)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="modeldoc", producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    model.doc_string = f"Exported from a ModelDoc {doc.format_version} document"
    helper.set_model_props(model, {k: v for k, v in doc.metadata.items()})
    _output_shapes(model)
    return model


def _output_shapes(model: onnx.ModelProto) -> None:
    """Give the graph outputs the types ONNX shape inference finds (the checker wants a shape on each)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except onnx.shape_inference.InferenceError:
        return  # the checker reports the problem
    for out, found in zip(model.graph.output, inferred.graph.output):
        if found.type.tensor_type.HasField("shape"):
            out.type.CopyFrom(found.type)
