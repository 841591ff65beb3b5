"""The table of ``modeldoc`` commands: each command's name, the module that defines it, its help line.

``cli.py`` lists the table in ``modeldoc --help`` and imports a command's module only when that
command is chosen, so ``modeldoc validate`` never imports an adapter, and an adapter whose extra is
missing fails only its own commands. A module defines its commands in ``add_commands(commands)``
(``commands.add_parser`` as argparse's); a test checks that each registers the help line given here.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    name: str
    module: str  # imported when the command runs; its add_commands() registers the command's arguments
    help: str


COMMANDS: tuple[Command, ...] = (
    Command("validate", "modeldoc.cli", "check documents: syntax, schema, graph, data, checksums"),
    Command("inspect", "modeldoc.cli", "summarise a document: model, layers, tensors"),
    Command("convert", "modeldoc.cli", "rewrite a document in another encoding (lossless, atomic)"),
    Command("digest", "modeldoc.cli", "print the canonical reader report (spec.md, 'Reader report')"),
    Command("extract", "modeldoc.cli", "write one tensor's values as a .npy file (reads one tensor at a time)"),
    Command("diff", "modeldoc.cli", "compare two documents: model, configs, and each tensor (exit 1 if they differ)"),
    Command("schema", "modeldoc.cli", "print the JSON Schema shipped with this reader"),
    Command("conformance", "modeldoc.conformance",
            "run the conformance suite against a reader, or check a producer's files"),
    Command("from-keras", "modeldoc.keras.cli", "convert a .keras or legacy .h5 Keras model (no code in it is run)"),
    Command("to-keras", "modeldoc.keras.cli", "rebuild the Keras model of a document and save it as .keras"),
    Command("upgrade", "modeldoc.keras.cli",
            "convert hand-rolled model_config/model_json + weights JSON to ModelDoc"),
    Command("run", "modeldoc.evaluator.cli",
            "evaluate a document with the NumPy reference evaluator (spec.md section 15)"),
    Command("to-onnx", "modeldoc.onnx.cli", "export a document's model to ONNX (needs modeldoc[onnx])"),
    Command("to-tfjs", "modeldoc.tfjs.cli", "write a document as a TensorFlow.js Layers model (model.json + shards)"),
    Command("from-tfjs", "modeldoc.tfjs.cli",
            "read a TensorFlow.js Layers model (model.json + shards) into a document"),
)
