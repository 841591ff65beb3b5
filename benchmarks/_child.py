"""One measurement in its own process: ``_child.py SPEC_JSON``.

Only the operation itself is timed (``time.perf_counter`` around the call); the
library's top-level import, reading the prepared tensors, building the document
or Keras model and the bit-exactness check are not. Peak RSS: the kernel's
high-water mark (VmHWM) is reset to the current RSS by writing 5 to
/proc/self/clear_refs just before the operation, and read right after it; the
figure is that peak minus the RSS before the operation.

Two modes. Warm (the default): the first call, then up to ``reps`` more in the
same process; ``seconds`` is the best of the calls after the first, and
``first_seconds`` the first. Fresh (``"fresh": true``): one call, the first in
this process, so everything it triggers (lazy imports, Keras / TensorFlow
warm-up) is timed; a write is charged the ``fsync`` of its file inside the timed
region; no bit-exactness check (the warm rows make it).
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
import traceback
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _cases import case_from_name, read_prepared
from _formats import FORMATS, small_tensor


def _status() -> dict[str, int]:
    with open("/proc/self/status") as f:
        text = f.read()
    return {k: int(v) * 1024 for k, v in re.findall(r"^(VmRSS|VmHWM|RssAnon|RssFile):\s+(\d+) kB", text, re.M)}


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_bits(a: np.ndarray, e: np.ndarray) -> bool:
    if a.dtype != e.dtype or a.shape != e.shape:
        return False
    if e.size == 0:
        return True
    u = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[e.dtype.itemsize]
    return bool(np.array_equal(np.ascontiguousarray(a).view(u), np.ascontiguousarray(e).view(u)))


def compare(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> tuple[bool, list[str]]:
    bad = sorted(set(got) ^ set(expected))
    bad += [k for k in expected if k in got and not _same_bits(got[k], expected[k])]
    return not bad, bad[:8]


def run(spec: dict[str, Any]) -> dict[str, Any]:
    case = case_from_name(spec["case"])
    fmt = FORMATS[spec["format"]]
    op_name, path = spec["op"], spec["path"]
    op = fmt.op(op_name)
    fresh = bool(spec.get("fresh"))
    out: dict[str, Any] = {"case": case.name, "format": fmt.key, "op": op_name, "tensor_bytes": case.tensor_bytes}
    if fresh:
        out["fresh"] = True
    fmt.preimport()

    if op_name == "write":
        tensors = read_prepared(case, spec["prepared"])
        state = fmt.setup_write(case, tensors)
        del tensors
    else:
        state = fmt.setup_read(case)
    gc.collect()

    times: list[float] = []
    cpu: list[float] = []
    syncs: list[float] = []
    peaks: list[int] = []
    kept: list[int] = []
    windows: list[dict[str, Any]] = []  # for the parent's sampled anonymous / file-backed RSS
    result: Any = None
    hwm_ok = True
    total = 0.0
    calls = 1 if fresh else 1 + spec["reps"]
    for _ in range(calls):
        if op_name == "write" and os.path.exists(path):
            os.unlink(path)
        result = None
        gc.collect()
        hwm_ok = _reset_hwm() and hwm_ok
        st0 = _status()
        before = st0["VmRSS"]
        m0 = time.monotonic()
        c0, t0 = time.process_time(), time.perf_counter()
        result = op(state, path)
        if fresh and op_name == "write":  # every writer is charged the fsync of its file
            s0 = time.perf_counter()
            _fsync(path)
            syncs.append(time.perf_counter() - s0)
        t1, c1 = time.perf_counter(), time.process_time()
        m1 = time.monotonic()
        st = _status()
        windows.append({"t0": m0, "t1": m1, "anon_before": st0["RssAnon"], "file_before": st0["RssFile"],
                        "anon_after": st["RssAnon"], "file_after": st["RssFile"]})
        times.append(t1 - t0)
        cpu.append(c1 - c0)
        peaks.append(st["VmHWM"] - before)
        kept.append(st["VmRSS"] - before)
        total += t1 - t0
        if op_name == "write" and not fresh:  # durability, timed separately: the file reaches the disk
            s0 = time.perf_counter()
            _fsync(path)
            syncs.append(time.perf_counter() - s0)
            total += syncs[-1]
        if total >= spec["budget"]:
            break

    # warm: the best of the calls after the first (the first alone if the budget allowed no more)
    best = min(range(1, len(times)) if len(times) > 1 else [0], key=times.__getitem__)
    out.update(
        seconds=times[best],
        first_seconds=times[0],
        warm_calls=len(times) - 1,
        all_seconds=times,
        windows=windows,
        cpu_seconds=cpu[best],
        peak_rss_delta=max(peaks),
        retained_rss_delta=kept[best],
        reps=len(times),
        hwm_reset=hwm_ok,
    )
    if op_name == "write":
        out["fsync_seconds"] = syncs[best]
        if fresh:
            out["fsync_in_seconds"] = True
        out["file_bytes"] = os.path.getsize(path)
        if fmt.key == "hand-json":  # Python's json writes NaN/Infinity, which JSON does not have
            import mmap

            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                out["valid_json"] = not re.search(rb"NaN|Infinity", data)
    elif op_name == "validate":
        ok, codes = result
        out["valid"] = ok
        if codes:
            out["findings"] = codes
    elif op_name == "inspect":
        out["tensors_listed"] = len(result)
    elif op_name == "get-tensor":
        name = small_tensor(case)
        out["tensor"] = name
        out["tensor_nbytes"] = int(np.asarray(result[name]).nbytes)
        if not fresh:
            expected = read_prepared(case, spec["prepared"])
            out["bit_exact"], mismatched = compare(result, {name: expected[name]})
    elif fresh:
        pass  # no check: the warm rows check every read bit for bit
    else:
        got = fmt.tensors_of(result)
        del result
        result = None
        expected = read_prepared(case, spec["prepared"])
        out["bit_exact"], mismatched = compare(got, expected)
        if mismatched:
            out["mismatched"] = mismatched
    return out


def main() -> int:
    spec = json.loads(sys.argv[1])
    try:
        out = run(spec)
    except BaseException as e:  # reported as a row with an error, never a crash of the run
        tb = traceback.format_exc().strip().splitlines()
        out = {"case": spec["case"], "format": spec["format"], "op": spec["op"], "error": f"{type(e).__name__}: {e}"[:400]}
        out["traceback_tail"] = tb[-6:]
    with open(spec["result"], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
