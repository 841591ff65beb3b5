"""Export every keras.applications model (and the zoo's bilstm and transformer) to TensorFlow.js and check it
there; prints the table of docs/tfjs.md.

Usage: PYTHONPATH=python python scripts/tfjs_applications.py [NAME ...]   (default: the 40 applications, then
bilstm and transformer; slow: minutes per large model). Each model is built as scripts/applications.py builds
it (random weights, one test vector), exported with ``to_tfjs``; an export is loaded by @tensorflow/tfjs in
Node (interop/tfjs/reference.mjs) and its prediction compared with the test vector by spec.md 15.11's rule.
A refused model lists the distinct reasons. One JSON line per model goes to stderr as it finishes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same kernels on every machine (docs/development.md)

import numpy as np

INTEROP = Path(__file__).resolve().parents[1] / "interop" / "tfjs"
ZOO_MODELS = ("bilstm", "transformer")


@dataclass
class Row:
    name: str
    exported: bool
    agrees: bool | None
    max_abs_diff: float | None
    max_abs_keras: float | None
    """The largest output magnitude: random weights make some models' outputs huge, and the test vector's
    tolerance (spec.md 15.11) grows with them."""
    tolerance: float | None
    reasons: list[str]
    seconds: float


def _build(name: str) -> Any:
    if name in ZOO_MODELS:
        from modeldoc.keras.zoo import build

        return build(name)
    from modeldoc.keras._applications import build_application

    return build_application(name)


def _reasons(findings: list[Any]) -> list[str]:
    """The distinct reasons of a refusal: messages without the layer they name, layer types of one reason joined."""
    types: dict[str, list[str]] = {}
    for f in findings:
        text = re.sub(r"^layer '[^']*':? ", "", f.message)
        m = re.match(r"^([A-Za-z][\w.]*): (.*)$", text)
        kind, reason = (m.group(1), m.group(2)) if m else ("", text)
        kinds = types.setdefault(reason, [])
        if kind and kind not in kinds:
            kinds.append(kind)
    return [f"{', '.join(kinds)}: {reason}" if kinds else reason for reason, kinds in types.items()]


def check(name: str) -> Row:
    """Export ``name`` to tfjs; if it exports, compare tfjs' prediction with the Keras test vector."""
    import modeldoc.keras as mk
    from modeldoc.errors import ModelDocError
    from modeldoc.tfjs import to_tfjs
    from modeldoc.vectorrule import allowed_atol, compare

    start = time.perf_counter()
    model = _build(name)
    with tempfile.TemporaryDirectory() as tmp:
        try:  # the graph decides a refusal: the test vector (Keras in float32 and float64) only for exports
            to_tfjs(mk.from_keras(model), Path(tmp) / "model")
        except ModelDocError as e:
            return Row(name, False, None, None, None, None, _reasons(e.findings), time.perf_counter() - start)
        doc = mk.from_keras(model, test_vectors=1, seed=0)
        vector = doc.test_vectors[0]
        to_tfjs(doc, Path(tmp) / "model")
        inputs = [doc.tensors[vector.inputs[i.name]] for i in doc.model.inputs]
        (Path(tmp) / "in.json").write_text(json.dumps({"inputs": [
            {"shape": list(x.shape), "data": x.ravel().tolist(), "dtype": str(x.dtype)} for x in inputs]}))
        r = subprocess.run(["node", str(INTEROP / "reference.mjs"), str(Path(tmp) / "model" / "model.json"),
                            str(Path(tmp) / "in.json"), str(Path(tmp) / "out.json")], capture_output=True, text=True,
                           env={**os.environ, "NODE_NO_WARNINGS": "1"}, timeout=3600)
        if r.returncode != 0:
            return Row(name, True, False, None, None, vector.tolerance, [r.stderr.strip().splitlines()[-1][:300]],
                       time.perf_counter() - start)
        outs = json.loads((Path(tmp) / "out.json").read_text())["outputs"]
    worst, agrees, scale = 0.0, True, 0.0
    for k, out_name in enumerate(doc.model.outputs):
        want = doc.tensors[vector.outputs[out_name]]
        scale = max(scale, float(np.max(np.abs(want))))
        got = np.array([float(v) for v in outs[k]["data"]], np.float64).reshape(outs[k]["shape"])
        diff, ok, _ = compare(got, want, allowed_atol(vector.tolerance))
        worst, agrees = max(worst, diff), agrees and ok
    return Row(name, True, agrees, worst, scale, vector.tolerance, [], time.perf_counter() - start)


def main(names: list[str]) -> None:
    from modeldoc.keras._applications import APPLICATIONS

    rows = []
    for name in names or [*APPLICATIONS, *ZOO_MODELS]:
        row = check(name)
        print(json.dumps(asdict(row)), file=sys.stderr, flush=True)
        rows.append(row)
    print("| model | to-tfjs | max \\|tfjs - Keras\\| | max \\|Keras\\| | tolerance | reasons refused |")
    print("|---|---|--:|--:|--:|---|")
    for r in rows:
        if not r.exported:
            status = "refused"
        else:
            status = "exported, agrees" if r.agrees else "exported, DIFFERS"
        diff, scale, tol = (_number(v) for v in (r.max_abs_diff, r.max_abs_keras, r.tolerance))
        print(f"| {r.name} | {status} | {diff} | {scale} | {tol} | {'; '.join(r.reasons)} |")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


if __name__ == "__main__":
    main(sys.argv[1:])
