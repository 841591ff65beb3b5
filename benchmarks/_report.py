"""Turn the result rows of one run into docs/benchmarks.json, .md and .png."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import os
import platform
from typing import Any

import _fresh
import _judged
from _cases import Case
from _formats import FORMATS

PACKAGES = ("modeldoc", "numpy", "keras", "tensorflow-cpu", "h5py", "safetensors", "msgpack", "ml_dtypes",
            "jsonschema", "orjson", "pybase64", "matplotlib")

# Ratios of the warm rows (one process, best of the calls after the first), for every size. Information,
# except peak RSS and bit-exactness, whose targets are judged on the 400 MB float32 model. The judged
# speed targets are fresh-process measurements: _judged.py.
RATIOS: list[dict[str, Any]] = [
    {"id": "base64_write_vs_keras", "label": "JSON base64 write vs `.keras` save (MB/s)",
     "num": ("md-base64", "write"), "den": ("keras", "write")},
    {"id": "base64_read_vs_keras", "label": "JSON base64 read vs `.keras` load (MB/s)",
     "num": ("md-base64", "read"), "den": ("keras", "read")},
    # load(verify=False): the documented opt-out of checksum verification on read (spec.md section 7).
    {"id": "base64_read_noverify_vs_keras", "label": "JSON base64 read with `load(verify=False)` vs `.keras` load (MB/s)",
     "num": ("md-base64", "read-noverify"), "den": ("keras", "read")},
    {"id": "base64_size", "label": "JSON base64 file size / tensor bytes",
     "size": "md-base64"},
    {"id": "list_write_vs_hand", "label": "JSON list write vs hand-rolled (MB/s)",
     "num": ("md-list", "write"), "den": ("hand-json", "write")},
    {"id": "list_read_vs_hand", "label": "JSON list read vs hand-rolled (MB/s)",
     "num": ("md-list", "read"), "den": ("hand-json", "read")},
    {"id": "list_bit_exact", "label": "JSON list read bit-exact", "exact": "md-list", "cmp": "==", "target": True},
    {"id": "msgpack_write_vs_h5", "label": "MessagePack write vs `.weights.h5` save (MB/s)",
     "num": ("md-msgpack", "write"), "den": ("keras-h5", "write")},
    {"id": "msgpack_read_vs_h5", "label": "MessagePack read vs `.weights.h5` load (MB/s)",
     "num": ("md-msgpack", "read"), "den": ("keras-h5", "read")},
    {"id": "msgpack_read_noverify_vs_h5", "label": "MessagePack read with `load(verify=False)` vs `.weights.h5` load (MB/s)",
     "num": ("md-msgpack", "read-noverify"), "den": ("keras-h5", "read")},
    {"id": "msgpack_size", "label": "MessagePack file size / tensor bytes", "size": "md-msgpack"},
    {"id": "base64_read_rss", "label": "peak RSS reading JSON base64 / tensor bytes", "rss": "md-base64",
     "cmp": "<=", "target": 1.5},
    {"id": "msgpack_read_rss", "label": "peak RSS reading MessagePack / tensor bytes", "rss": "md-msgpack",
     "cmp": "<=", "target": 1.5},
    {"id": "base64_validate_vs_raw", "label": "validate JSON base64 vs raw file read (MB/s)",
     "num": ("md-base64", "validate"), "den": ("raw", "read")},
    {"id": "msgpack_validate_vs_raw", "label": "validate MessagePack vs raw file read (MB/s)",
     "num": ("md-msgpack", "validate"), "den": ("raw", "read")},
]
# Context without a target.
INFO_RATIOS: list[dict[str, Any]] = [
    {"id": "base64_write_vs_keras_fsync", "label": "JSON base64 write vs `.keras` save, both incl. fsync",
     "num": ("md-base64", "write"), "den": ("keras", "write"), "fsync": True},
    {"id": "msgpack_write_vs_h5_fsync", "label": "MessagePack write vs `.weights.h5` save, both incl. fsync",
     "num": ("md-msgpack", "write"), "den": ("keras-h5", "write"), "fsync": True},
    {"id": "base64_write_vs_keras_first", "label": "JSON base64 write vs `.keras` save, first call in a fresh process",
     "num": ("md-base64", "write"), "den": ("keras", "write"), "first": True},
    {"id": "base64_read_vs_keras_first", "label": "JSON base64 read vs `.keras` load, first call in a fresh process",
     "num": ("md-base64", "read"), "den": ("keras", "read"), "first": True},
    {"id": "base64_read_anon", "label": "peak anonymous memory reading JSON base64 / tensor bytes (sampled)",
     "anon": "md-base64"},
    {"id": "msgpack_read_anon", "label": "peak anonymous memory reading MessagePack / tensor bytes (sampled)",
     "anon": "md-msgpack"},
    {"id": "validate_ceiling", "label": "ceiling for validate vs raw read: SHA-256 on both cores / raw read",
     "sha_ceiling": True},
]
TARGET_CASE = "float32-400MB"
# Fields write_all adds to each result row (dropped again when re-rendering from a JSON file).
DERIVED = ("mb_per_s", "peak_rss_per_tensor_byte", "peak_anon_per_tensor_byte", "file_per_tensor_byte",
           "mb_per_s_incl_fsync")


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(next(ln.split()[1] for ln in f if ln.startswith("MemTotal"))) * 1024
    except (OSError, StopIteration):
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": versions,
    }


# --- derived numbers ---------------------------------------------------------------


def _index(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["case"], r["format"], r["op"]): r for r in rows}


def _ok(r: dict[str, Any] | None) -> bool:
    return r is not None and "seconds" in r and "error" not in r and "skipped" not in r


def mb_s(r: dict[str, Any] | None, fsync: bool = False, first: bool = False) -> float | None:
    if not _ok(r):
        return None
    assert r is not None
    s = (r["first_seconds"] if first else r["seconds"]) + (r.get("fsync_seconds", 0.0) if fsync else 0.0)
    return r["tensor_bytes"] / 1e6 / s if s > 0 else None


def size_ratio(r: dict[str, Any] | None) -> float | None:
    return r["file_bytes"] / r["tensor_bytes"] if _ok(r) and r and "file_bytes" in r else None


def rss_ratio(r: dict[str, Any] | None) -> float | None:
    return r["peak_rss_delta"] / r["tensor_bytes"] if _ok(r) and r else None


def anon_ratio(r: dict[str, Any] | None) -> float | None:
    return r["peak_anon_delta"] / r["tensor_bytes"] if _ok(r) and r and "peak_anon_delta" in r else None


def ratio_value(d: dict[str, Any], idx: dict[tuple[str, str, str], dict[str, Any]], case: str,
                meta: dict[str, Any] | None = None) -> Any:
    if "num" in d:
        a = mb_s(idx.get((case, *d["num"])), d.get("fsync", False), d.get("first", False))
        b = mb_s(idx.get((case, *d["den"])), d.get("fsync", False), d.get("first", False))
        return a / b if a is not None and b else None
    if "anon" in d:
        return anon_ratio(idx.get((case, d["anon"], "read")))
    if "sha_ceiling" in d:
        raw = mb_s(idx.get((case, "raw", "read")))
        sha = (meta or {}).get("sha256_mb_s")
        return 2 * sha / raw if raw and sha else None
    if "size" in d:
        return size_ratio(idx.get((case, d["size"], "write")))
    if "rss" in d:
        return rss_ratio(idx.get((case, d["rss"], "read")))
    if "exact" in d:
        r = idx.get((case, d["exact"], "read"))
        return bool(r["bit_exact"]) if _ok(r) and r and "bit_exact" in r else None
    raise ValueError(d)


def met(d: dict[str, Any], v: Any) -> bool | None:
    if v is None or "target" not in d:
        return None
    return {">=": v >= d["target"], "<=": v <= d["target"], "==": v == d["target"]}[d["cmp"]]  # type: ignore[no-any-return]


def compute_ratios(rows: list[dict[str, Any]], cases: list[Case], meta: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    idx = _index(rows)
    float_cases = [c.name for c in sorted(cases, key=lambda c: c.tensor_bytes) if c.kind == "float32"]
    out = []
    for d in RATIOS + INFO_RATIOS:
        values = {c.name: ratio_value(d, idx, c.name, meta) for c in cases}
        judged_at = TARGET_CASE if values.get(TARGET_CASE) is not None else next(
            (c for c in reversed(float_cases) if values.get(c) is not None), None)
        v = values.get(judged_at) if judged_at else None
        out.append({
            "id": d["id"], "measure": d["label"], "values": values,
            "target": (f"{d['cmp']} {d['target']}" if "target" in d else None),
            "judged_at": judged_at, "value": v, "met": met(d, v),
        })
    return out


def _fmt_ratio(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if v >= 100:
        return f"{v:.0f}x"
    return f"{v:.2f}x" if v >= 0.1 else f"{v:.2g}x"


def _mark(r: dict[str, Any]) -> str:
    if r["target"] is None:
        return "info"
    if r["met"] is None:
        return "not measured"
    note = "" if r["judged_at"] == TARGET_CASE else f" (at {r['judged_at']})"
    return ("✅ met" if r["met"] else "❌ not met") + note


def big_case(cases: list[Case]) -> str | None:
    """The model the targets are judged on: 400 MB float32, else the largest float32 one of the run."""
    floats = sorted((c for c in cases if c.kind == "float32"), key=lambda c: c.tensor_bytes)
    if any(c.name == TARGET_CASE for c in floats):
        return TARGET_CASE
    return floats[-1].name if floats else None


def judged_rows(rows: list[dict[str, Any]], cases: list[Case], meta: dict[str, Any] | None,
                fresh_runs: dict[str, Any] | None) -> list[dict[str, Any]]:
    return _judged.compute(fresh_runs, rows, compute_ratios(rows, cases, meta), big_case(cases))


def ratio_text(rows: list[dict[str, Any]], cases: list[Case], meta: dict[str, Any] | None = None,
               fresh_runs: dict[str, Any] | None = None) -> str:
    return _judged.text(judged_rows(rows, cases, meta, fresh_runs))


# --- writing -------------------------------------------------------------------------


def write_all(rows: list[dict[str, Any]], meta: dict[str, Any], cases: list[Case], out: str,
              profile: dict[str, Any] | None, fresh: dict[str, Any] | None = None,
              fresh_runs: dict[str, Any] | None = None) -> list[str]:
    ratios = compute_ratios(rows, cases, meta)
    judged = _judged.compute(fresh_runs, rows, ratios, big_case(cases))
    for r in rows:
        if _ok(r):
            r["mb_per_s"] = round(mb_s(r) or 0.0, 2)
            r["peak_rss_per_tensor_byte"] = round(rss_ratio(r) or 0.0, 4)
            if "peak_anon_delta" in r:
                r["peak_anon_per_tensor_byte"] = round(anon_ratio(r) or 0.0, 4)
            if "file_bytes" in r:
                r["file_per_tensor_byte"] = round(size_ratio(r) or 0.0, 4)
                r["mb_per_s_incl_fsync"] = round(mb_s(r, fsync=True) or 0.0, 2)
    data = {
        "meta": meta,
        "cases": [{"name": c.name, "kind": c.kind, "tensor_bytes": c.tensor_bytes,
                   "tensors": [{"name": t.name, "dtype": t.dtype, "shape": list(t.shape)} for t in c.tensors]}
                  for c in cases],
        "formats": {k: {"label": f.label, "about": f.about} for k, f in FORMATS.items()},
        "judged": judged,
        "ratios": ratios,
        "results": rows,
        "fresh_runs": fresh_runs,
        "profile": profile,
        "fresh": fresh,
    }
    paths = [os.path.join(out, "benchmarks.json"), os.path.join(out, "benchmarks.md")]
    with open(paths[0], "w") as f:
        json.dump(data, f, indent=1, default=str)
        f.write("\n")
    png = os.path.join(out, "benchmarks.png")
    plotted = plot(rows, cases, judged, png)
    if plotted:
        paths.append(png)
    with open(paths[1], "w") as f:
        f.write(markdown(data, cases, plotted))
    return paths


def _cell(v: float | None, digits: int = 1) -> str:
    return "" if v is None else f"{v:,.{digits}f}"


def _case_table(rows: list[dict[str, Any]], case: Case) -> list[str]:
    idx = _index(rows)
    lines = [
        "| format | write MB/s | write + fsync MB/s | read MB/s | validate MB/s | file / tensor bytes "
        "| peak RSS / tensor bytes, write | peak RSS / tensor bytes, read | of which anonymous, read "
        "| bit-exact read | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|---|",
    ]
    for key, fmt in FORMATS.items():
        got = {op: idx.get((case.name, key, op)) for op in fmt.ops}
        if not any(got.values()):
            continue
        notes = []
        skipped = {r["skipped"] for r in got.values() if r and "skipped" in r}
        if skipped:
            notes.append("skipped: " + ", ".join(sorted(skipped)))
        for op, r in got.items():
            if r and "error" in r:
                notes.append(f"{op} failed: {r['error'][:120]}")
        w, rd, v = got.get("write"), got.get("read"), got.get("validate")
        if w and w.get("valid_json") is False:
            notes.append("not valid JSON (writes NaN / Infinity literals)")
        if v and _ok(v) and not v.get("valid", True):
            notes.append(f"validate says INVALID: {v.get('findings', '')}")
        if rd and _ok(rd) and rd.get("mismatched"):
            notes.append("differs: " + ", ".join(rd["mismatched"][:3]))
        if any(r and _ok(r) and not r.get("hwm_reset", True) for r in got.values()):
            notes.append("peak RSS since process start (/proc/self/clear_refs not writable)")
        if key == "keras-h5" and rd and _ok(rd):
            notes.append("read RSS excludes the model's variables (built before)")
        exact = "" if not (rd and _ok(rd)) else ("yes" if rd["bit_exact"] else "**NO**")
        lines.append(
            f"| {fmt.label} | {_cell(mb_s(w))} | {_cell(mb_s(w, fsync=True))} | {_cell(mb_s(rd))} | {_cell(mb_s(v))} "
            f"| {_cell(size_ratio(w), 3)} | {_cell(rss_ratio(w), 2)} | {_cell(rss_ratio(rd), 2)} "
            f"| {_cell(anon_ratio(rd), 2)} | {exact} "
            f"| {'; '.join(notes)} |"
        )
        nv = got.get("read-noverify")
        if nv is not None:
            lines.append(
                f"| {fmt.label}, `load(verify=False)` | | | {_cell(mb_s(nv))} | | | | {_cell(rss_ratio(nv), 2)} "
                f"| {_cell(anon_ratio(nv), 2)} "
                f"| {'' if not _ok(nv) else ('yes' if nv['bit_exact'] else '**NO**')} "
                f"| {'skipped' if 'skipped' in nv else nv.get('error', '')[:120]} |"
            )
    return lines


def markdown(data: dict[str, Any], cases: list[Case], plotted: bool) -> str:
    meta, ratios, rows, judged = data["meta"], data["ratios"], data["results"], data["judged"]
    cols = [c.name for c in cases]
    met = sum(r["met"] is True for r in judged)
    unmeasured = sum(r["met"] is None for r in judged)
    L: list[str] = []
    L += [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run.py; do not edit by hand, run it again. -->",
        "",
        "ModelDoc against the formats people use today, on the same tensors in one run.",
        f"Run: `{meta['command']}` on {meta['date']}, {meta['duration_seconds']:.0f} s in all.",
        "",
        "## Targets",
        "",
        f"{met} of {len(judged)} targets met" + (f", {unmeasured} not measured" if unmeasured else "") + ". "
        "Ratios between measurements of this run. Unless the row says otherwise, each operation ran in its own "
        "fresh process (the first call there, everything it triggers timed), three times in three processes, "
        "best kept; every writer is charged an `fsync` of its file. \"warm rows\": measured in one process "
        "(below). See the method.",
        "",
    ]
    L += _judged.markdown(judged, big_case(cases))
    L += [
        "",
        "### Warm calls in one process (information)",
        "",
        "Ratios of the warm rows: in one process, the first call and then up to three more, the best of those "
        "kept. They show the trend over sizes; only peak RSS and bit-exactness are judged (above, on "
        f"{big_case(cases) or 'the largest float32 model'}). Speeds are MB/s of tensor bytes.",
        "",
        "| measure | " + " | ".join(cols) + " | target | on the largest float32 model |",
        "|---|" + "--:|" * len(cols) + ":-:|---|",
    ]
    for r in ratios:
        L.append(f"| {r['measure']} | " + " | ".join(_fmt_ratio(r["values"].get(c)) for c in cols)
                 + f" | {r['target'] or ''} | {_mark(r)} |")
    sha = meta.get("sha256_mb_s")
    L += [
        "",
        "Notes on the warm rows:",
        "",
        "- `modeldoc.save` writes atomically and calls `fsync`, so its file is on disk when it returns; Keras, "
        "safetensors and the raw and hand-rolled writers leave theirs in the page cache. \"incl. fsync\" charges "
        "every writer for an `fsync` of its file.",
        "- These rows use the best warm call; \"first call\" uses the first in that process, which also "
        "pays one-time costs (schema compilation, Keras / TensorFlow warm-up) as a script that loads one "
        "model does.",
        "- Peak RSS counts the pages of a memory-mapped file that the reader touched; \"anonymous\" leaves "
        "them out (see the method).",
        (f"- validate reads and hashes every tensor byte. SHA-256 runs at {sha:,.0f} MB/s on one core of this "
         "machine, so on both cores validate can at best reach the ceiling shown relative to the raw read."
         if sha else "- SHA-256 speed was not measured."),
        "",
    ]
    if plotted:
        L += ["![write, read and validate speed, peak RSS and the targets](benchmarks.png)", ""]
    skipped = sorted({(r["case"], FORMATS[r["format"]].label, r["skipped"]) for r in rows if "skipped" in r})
    errors = [r for r in rows if "error" in r]
    if skipped or errors:
        L += ["## Skipped or failed", ""]
        L += [f"- {c}, {f}: skipped ({why})" for c, f, why in skipped]
        L += [f"- {r['case']}, {FORMATS[r['format']].label}, {r['op']}: failed: {r['error'][:200]}" for r in errors]
        L.append("")
    L += ["## Results", ""]
    for c in cases:
        dts = ", ".join(sorted({t.dtype for t in c.tensors}))
        L += [f"### {c.name}: {c.tensor_bytes / 1e6:.2f} MB in {len(c.tensors)} tensors ({dts})", ""]
        L += _case_table(rows, c)
        L.append("")
    bits = [r for r in rows if r["op"] in ("read", "read-noverify") and _ok(r)]
    inexact = [r for r in bits if not r["bit_exact"]]
    L += [
        "Bit-exactness: " + (f"every read above gave back every tensor bit for bit ({len(bits)} reads)."
                             if not inexact else
                             "NOT bit-exact: " + "; ".join(f"{r['case']} {r['format']} ({', '.join(r.get('mismatched', []))})"
                                                           for r in inexact)),
        "",
    ]
    L += _judged.fresh_markdown(data.get("fresh_runs"))
    if data.get("fresh"):
        L += _fresh.markdown(data["fresh"])
    L += _machine(meta)
    L += _method(cases)
    if data.get("profile"):
        L += _profile_md(data["profile"])
    return "\n".join(L) + "\n"


def _machine(meta: dict[str, Any]) -> list[str]:
    pk = ", ".join(f"{k} {v}" for k, v in meta["packages"].items())
    o = meta["options"]
    return [
        "## Machine and run",
        "",
        f"- {meta['cpu']}, {meta['cores']} cores, {meta['memory_bytes'] / 2**30:.0f} GiB memory, {meta['os']}, "
        f"Python {meta['python']}",
        f"- {pk}",
        f"- {meta['date']}; load average {meta['loadavg_start'][0]:.1f} at the start and {meta['loadavg_end'][0]:.1f} "
        "at the end (other work on the machine shows up as noise: compare rows of one run only)",
        ("- ModelDoc source digest " + meta.get("modeldoc_source_start", "") + (
            " (unchanged during the run)" if meta.get("modeldoc_source_start") == meta.get("modeldoc_source_end")
            else f", **changed during the run** (now {meta.get('modeldoc_source_end')}): rows may mix versions")),
        f"- options: sizes {o['sizes_mb']} MB float32, mixed model {o['mixed_mb']:g} MB, up to {o['reps']} repetitions "
        f"per operation (fewer once they took {o['budget_s']:g} s), best kept; skip slow rows above: "
        f"{o['skip_slow_above_mb'] if o['skip_slow_above_mb'] is not None else 'never'}"
        + (f"; fresh-process runs {o['fresh_reps']} per operation, list model {o['list_mb']:g} MB, "
           f"{o['validate_files']} documents to validate ({o['validate_sample']} one by one)"
           if "fresh_reps" in o else ""),
        "",
    ]


def _method(cases: list[Case]) -> list[str]:
    L = [
        "## What each row is",
        "",
        "| row | write / read / validate |",
        "|---|---|",
    ]
    L += [f"| {f.label} | {f.about} |" for f in FORMATS.values()]
    L += [
        "",
        "Only ModelDoc has a validate step (schema, semantics, every sha256). The ModelDoc read rows call "
        "`modeldoc.load(path)` with its default `verify=True` (every sha256 checked); the `load(verify=False)` "
        "rows show the documented opt-out.",
        "",
        "## The models",
        "",
        "- `float32-N MB`: four Dense layers, square kernels plus biases, so about N MB of float32. In Keras a "
        "`Sequential` of four `Dense` layers whose weights are assigned these tensors.",
        "- `mixed-40MB`: Dense layers in float32 (16 MB), float16 (8 MB) and bfloat16 (8 MB), and a "
        "pass-through layer with an int64 weight (6 MB) and a bool weight (2 MB); in Keras a registered "
        "custom layer holds the last two.",
        "- Floats are normal(0, 0.05); every float bias starts with NaN, +Inf, -Inf, -0, the smallest "
        "subnormal and the largest finite value; int64 includes both extremes. Generated deterministically "
        "(seeded by case and tensor name) and written once to a raw file that every measurement reads, so all "
        "rows measure the same bytes.",
        "",
        "## Method",
        "",
    ]
    L += _judged.METHOD
    L += [
        "- **Warm rows** (the per-model tables and the information ratios): every measurement (one format, "
        "one operation, one model) runs in its own Python process (`benchmarks/_child.py`). Imports, reading "
        "the prepared tensors, building the ModelDoc `Document` or the Keras model, and the checks afterwards "
        "are outside the timed region.",
        "- **MB/s** = tensor bytes (10^6 bytes per MB) / wall seconds of the operation alone "
        "(`time.perf_counter()` around the one call). In its process an operation runs once (the first call), "
        "then up to the repetition count more times, stopping early once the calls took the budget; the "
        "fastest call after the first is reported (the first alone when the budget allowed no other). The "
        "output file is deleted before each write and `fsync`ed after it (timed separately, shown "
        "as \"write + fsync\").",
        "- **Reads** include materialising the tensors: every array the reader hands out goes through "
        "`np.asarray` and one byte of each 4 KiB page is read, in the timed region, so a lazy or memory-mapped "
        "reader pays for its data like an eager one. Files are read warm from the page cache, right after "
        "they were written, for every format alike.",
        "- **Peak RSS / tensor bytes**: just before the operation the child writes `5` to "
        "`/proc/self/clear_refs`, which resets the kernel's high-water mark `VmHWM` to the current RSS; right "
        "after it the child reads `VmHWM` from `/proc/self/status`. The figure is (peak - RSS before) / tensor "
        "bytes, the worst over the repetitions. For a read this includes the tensors handed back (so about "
        "1.0 is the floor for a reader that copies into new arrays); for a write the tensors already exist "
        "before, so it is the writer's own extra memory. For `.weights.h5` the model is built before the "
        "timer starts, so its read figure does not include the weights it fills in. Memory-mapped file pages "
        "count in RSS. At 4 MB, one-time costs (modules imported lazily, schema compilation, caches: tens of MB) "
        "dominate the RSS ratios.",
        "- **of which anonymous**: while a child runs, the parent process reads the child's `RssAnon` and "
        "`RssFile` from `/proc/PID/status` every few milliseconds (from outside, because a thread inside the "
        "child stalls while C code holds the GIL); the child reports when each operation started and ended. "
        "The figure is the largest `RssAnon` inside the operation minus `RssAnon` before it: memory the "
        "process itself allocated, without page-cache pages of mapped files. A spike shorter than the "
        "sampling interval can be missed.",
        "- **file / tensor bytes**: the size of the written file over the tensor bytes.",
        "- **bit-exact read**: after timing, each tensor read back is compared with the generated one bit "
        "for bit (dtype, shape, and the bytes viewed as unsigned integers, so NaN and -0 count).",
        "- The hand-rolled recipe uses Python's `json`, which by default writes `NaN` and `Infinity`: JSON "
        "has no such tokens, so the file is not valid JSON (orjson, JavaScript's `JSON.parse` and other "
        "strict parsers reject it). Python's own `json.load` accepts them, which is why that row can still "
        "read back bit-exact. It also needs the dtypes from elsewhere (they are not in the file).",
        "- Ratios are always between rows of the same run: this 2-core machine is shared and absolute speeds "
        "vary a lot from run to run.",
        "",
    ]
    return L


def _profile_md(prof: dict[str, Any]) -> list[str]:
    L = [
        "## Where ModelDoc's time goes",
        "",
        f"cProfile of the public `save`, `load` and `validate` on {prof['case']} "
        f"(`benchmarks/profile_modeldoc.py`), the functions with the most own time. The profiler slows "
        "Python-level code more than C code, so read the shares, not the seconds.",
        "",
    ]
    for op, r in prof["ops"].items():
        L.append(f"- **{op}** ({r['wall_seconds']:.2f} s under the profiler): " + "; ".join(
            f"{t['own_share']:.0%} `{t['function']}`" for t in r["top"][:5] if t["own_share"] >= 0.02))
    L.append("")
    return L


# --- the plot ------------------------------------------------------------------------


def plot(rows: list[dict[str, Any]], cases: list[Case], judged: list[dict[str, Any]], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return False
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    idx = _index(rows)
    fcases = sorted([c for c in cases if c.kind == "float32"], key=lambda c: c.tensor_bytes)
    fig, axes = plt.subplots(2, 2, figsize=(15, 10), layout="constrained")
    styles = {"md-base64": ("C0", "o", "-"), "md-list": ("C1", "o", "-"), "md-msgpack": ("C2", "o", "-"),
              "keras": ("C3", "s", "--"), "keras-h5": ("C4", "s", "--"), "safetensors": ("C5", "^", "--"),
              "raw": ("k", "x", ":"), "hand-json": ("C7", "v", ":")}

    def series(key: str, op: str) -> tuple[list[float], list[float]]:
        pts = [(c.tensor_bytes / 1e6, mb_s(idx.get((c.name, key, op)))) for c in fcases]
        got = [(x, y) for x, y in pts if y is not None]
        return [x for x, _ in got], [float(y) for _, y in got]

    for ax, op in ((axes[0][0], "write"), (axes[0][1], "read")):
        for key, fmt in FORMATS.items():
            xs, ys = series(key, op)
            if xs:
                col, mk, ls = styles.get(key, ("C9", ".", "-"))
                ax.plot(xs, ys, marker=mk, linestyle=ls, color=col, label=fmt.label)
        if op == "read":
            for key in ("md-base64", "md-msgpack", "md-list"):
                xs, ys = series(key, "validate")
                if xs:
                    ax.plot(xs, ys, marker=".", linestyle="-.", color=styles[key][0], alpha=0.6,
                            label=f"{FORMATS[key].label} validate")
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
        ax.set_xlabel("tensor MB (float32 models)")
        ax.set_ylabel("MB/s of tensor bytes")
        ax.set_title(f"{op} speed, warm rows: best call after the first (higher is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")

    ax = axes[1][0]  # peak memory at the largest float32 size
    if fcases:
        big = fcases[-1]
        labels: list[str] = []
        bars: dict[str, list[float]] = {"write": [], "read": [], "read, anonymous": []}
        for key, fmt in FORMATS.items():
            rd, wr = idx.get((big.name, key, "read")), idx.get((big.name, key, "write"))
            if rss_ratio(rd) is None and rss_ratio(wr) is None:
                continue
            labels.append(fmt.label.replace("ModelDoc ", "MD ").replace("hand-rolled json + tolist", "hand-rolled"))
            bars["write"].append(rss_ratio(wr) or 0.0)
            bars["read"].append(rss_ratio(rd) or 0.0)
            bars["read, anonymous"].append(anon_ratio(rd) or 0.0)
        pos = list(range(len(labels)))
        for (name, vals), off, col in zip(bars.items(), (-0.27, 0.0, 0.27), ("C1", "C0", "C9")):
            ax.barh([p + off for p in pos], vals, height=0.26, label=name, color=col)
        ax.set_yticks(pos, labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(1.5, color="r", linestyle="--", linewidth=1, label="read target 1.5x (ModelDoc)")
        ax.set_xlabel("peak RSS above the start / tensor bytes")
        ax.set_title(f"peak memory, {big.name} (lower is better)")
        ax.legend(fontsize=7)
        ax.grid(True, axis="x", alpha=0.3)

    ax = axes[1][1]  # the judged targets: achieved / target, oriented so that >= 1 is met
    shown = [r for r in judged if r["value"] is not None and not isinstance(r["value"], bool)]
    names, scores, colors = [], [], []
    for r in shown:
        t = float(r["target"])
        scores.append(r["value"] / t if r["cmp"] == ">=" else (t / r["value"] if r["value"] else 1e3))
        names.append(r["measure"].replace("`", "") + (f" [{r['case']}]" if r["case"] and r["case"] != TARGET_CASE
                                                      else ""))
        colors.append("C2" if r["met"] else "C3")
    pos = list(range(len(names)))
    ax.barh(pos, scores, color=colors)
    for p, score, r in zip(pos, scores, shown):
        ax.annotate(f" {r['shown']} (target {_judged.target_text(r)})", (score, p), va="center", fontsize=6)
    ax.set_yticks(pos, names, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="k", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}".lstrip("0.")[:1] in "25" else ""))
    ax.set_xlabel("achieved / target (>= 1 meets the target; log scale)")
    ax.set_title("judged targets (green met, red not)")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.suptitle("ModelDoc benchmarks: one run, compare rows, not runs", fontsize=13)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
