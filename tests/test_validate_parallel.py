"""validate streams big tensors on a pool of two threads (bigread.SPREAD): the findings
must be the same as the ordinary path's, whatever is broken and wherever."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modeldoc
from modeldoc._fast import bigfile, bigread, hashing, payloads
from tests.testutil import findings

T = TypeVar("T")


@pytest.fixture
def spread_everything(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file takes the big-file path and every cut-out tensor goes to the job pool."""
    monkeypatch.setattr(bigfile, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(bigfile, "PAYLOAD_THRESHOLD", 64)
    monkeypatch.setattr(payloads, "_CHUNK_TEXT", 64)
    monkeypatch.setattr(bigread, "SPREAD", 0)
    calls = [0]
    real = hashing.run_in_background

    def counted(job: Callable[[], T]) -> Future[T]:
        calls[0] += 1
        return real(job)

    monkeypatch.setattr(bigread, "run_in_background", counted)
    return calls


def doc() -> modeldoc.Document:
    d = modeldoc.example_document()
    rng = np.random.default_rng(5)
    for i in range(6):
        d.tensors[f"w{i}"] = rng.standard_normal((40, 10 + i)).astype(np.float32)
    d.tensors["mask"] = rng.random(500) < 0.5
    d.model.layers[0].weights += [f"w{i}" for i in range(6)] + ["mask"]
    return d


SEEDS = [modeldoc.dumps(doc(), encoding="base64"), modeldoc.dumps(doc(), encoding="msgpack")]


@pytest.mark.parametrize("seed", [0, 1], ids=["base64", "msgpack"])
def test_valid_documents_use_the_pool(spread_everything: list[int], seed: int, tmp_path: Path) -> None:
    path = tmp_path / "doc"
    path.write_bytes(SEEDS[seed])
    assert modeldoc.validate(path).ok
    assert spread_everything[0] >= 7
    ticks: list[int] = []
    assert modeldoc.validate(path, progress=lambda done, total: ticks.append(done)).ok
    assert ticks == sorted(ticks) and ticks[-1] > 0


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(len(data) // 3, len(data) - 1))  # mostly in tensor data
        op = draw(st.sampled_from(["flip", "byte", "delete"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[i] = draw(st.sampled_from(b'"=\\\n A+/\x00\x02\xc4\xff'))
        else:
            del data[i : i + draw(st.integers(1, 8))]
    return bytes(data)


@pytest.mark.slow  # 200 mutants, each validated both ways
@settings(max_examples=200, deadline=None)
@given(mutants())
def test_the_pool_agrees_with_the_ordinary_path(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bigfile, "STREAM_THRESHOLD", 0)
        mp.setattr(bigfile, "PAYLOAD_THRESHOLD", 64)
        mp.setattr(payloads, "_CHUNK_TEXT", 64)
        mp.setattr(bigread, "SPREAD", 0)
        path = tmp_path_factory.mktemp("m") / "doc"
        path.write_bytes(data)
        assert findings(modeldoc.validate(path)) == findings(modeldoc.validate(data))


def test_bool_and_length_findings_come_back_from_the_pool(spread_everything: list[int], tmp_path: Path) -> None:
    d = doc()
    raw = modeldoc.dumps(d, encoding="msgpack")
    mask = d.tensors["mask"].astype(np.uint8).tobytes()
    bad = raw.replace(mask[:40], bytes([2]) + mask[1:40], 1)  # a bool byte that is neither 0 nor 1
    assert bad != raw
    path = tmp_path / "doc"
    path.write_bytes(bad)
    got = findings(modeldoc.validate(path))
    assert got == findings(modeldoc.validate(bad))
    assert ("DATA_BOOL", "/tensors/" + str(list(d.tensors).index("mask")) + "/data", "error") in got
