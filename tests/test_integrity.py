"""Integrity (spec.md 3.2, 5.2) and atomic writes, tested by breaking things on purpose."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import modeldoc
from modeldoc.document import TestVector
from modeldoc.encodings import Encoding

FLIPS_PER_ENCODING = 1500


def model_with_test_vector() -> modeldoc.Document:
    doc = modeldoc.example_document()
    doc.tensors["tv/image"] = np.zeros((1, 4, 4, 1), np.float32)
    doc.tensors["tv/ids"] = np.array([3], np.int64)
    doc.tensors["tv/out0"] = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    doc.tensors["tv/out1"] = np.array([1], np.int64)
    doc.test_vectors.append(TestVector({"image": "tv/image", "ids": "tv/ids"},
                                       {"dense:1": "tv/out0", "lookup:0": "tv/out1"}, "tv", 1e-6))
    return doc


@pytest.mark.slow  # 1500 flipped documents per encoding
@pytest.mark.parametrize("encoding", ["base64", "list", "msgpack"])
def test_every_single_bit_flip_is_detected_or_harmless(encoding: Encoding) -> None:
    doc = model_with_test_vector()
    data = modeldoc.dumps(doc, encoding=encoding)
    original = modeldoc.reader_report(modeldoc.loads(data))
    rng = random.Random(f"flips-{encoding}")
    outcomes: Counter[str] = Counter()
    for _ in range(FLIPS_PER_ENCODING):
        buf = bytearray(data)
        pos = rng.randrange(len(buf))
        buf[pos] ^= 1 << rng.randrange(8)
        report = modeldoc.validate(bytes(buf))
        if not report.ok:
            outcomes[report.errors[0].code.split("_")[0]] += 1
            continue
        # Accepted: then it must be the same model (e.g. "1e5" -> "1E5", a $schema minor digit).
        again = modeldoc.reader_report(modeldoc.loads(bytes(buf)))
        assert again == original, f"flip at byte {pos} gave a different model that validates"
        outcomes["identical"] += 1
    assert sum(outcomes.values()) == FLIPS_PER_ENCODING
    assert outcomes["identical"] < FLIPS_PER_ENCODING * 0.05  # nearly every flip is an error
    assert outcomes["DATA"] > 0 and outcomes["SYNTAX"] > 0  # checksums and parser both do work


def test_without_document_checksum_a_config_change_goes_unnoticed() -> None:
    """Why document_sha256 exists: tensor checksums alone do not cover the model graph."""
    import json

    t = json.loads(modeldoc.dumps(modeldoc.example_document()))
    t["model"]["layers"][0]["config"]["filters"] = 5
    assert [f.code for f in modeldoc.validate(json.dumps(t).encode()).errors] == ["DATA_DOCUMENT_CHECKSUM"]
    del t["document_sha256"]
    assert modeldoc.validate(json.dumps(t).encode()).ok


WRITER = r'''
import sys, numpy as np, modeldoc
path, tag, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
doc = modeldoc.example_document()
doc.tensors["big"] = np.full((4, 1 << 20), tag, dtype=np.float32)   # 16 MB: writes take a while
doc.model.layers[0].weights.append("big")
doc.metadata["tag"] = str(tag)
print("ready", flush=True)
for _ in range(rounds):
    modeldoc.save(doc, path, encoding="msgpack" if tag % 2 else "base64")
'''


def spawn_writer(path: Path, tag: int, rounds: int) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(tag), str(rounds)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def tag_of(path: Path) -> str:
    doc = modeldoc.load(path)  # raises if the file is partial or corrupt
    return doc.metadata["tag"]


@pytest.mark.slow  # twelve writers of 16 MB, killed after up to 1.2 s each
def test_killed_writer_leaves_old_or_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "model.doc"
    old = modeldoc.example_document()
    old.metadata["tag"] = "old"
    modeldoc.save(old, target)
    rng = random.Random(7)
    seen: Counter[str] = Counter()
    for i in range(12):
        p = spawn_writer(target, 1 + i % 2, 1000)
        time.sleep(rng.uniform(0.0, 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
        seen[tag_of(target)] += 1
    assert sum(seen.values()) == 12
    assert set(seen) <= {"old", "1", "2"}
    leftovers = [n for n in os.listdir(tmp_path) if n != "model.doc"]
    assert all(n.startswith(".model.doc.") and n.endswith(".tmp") for n in leftovers)


@pytest.mark.slow  # two writers of 16 MB, six rounds each
def test_two_writers_to_one_path_leave_one_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.doc"
    a = spawn_writer(target, 1, 6)
    b = spawn_writer(target, 2, 6)
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    assert tag_of(target) in {"1", "2"}
    assert os.listdir(tmp_path) == ["shared.doc"]  # each writer removed or renamed its own temporary file
