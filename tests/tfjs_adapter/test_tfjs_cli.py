"""``modeldoc to-tfjs`` and ``modeldoc from-tfjs`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import modeldoc
from tests.testutil import run_cli
from tests.tfjs_adapter.tfjs_helpers import Exports


def test_cli_both_directions(tfjs_exports: Exports, tmp_path: Path) -> None:
    src = tfjs_exports.folder / "zoo_mlp" / "doc.json"
    r = run_cli("to-tfjs", str(src), str(tmp_path / "out"), "--shard-bytes", "100")
    assert r.returncode == 0, r.stderr
    model = json.loads((tmp_path / "out" / "model.json").read_text())
    assert len(model["weightsManifest"][0]["paths"]) > 1
    r = run_cli("from-tfjs", str(tmp_path / "out" / "model.json"), str(tmp_path / "back.mdpk"), "--encoding", "msgpack")
    assert r.returncode == 0, r.stderr
    back = modeldoc.load(tmp_path / "back.mdpk")
    original = modeldoc.load(src)
    kernels = [n for n in original.tensors if n.endswith("kernel")]
    assert kernels
    for name in kernels:
        assert any(np.array_equal(original.tensors[name], t) for t in back.tensors.values()), name


def test_cli_refusal_is_one_line_per_finding(tmp_path: Path) -> None:
    from modeldoc.keras import from_keras
    from modeldoc.keras.zoo import build

    doc = from_keras(build("activations"))
    modeldoc.save(doc, tmp_path / "acts.json")
    r = run_cli("to-tfjs", str(tmp_path / "acts.json"), str(tmp_path / "out"))
    assert r.returncode == 1
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) >= 5 and all("TFJS_UNSUPPORTED" in line for line in lines)
    assert not (tmp_path / "out").exists()
    (tmp_path / "m.json").write_text("{")
    r = run_cli("from-tfjs", str(tmp_path / "m.json"), str(tmp_path / "x.json"))
    assert r.returncode == 1 and "TFJS_INVALID_INPUT" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("from-tfjs", str(tmp_path / "missing.json"), str(tmp_path / "x.json"))
    assert r.returncode == 2


def test_the_converters_load_on_first_use() -> None:
    """`modeldoc --help` registers the tfjs commands without importing the converters."""
    code = ("import sys, modeldoc.tfjs.cli\n"
            "assert 'modeldoc.tfjs._topology_out' not in sys.modules\n"
            "f = modeldoc.tfjs.to_tfjs\n"
            "assert 'modeldoc.tfjs._topology_out' in sys.modules and f.__name__ == 'to_tfjs'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_from_tfjs_output_follows_the_extension(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[2] / "conformance_fixtures" / "valid"
    assert run_cli("to-tfjs", str(fixtures / "keras-zoo-cnn-base64.json"), str(tmp_path / "tfjs")).returncode == 0
    model_json = str(tmp_path / "tfjs" / "model.json")
    assert run_cli("from-tfjs", model_json, str(tmp_path / "a.msgpack")).returncode == 0
    assert modeldoc.validate(tmp_path / "a.msgpack").container == "msgpack"
    r = run_cli("from-tfjs", model_json, str(tmp_path / "b.json"), "--encoding", "msgpack")
    assert r.returncode == 2 and "USAGE" in r.stderr and not (tmp_path / "b.json").exists()
    assert run_cli("from-tfjs", model_json, str(tmp_path / "a.msgpack")).returncode == 2  # exists: --force
    r = run_cli("from-tfjs", "-", str(tmp_path / "c.json"))
    assert r.returncode == 2 and "standard input" in r.stderr
