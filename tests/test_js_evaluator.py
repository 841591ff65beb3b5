"""The JavaScript evaluator (readers/js, written from spec.md alone) against the NumPy one.

Both read the same text, so on any document they have to report the same findings before anything
runs (spec.md 15.1 and 15.12 compare findings as a set of code and pointer), and the JavaScript one has
to pass every conformance fixture's test vectors that the NumPy one passes. The random graphs mix
mask makers, carriers, consumers and the layers that refuse a mask, nested models called once or
twice, and configs and calls outside the profile.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import modeldoc
from modeldoc.document import Document, Graph, Input, Layer, Node, Producer
from modeldoc.evaluator import check_test_vectors
from tests.testutil import CASES, FIXTURES, ROOT, needs_node

JS = ROOT / "readers" / "js"
pytestmark = needs_node(ROOT / "readers" / "js")

# Reads each file named on the command line and prints {file: [[code, pointer], ...]}: the findings of
# the planning pass when called with no inputs, or with "vectors" the failed test-vector outputs.
_JS_SCRIPT = """
import { readFileSync } from 'node:fs';
const { read } = await import(process.env.MODELDOC_JS + '/src/index.mjs');
const { evaluate, checkTestVectors } = await import(process.env.MODELDOC_JS + '/src/evaluate.mjs');
const [mode, ...files] = process.argv.slice(1);
const out = {};
for (const f of files) {
  try {
    const doc = read(readFileSync(f));
    out[f] = mode === 'vectors' ? checkTestVectors(doc).findings.map((x) => [x.code, x.pointer]) : (evaluate(doc, {}), []);
  } catch (e) {
    if (!e.findings) throw e;
    out[f] = e.findings.map((x) => [x.code, x.pointer]);
  }
}
console.log(JSON.stringify(out));
"""


def js_findings(mode: str, files: list[Path]) -> dict[str, set[tuple[str, str]]]:
    node = shutil.which("node")
    assert node, "node is part of the machine image (Node 20); the JavaScript evaluator needs it"
    r = subprocess.run([node, "--input-type=module", "-e", _JS_SCRIPT, mode, *map(str, files)], capture_output=True,
                       text=True, check=True, env={"PATH": "", "MODELDOC_JS": JS.as_uri()})
    found = {f: {(c, p) for c, p in pairs} for f, pairs in json.loads(r.stdout).items()}
    return {f: planning(pairs) for f, pairs in found.items()} if mode == "plan" else found


def planning(found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The findings before anything runs: with no inputs given, a document the plan accepts fails only at
    binding its inputs (EVAL_INPUT), which is not a planning finding."""
    return set() if all(code == "EVAL_INPUT" for code, _ in found) else found


def py_planning_findings(doc: Document) -> set[tuple[str, str]]:
    try:
        modeldoc.evaluate(doc, {})
    except modeldoc.ModelDocError as e:
        return planning({(f.code, f.pointer) for f in e.findings})
    return set()


# type, config, how a node calls it
_POOL: list[tuple[str, dict[str, Any], str]] = [
    ("Embedding", {"input_dim": 6, "output_dim": 4, "mask_zero": True}, "ids"),
    ("Masking", {}, "one"), ("Dense", {"units": 4}, "one"), ("Softmax", {}, "one"), ("Dropout", {"rate": 0.1}, "one"),
    ("LayerNormalization", {}, "one"), ("GroupNormalization", {"groups": 2}, "one"), ("Flatten", {}, "one"),
    ("LSTM", {"units": 4, "return_sequences": True}, "one"), ("GRU", {"units": 4}, "one"),
    ("GlobalAveragePooling1D", {}, "one"),
    ("TimeDistributed", {"layer": {"class_name": "Softmax", "config": {}}}, "one"),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 4}}}, "one"),
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 2, "return_sequences": True}}}, "one"),
    ("Add", {}, "two"), ("Concatenate", {}, "two"), ("Multiply", {}, "two"),
    ("Attention", {}, "attention"), ("AdditiveAttention", {"use_scale": False}, "attention"),
    ("MultiHeadAttention", {"num_heads": 1, "key_dim": 2}, "mha"),
    ("ops.numpy.Add", {}, "operation"), ("Lambda", {}, "one"), ("Normalization", {"mean": [1.0]}, "one"),
    ("GroupNormalization", {"axis": -2}, "one"), ("LSTM", {"units": 4}, "state"),
]


def _graph(rng: random.Random, nested: bool) -> Graph:
    layers: list[Layer] = []
    nodes: list[Node] = []
    values = ["x"]
    for k in range(rng.randint(2, 7)):
        if nested and rng.random() < 0.12:
            inner = _graph(rng, nested=False)
            inner.inputs = [Input("x", "float32", [None, 3, 4])]
            inner.nodes = [Node(n.layer, ["x" if v == "ids" else v for v in n.inputs], n.outputs, arguments=n.arguments)
                           for n in inner.nodes]
            inner.outputs = inner.outputs[:1]
            layers.append(Layer(f"m{k}", "Functional", {}, model=inner))
            for call in range(rng.randint(1, 2)):  # a nested model follows the masks of each call
                nodes.append(Node(f"m{k}", [rng.choice(values)], [f"m{k}_{call}"]))
                values.append(f"m{k}_{call}")
            continue
        layer_type, config, how = rng.choice(_POOL)
        name, out = f"l{k}", f"l{k}_out"
        layers.append(Layer(name, layer_type, dict(config)))
        a, b = rng.choice(values), rng.choice(values)
        ref = [{"$input": 0}, {"$input": 1}]
        mha_key = how == "mha" and rng.random() < 0.5  # a null key is the value (spec.md)
        node = {
            "ids": Node(name, ["ids"], [out]),
            "one": Node(name, [a], [out]),
            "two": Node(name, [a, b], [out]),
            "attention": Node(name, [a, b], [out], arguments={"args": [ref], "kwargs": {"use_causal_mask": rng.random() < 0.5}}),
            "mha": Node(name, [a, b], [out], arguments={"args": ref, **({"kwargs": {"key": None}} if mha_key else {})}),
            "operation": Node(name, [a], [out], arguments={"args": [{"$input": 0}, 2.0]}),
            "state": Node(name, [a, b], [out], arguments={"args": [{"$input": 0}], "kwargs": {"initial_state": [{"$input": 1}]}}),
        }[how]
        nodes.append(node)
        values.append(out)
    used = {v for n in nodes for v in n.inputs}
    outputs = [v for v in values[1:] if v not in used] or [values[-1]]
    return Graph(layers=layers, inputs=[Input("ids", "int32", [None, 3]), Input("x", "float32", [None, 3, 4])],
                 nodes=nodes, outputs=outputs)


def test_the_planning_passes_agree_on_random_graphs(tmp_path: Path) -> None:
    rng = random.Random(20261205)
    files, want = [], {}
    for k in range(150):
        doc = Document(_graph(rng, nested=True), {})
        doc.producer = Producer(framework="keras")
        path = tmp_path / f"graph{k}.json"
        modeldoc.save(doc, path)
        files.append(path)
        want[str(path)] = py_planning_findings(modeldoc.load(path))
    got = js_findings("plan", files)
    differ = {f: (want[f], got[f]) for f in want if want[f] != got[f]}
    assert not differ, f"{len(differ)} of {len(files)} differ, for example {next(iter(differ.items()))}"
    # not vacuous: many graphs hold findings at a call (masks refused, counts), not only unknown types or configs
    at_calls = [f for f in want if any("/config/" not in p and not p.endswith("/type") for _, p in want[f])]
    assert len(at_calls) >= 30, len(at_calls)
    assert sum(1 for f in want if not want[f]) >= 10  # and some that the profile accepts


def test_the_javascript_evaluator_passes_every_fixture_the_numpy_one_passes() -> None:
    passed = []
    for case in CASES:
        doc = modeldoc.load(FIXTURES / case["file"]) if case["valid"] else None
        if doc is None or not doc.test_vectors:
            continue
        try:
            if all(c.ok for c in check_test_vectors(doc)):
                passed.append(FIXTURES / case["file"])
        except modeldoc.ModelDocError:
            continue  # outside the profile for the NumPy evaluator (a producer with no framework)
    assert any("keras-zoo-attention" in p.name for p in passed)
    got = js_findings("vectors", passed)
    assert {f: found for f, found in got.items() if found} == {}
