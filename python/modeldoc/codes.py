"""The registry of finding codes: stable names, their layer, and what they mean.

A code, once published, never changes meaning and is never reused. New codes
may be added in a minor version; spec.md's table is generated from ``CODES``
by ``scripts/generate.py`` and CI fails if the two differ.
"""

from __future__ import annotations

from typing import NamedTuple

from .codenames import Code as Code  # re-exported: codes and their type live together


class CodeInfo(NamedTuple):
    layer: str  # "io", "syntax", "version", "schema", "semantic", "data", "limit", "write", "usage", "adapter"
    since: str  # format version that introduced the code
    meaning: str


# Where each code's JSON Pointer points (spec.md section 9.3). "" is the whole document.
POINTS_AT: dict[Code, str] = {
    "IO_UNREADABLE": '""',
    "SYNTAX_EMPTY": '""',
    "SYNTAX_UNKNOWN_ENCODING": '""',
    "SYNTAX_BOM": '""',
    "SYNTAX_UTF8": 'the string or member (unpaired surrogate escape); `""` for bytes that are not UTF-8',
    "SYNTAX_JSON": "advisory: the member or item being parsed",
    "SYNTAX_TRAILING_DATA": '""',
    "SYNTAX_DUPLICATE_KEY": "the member (`/path/name`)",
    "SYNTAX_NONFINITE_LITERAL": "the value",
    "SYNTAX_NUMBER_RANGE": "the value",
    "SYNTAX_DEPTH": "the first container deeper than the limit, in document order (advisory for MessagePack "
    "nested beyond about 1000 levels, which the reference parser cannot enter)",
    "SYNTAX_MSGPACK": "advisory (the reference reader gives `\"\"`)",
    "SYNTAX_MSGPACK_TYPE": "the value; for non-str keys, the map",
    "SYNTAX_NOT_OBJECT": '""',
    "VERSION_FORMAT": "`/format`",
    "VERSION_INVALID": "`/format_version`",
    "VERSION_UNSUPPORTED": "`/format_version`",
    "VERSION_NEWER_MINOR": "`/format_version`",
    "SCHEMA_REQUIRED": "the object that lacks the member",
    "SCHEMA_TYPE": "the value",
    "SCHEMA_ENUM": "the value",
    "SCHEMA_CONST": "the value",
    "SCHEMA_PATTERN": "the value",
    "SCHEMA_ADDITIONAL_PROPERTY": "the member that is not allowed",
    "SCHEMA_RANGE": "the value",
    "SCHEMA_OTHER": "the value",
    "SEMANTIC_DUPLICATE_LAYER": "`.../layers/i/name` of the later layer",
    "SEMANTIC_DUPLICATE_TENSOR": "`/tensors/i/name` of the later tensor",
    "SEMANTIC_DUPLICATE_VALUE": "the later definition: `.../inputs/i/name` or `.../nodes/k/outputs/j`",
    "SEMANTIC_DUPLICATE_NODE": "`.../nodes/k/name` of the later node",
    "SEMANTIC_UNKNOWN_LAYER": "`.../nodes/k/layer`",
    "SEMANTIC_UNKNOWN_VALUE": "`.../nodes/k/inputs/j` or `.../outputs/j`",
    "SEMANTIC_UNKNOWN_TENSOR": "`.../layers/i/weights/j`, or `/test_vectors/i/inputs/NAME` (`outputs`)",
    "SEMANTIC_CYCLE": "`.../nodes/k`, the lowest-indexed node on a cycle (one finding per graph)",
    "SEMANTIC_ARITY": "`.../nodes/k`",
    "SEMANTIC_SHARED_WEIGHT": "`.../layers/i/weights/j` of every listing after the first",
    "SEMANTIC_TEST_VECTOR": "`/test_vectors/i/inputs/NAME` or `/test_vectors/i/outputs/NAME`; for a missing key, the object",
    "SEMANTIC_UNUSED_TENSOR": "`/tensors/i`",
    "DATA_ENCODING_MISMATCH": "`/tensors/i/encoding`",
    "DATA_BASE64": "`/tensors/i/data`",
    "DATA_LENGTH": "`/tensors/i/data`",
    "DATA_LIST_SHAPE": "the array of wrong length, or the item of wrong kind",
    "DATA_LIST_TYPE": "the element",
    "DATA_VALUE_RANGE": "the element",
    "DATA_BOOL": "`/tensors/i/data`",
    "DATA_CHECKSUM": "`/tensors/i/sha256`",
    "DATA_QUANTIZATION": "the offending member of `/tensors/i/quantization`",
    "DATA_DOCUMENT_CHECKSUM": "`/document_sha256`",
    "LIMIT_DOCUMENT_SIZE": '""',
    "LIMIT_STRING": "the string; for a member name, the member (its name cut to 64 characters)",
    "LIMIT_COUNT": "the `layers`, `nodes` or `tensors` array at which the count passes the limit",
    "LIMIT_RANK": "`/tensors/i/shape`",
    "LIMIT_TENSOR_SIZE": "`/tensors/i/shape`",
    "LIMIT_TOTAL_SIZE": "`/tensors/i`",
    "WRITE_UNSUPPORTED_DTYPE": "`/tensors/i`",
    "WRITE_LOSSY_NAN": "`/tensors/i`",
    "WRITE_INVALID_DOCUMENT": '""',
    "WRITE_FAILED": '""',
    "USAGE": '""',
    "KERAS_UNSAFE": "the layer or object in the input (ModelDoc document or Keras config) that carries code",
    "KERAS_UNKNOWN_CLASS": "the `type`, or the nested object's `class_name`, that no table resolves",
    "KERAS_UNSUPPORTED": "the part of the model or document that cannot be represented",
    "KERAS_MISMATCH": "the layer (or input) whose weights or shape do not fit",
    "KERAS_INVALID_INPUT": '`""` or the member of the Keras config or legacy file that is malformed',
    "EVAL_UNSUPPORTED": ("the layer's `type` or `config` member outside the core profile, the layer for a call or a "
                         "value it cannot take, or `/producer/framework` (section 15.1)"),
    "EVAL_MISMATCH": "`.../weights/K`, the first weight that does not fit; `.../weights` if the list is short",
    "EVAL_INPUT": ("`/model/inputs/i`, the input whose array is missing or does not fit; `/model/inputs` for an "
                   "array no input takes; the Embedding layer for an id outside its table"),
    "EVAL_TEST_VECTOR": "`/test_vectors/i/outputs/NAME`, the output that differs beyond the tolerance",
    "ONNX_UNSUPPORTED": "the layer (or its `config` member, or the tensor) that ONNX export cannot represent",
    "TFJS_UNSUPPORTED": "the layer, config member or tensor that TensorFlow.js cannot represent",
    "TFJS_INVALID_INPUT": '`""` or the member of `model.json` (or the weights manifest) that is malformed',
}


CODES: dict[Code, CodeInfo] = {
    # --- io: the bytes could not be had at all -------------------------------
    "IO_UNREADABLE": CodeInfo("io", "1.0", "The file could not be opened or read."),
    # --- syntax: bytes -> JSON or MessagePack value tree ----------------------
    "SYNTAX_EMPTY": CodeInfo("syntax", "1.0", "The input is empty or only whitespace."),
    "SYNTAX_UNKNOWN_ENCODING": CodeInfo(
        "syntax", "1.0", "The first byte starts neither a JSON object nor a MessagePack map."
    ),
    "SYNTAX_BOM": CodeInfo("syntax", "1.0", "JSON text starts with a byte order mark."),
    "SYNTAX_UTF8": CodeInfo("syntax", "1.0", "Text is not valid UTF-8."),
    "SYNTAX_JSON": CodeInfo("syntax", "1.0", "JSON text is malformed (RFC 8259)."),
    "SYNTAX_TRAILING_DATA": CodeInfo(
        "syntax", "1.0", "Bytes other than whitespace follow the top-level value."
    ),
    "SYNTAX_DUPLICATE_KEY": CodeInfo("syntax", "1.0", "An object or map has the same member name twice."),
    "SYNTAX_NONFINITE_LITERAL": CodeInfo(
        "syntax", "1.0", "NaN, Infinity or -Infinity appear as bare JSON literals."
    ),
    "SYNTAX_NUMBER_RANGE": CodeInfo(
        "syntax",
        "1.0",
        "A number is outside the data model: an integer outside [-2^63, 2^64-1], "
        "or a decimal whose binary64 value is infinite.",
    ),
    "SYNTAX_DEPTH": CodeInfo("syntax", "1.0", "Arrays and objects nest deeper than the depth limit."),
    "SYNTAX_MSGPACK": CodeInfo("syntax", "1.0", "MessagePack data is malformed or truncated."),
    "SYNTAX_MSGPACK_TYPE": CodeInfo(
        "syntax",
        "1.0",
        "MessagePack uses a type outside the data model: an extension type, a non-string map key, "
        "a non-finite float, or bin outside tensor data.",
    ),
    "SYNTAX_NOT_OBJECT": CodeInfo("syntax", "1.0", "The top-level value is not an object/map."),
    # --- version --------------------------------------------------------------
    "VERSION_FORMAT": CodeInfo("version", "1.0", "`format` is missing or is not \"modeldoc\"."),
    "VERSION_INVALID": CodeInfo("version", "1.0", "`format_version` is missing or is not MAJOR.MINOR.PATCH."),
    "VERSION_UNSUPPORTED": CodeInfo(
        "version", "1.0", "The document's major version is not one this reader implements."
    ),
    "VERSION_NEWER_MINOR": CodeInfo(
        "version",
        "1.0",
        "Warning: the document has a newer minor version; members this reader does not know are ignored.",
    ),
    # --- schema ---------------------------------------------------------------
    "SCHEMA_REQUIRED": CodeInfo("schema", "1.0", "A required member is missing."),
    "SCHEMA_TYPE": CodeInfo("schema", "1.0", "A value has the wrong JSON type."),
    "SCHEMA_ENUM": CodeInfo("schema", "1.0", "A value is not one of the allowed values."),
    "SCHEMA_CONST": CodeInfo("schema", "1.0", "A value differs from the one fixed value allowed."),
    "SCHEMA_PATTERN": CodeInfo("schema", "1.0", "A string does not match its required pattern."),
    "SCHEMA_ADDITIONAL_PROPERTY": CodeInfo("schema", "1.0", "An object has a member the schema does not define."),
    "SCHEMA_RANGE": CodeInfo(
        "schema", "1.0", "A number, string length or array length is outside its allowed range."
    ),
    "SCHEMA_OTHER": CodeInfo("schema", "1.0", "Any other JSON Schema violation."),
    # --- semantic: names, references, graph -----------------------------------
    "SEMANTIC_DUPLICATE_LAYER": CodeInfo("semantic", "1.0", "Two layers of one graph have the same name."),
    "SEMANTIC_DUPLICATE_TENSOR": CodeInfo("semantic", "1.0", "Two tensors have the same name."),
    "SEMANTIC_DUPLICATE_VALUE": CodeInfo(
        "semantic", "1.0", "A value name is defined twice in one graph (by inputs or node outputs)."
    ),
    "SEMANTIC_DUPLICATE_NODE": CodeInfo("semantic", "1.0", "Two nodes of one graph have the same name."),
    "SEMANTIC_UNKNOWN_LAYER": CodeInfo("semantic", "1.0", "A node calls a layer that its graph does not define."),
    "SEMANTIC_UNKNOWN_VALUE": CodeInfo(
        "semantic", "1.0", "A node input or graph output names a value that nothing defines."
    ),
    "SEMANTIC_UNKNOWN_TENSOR": CodeInfo("semantic", "1.0", "A layer names a weight that is not in `tensors`."),
    "SEMANTIC_CYCLE": CodeInfo("semantic", "1.0", "The nodes of a graph form a cycle."),
    "SEMANTIC_ARITY": CodeInfo(
        "semantic",
        "1.0",
        "A node calls a layer that holds a nested model with a different number of inputs or outputs.",
    ),
    "SEMANTIC_TEST_VECTOR": CodeInfo(
        "semantic",
        "1.0",
        "A test vector does not fit the model: a key that is not a top-level input or output, a missing one, "
        "or a tensor whose dtype or shape does not fit the input.",
    ),
    "SEMANTIC_SHARED_WEIGHT": CodeInfo(
        "semantic", "1.0", "Warning: one tensor is listed as a weight of more than one layer."
    ),
    "SEMANTIC_UNUSED_TENSOR": CodeInfo("semantic", "1.0", "Warning: a tensor is not a weight of any layer."),
    # --- data: tensor payloads ------------------------------------------------
    "DATA_ENCODING_MISMATCH": CodeInfo(
        "data", "1.0", "The tensor encoding is not allowed in this container (raw in JSON, base64/list in MessagePack)."
    ),
    "DATA_BASE64": CodeInfo(
        "data", "1.0", "base64 text is not padded RFC 4648 standard-alphabet base64 without whitespace."
    ),
    "DATA_LENGTH": CodeInfo("data", "1.0", "The byte length of the data differs from product(shape) x itemsize."),
    "DATA_LIST_SHAPE": CodeInfo("data", "1.0", "Nested list data does not follow the declared shape."),
    "DATA_LIST_TYPE": CodeInfo(
        "data", "1.0", "A list element has the wrong type for the dtype (e.g. a decimal in an integer tensor)."
    ),
    "DATA_VALUE_RANGE": CodeInfo(
        "data", "1.0", "A list element is outside the range of the dtype (integers; finite floats that overflow)."
    ),
    "DATA_BOOL": CodeInfo("data", "1.0", "A bool tensor holds a byte other than 0x00 or 0x01."),
    "DATA_CHECKSUM": CodeInfo("data", "1.0", "The sha256 of the decoded bytes differs from the declared one."),
    "DATA_QUANTIZATION": CodeInfo(
        "data", "1.0", "quantization does not fit the stored tensor (scheme, dtypes, axis, parameter counts or values)."
    ),
    "DATA_DOCUMENT_CHECKSUM": CodeInfo(
        "data", "1.0", "document_sha256 differs from the SHA-256 of the document's reader report."
    ),
    # --- limits -----------------------------------------------------------------
    "LIMIT_DOCUMENT_SIZE": CodeInfo("limit", "1.0", "The input is larger than the document size limit."),
    "LIMIT_STRING": CodeInfo(
        "limit", "1.0", "A string (other than tensor data) or member name is longer than the string limit."
    ),
    "LIMIT_COUNT": CodeInfo(
        "limit", "1.0", "The document has more layers, nodes or tensors (in all graphs together) than the limit."
    ),
    "LIMIT_RANK": CodeInfo("limit", "1.0", "A shape has more dimensions than the rank limit."),
    "LIMIT_TENSOR_SIZE": CodeInfo(
        "limit", "1.0", "A tensor's declared byte size exceeds the per-tensor limit (or overflows 64 bits)."
    ),
    "LIMIT_TOTAL_SIZE": CodeInfo("limit", "1.0", "All tensors together exceed the total size limit."),
    # --- write: refusals when producing a document -------------------------------
    "WRITE_UNSUPPORTED_DTYPE": CodeInfo("write", "1.0", "An array's dtype is not one of the ModelDoc dtypes."),
    "WRITE_LOSSY_NAN": CodeInfo(
        "write",
        "1.0",
        "The list encoding would drop NaN sign or payload bits; pass canonicalize_nan=True to allow it.",
    ),
    "WRITE_INVALID_DOCUMENT": CodeInfo(
        "write", "1.0", "The document to be written is not valid; nothing was written."
    ),
    "WRITE_FAILED": CodeInfo("write", "1.0", "The output file could not be written; the destination is unchanged."),
    # --- usage: the request itself is wrong (command line or API options); nothing was read or written ---
    "USAGE": CodeInfo(
        "usage", "1.0", "Arguments or options are malformed or contradict each other (an output's extension and "
        "its encoding, an output that is the input, an option that needs another); nothing was done."
    ),
    # --- adapter: the Keras adapter's refusals (modeldoc.keras; not reader findings) ---
    "KERAS_UNSAFE": CodeInfo(
        "adapter",
        "1.0",
        "The input carries code (a Lambda layer, marshaled bytecode, a reference to an external model); "
        "refused unless unsafe loading is asked for.",
    ),
    "KERAS_UNKNOWN_CLASS": CodeInfo(
        "adapter",
        "1.0",
        "A class or function name is neither on the Keras adapter's allowlist nor a registered custom object.",
    ),
    "KERAS_UNSUPPORTED": CodeInfo(
        "adapter", "1.0", "The model uses something ModelDoc 1.0 cannot represent (e.g. string inputs)."
    ),
    "KERAS_MISMATCH": CodeInfo(
        "adapter", "1.0", "Weights or inputs do not fit the rebuilt Keras model (count, shape or dtype)."
    ),
    "KERAS_INVALID_INPUT": CodeInfo(
        "adapter", "1.0", "A Keras config, .keras/.h5 file or legacy JSON is malformed, or Keras rejected it."
    ),
    # --- adapter: the evaluator and the ONNX and TensorFlow.js adapters (not reader findings) ---
    "EVAL_UNSUPPORTED": CodeInfo(
        "adapter", "1.0", "The reference evaluator meets a layer type or config value outside the core profile."
    ),
    "EVAL_MISMATCH": CodeInfo(
        "adapter", "1.0", "A layer's weights do not fit its config (count, shape or dtype) in the core profile."
    ),
    "EVAL_INPUT": CodeInfo(
        "adapter", "1.0", "An array given to the evaluator is missing or does not fit its graph input (dtype, rank, shape)."
    ),
    "EVAL_TEST_VECTOR": CodeInfo(
        "adapter", "1.0", "The evaluator's output differs from a test vector by more than the stated tolerance."
    ),
    "ONNX_UNSUPPORTED": CodeInfo(
        "adapter", "1.0", "The model uses a layer, config value or dtype the ONNX exporter cannot represent."
    ),
    "TFJS_UNSUPPORTED": CodeInfo(
        "adapter", "1.0", "The model uses a layer, config value or dtype TensorFlow.js cannot represent "
        "(float64 and int64 are never narrowed silently)."
    ),
    "TFJS_INVALID_INPUT": CodeInfo(
        "adapter", "1.0", "A TensorFlow.js model.json or its weight files are malformed or inconsistent."
    ),
}
