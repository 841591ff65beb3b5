"""``modeldoc diff`` and ``modeldoc extract``: what they report, and that they read one tensor at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import modeldoc
from modeldoc.compare import diff_documents, max_abs_diff
from tests.testutil import run_cli


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a = modeldoc.example_document()
    b = modeldoc.example_document()
    b.tensors["conv/kernel"] = b.tensors["conv/kernel"].copy()
    b.tensors["conv/kernel"][0, 0, 0, 1] += 0.25
    b.tensors["conv/kernel"][1, 2, 0, 3] -= 0.5
    b.model.layers[0].config["padding"] = "valid"
    b.metadata["note"] = "changed"
    b.tensors["extra"] = np.zeros(3, np.float32)
    b.model.layers[0].weights.append("extra")
    pa, pb = tmp_path / "a.json", tmp_path / "b.msgpack"
    modeldoc.save(a, pa)
    modeldoc.save(b, pb)
    return pa, pb


def test_diff_reports_model_config_and_each_tensor(pair: tuple[Path, Path]) -> None:
    a, b = pair
    d = diff_documents(str(a), str(b), budget=1)  # a budget of one byte: one pair per pass
    assert not d.equal
    assert d.config == ["/model/layers/0/config/padding"]
    assert d.model == ["/model/layers/0/weights/2"]  # the extra weight listed
    assert d.other == ["/metadata/note"]
    status = {t.name: (t.status, t.max_abs_diff) for t in d.tensors}
    assert status["conv/kernel"] == ("different", 0.5)
    assert status["extra"] == ("only_in_b", None)
    assert all(s == "equal" for n, (s, _) in status.items() if n not in ("conv/kernel", "extra"))
    same = diff_documents(str(a), str(a))
    assert same.equal and same.as_dict()["equal"] is True


@pytest.mark.slow  # four fresh interpreters
def test_diff_command(pair: tuple[Path, Path]) -> None:
    a, b = pair
    r = run_cli("diff", str(a), str(b))
    assert r.returncode == 1
    assert "config differs at /model/layers/0/config/padding" in r.stdout
    assert "tensor conv/kernel: different checksum, max abs difference 0.5" in r.stdout
    assert "tensor extra: only in b" in r.stdout
    payload = json.loads(run_cli("diff", str(a), str(b), "--json").stdout)
    assert set(payload) == {"a", "b", "equal", "model", "config", "other", "tensors"}
    assert run_cli("diff", str(a), str(a)).returncode == 0
    with open(a, "rb") as f:
        r2 = subprocess.run([sys.executable, "-m", "modeldoc", "diff", "-", str(a), "-q"], stdin=f, capture_output=True)
    assert (r2.returncode, r2.stdout) == (0, b"")


def test_max_abs_diff_in_blocks_and_with_nan() -> None:
    x = np.arange(3_000_000, dtype=np.float32)
    y = x.copy()
    y[2_500_000] += 4
    assert max_abs_diff(x, y) == 4.0
    nan = np.array([np.nan, 1.0, np.inf])
    assert max_abs_diff(nan, nan.copy()) == 0.0
    assert max_abs_diff(nan, np.array([0.0, 1.0, np.inf])) == np.inf


@pytest.mark.slow  # five fresh interpreters
def test_extract_writes_the_tensor(pair: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = pair
    doc = modeldoc.load(a)
    out = tmp_path / "k.npy"
    r = run_cli("extract", str(a), "conv/kernel", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert np.load(out).tobytes() == doc.tensors["conv/kernel"].tobytes()
    r = run_cli("extract", str(a), "dense/bias", "-o", str(tmp_path / "b.npy"))  # bfloat16: widened exactly
    widened = np.load(tmp_path / "b.npy")
    assert widened.dtype == np.float32 and np.array_equal(widened, doc.tensors["dense/bias"].astype(np.float32))
    r = run_cli("extract", str(a), "no/such")
    assert r.returncode == 2 and "no tensor named 'no/such'" in r.stderr
    assert run_cli("extract", str(a), "conv/kernel", "-o", str(out)).returncode == 2  # exists: needs --force
    assert run_cli("extract", str(a), "conv/kernel", "-o", str(out), "--force").returncode == 0


MEMORY_PROBE = r"""
import sys, numpy as np, modeldoc
from modeldoc.cli import main
a, b, out = sys.argv[1:4]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
np.zeros(1 << 20).sum()  # numpy's own first-use allocations, before the baseline
base = hwm()
assert main(["extract", a, "t3", "-o", out, "-q"]) == 0
extract = hwm() - base
assert main(["diff", a, b, "-q"]) == 1
print("peaks", extract, hwm() - base)
"""


@pytest.mark.slow  # two 96 MiB files and a child interpreter
def test_extract_and_diff_hold_one_tensor_at_a_time(tmp_path: Path) -> None:
    n, count = 16 << 20, 6  # six tensors of 16 MiB, 96 MiB in all
    rng = np.random.default_rng(0)
    doc = modeldoc.example_document()
    for k in range(count):
        doc.tensors[f"t{k}"] = rng.standard_normal(n // 4).astype(np.float32)
        doc.model.layers[0].weights.append(f"t{k}")
    a, b = tmp_path / "a.msgpack", tmp_path / "b.msgpack"
    modeldoc.save(doc, a)
    doc.tensors["t3"] = doc.tensors["t3"] + np.float32(1)
    modeldoc.save(doc, b)
    del doc
    # glibc raises its mmap threshold to the size of each big block freed, after which blocks of that size
    # come from the heap and may stay in the process once freed: the peak would then count memory malloc
    # kept (it failed by 0.2 tensors or passed depending on which modules had been byte-compiled). A fixed
    # threshold keeps big arrays mapped and returned when freed, so the peak is what the code held.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 20))
    r = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(a), str(b), str(tmp_path / "t3.npy")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    extract, diff = (int(v) for v in r.stdout.splitlines()[-1].split()[1:])
    assert extract < 3.5 * n, extract / n  # the one kept and the one being read (and its hash), not six
    assert diff < 4.5 * n, (extract / n, diff / n)  # the pair and the one being read, not all twelve tensors
