"""The judged targets: what they are, how their numbers are measured, and the verdicts.

Most targets compare operations that each ran in a fresh process (``_child.py`` with
``"fresh": true``: one call, the first in that process), three times in three
processes, best kept. The others come from the warm rows of the same run (first call
against the warm calls after it, peak RSS, bit-exactness) and from ``_fresh.py``
(``import modeldoc``, ``modeldoc validate --jobs`` of many small documents).

Every verdict is computed here from the measured numbers stored in benchmarks.json, so
a report re-rendered from that file gives the same verdicts.
"""

from __future__ import annotations

from typing import Any

from _formats import FORMATS

MB = 1_000_000
RSS_ALLOWANCE = 50 * MB  # get_tensor may grow the process by the tensor plus this much

# (format, op) measured in fresh processes on the big model, and on the list model
BIG_PLAN = tuple((key, op) for key in ("md-base64", "md-msgpack", "keras", "keras-h5", "safetensors")
                 for op in FORMATS[key].fresh_ops)
LIST_PLAN = tuple((key, op) for key in ("md-list", "hand-json") for op in FORMATS[key].fresh_ops)
FIRST_VS_WARM = ("md-base64", "md-msgpack")  # save and load, first call against warm calls, several processes


def _runs(fresh: dict[str, Any] | None, case: str | None, fmt: str, op: str) -> list[dict[str, Any]]:
    if not fresh or case is None:
        return []
    return [r for r in fresh.get("rows", []) if r["case"] == case and r["format"] == fmt and r["op"] == op
            and "seconds" in r and "error" not in r]


def best_worst(runs: list[dict[str, Any]]) -> tuple[float, float] | None:
    if not runs:
        return None
    s = [r["seconds"] for r in runs]
    return min(s), max(s)


def _secs(v: float) -> str:
    return f"{v:.3f} s" if v >= 0.01 else f"{v * 1000:.2f} ms"


def _spread(bw: tuple[float, float], n: int) -> str:
    best, worst = bw
    return f"{_secs(best)} ({n} runs, worst {worst / best:.2f}x)" if n > 1 else _secs(best)


def _verdict(cmp: str, value: Any, target: Any) -> bool | None:
    if value is None:
        return None
    return {">=": value >= target, "<=": value <= target, "==": value == target}[cmp]  # type: ignore[no-any-return]


def _row(id_: str, measure: str, case: str | None, cmp: str, target: Any, value: Any, shown: str,
         measured: str, unit: str = "x", source: str = "fresh") -> dict[str, Any]:
    met = _verdict(cmp, value, target)
    if unit in ("x", "%") and isinstance(value, float) and shown:
        shown = _digits_enough(cmp, value, target, shown, unit)
    return {"id": id_, "measure": measure, "case": case, "cmp": cmp, "target": target, "unit": unit,
            "value": value, "shown": shown if value is not None else "n/a", "measured": measured,
            "met": met, "source": source}


def _digits_enough(cmp: str, value: float, target: float, shown: str, unit: str) -> str:
    """``shown`` with more digits when its rounding would read as the other verdict (0.7996 is not >= 0.8)."""
    digits = len(shown.rstrip(unit).partition(".")[2])
    while _verdict(cmp, round(value, digits), target) != _verdict(cmp, value, target) and digits < 6:
        digits += 1
    return f"{value:.{digits}f}{unit}"


def target_text(r: dict[str, Any]) -> str:
    t = r["target"]
    if r["unit"] == "%":
        return f"{r['cmp']} {t:g}%"
    if r["unit"] == "ms":
        return f"{r['cmp']} {t:g} ms"
    if r["unit"] == "bytes":
        return f"{r['cmp']} tensor + {RSS_ALLOWANCE / MB:g} MB"
    if isinstance(t, bool):
        return "== yes" if t else "== no"
    return f"{r['cmp']} {t:g}x"


def _time_share(fresh: dict[str, Any] | None, case: str | None, fmt: str, op: str, pct: float,
                what: str) -> dict[str, Any]:
    label = FORMATS[fmt].label.replace("ModelDoc ", "")
    a, b = _runs(fresh, case, fmt, op), _runs(fresh, case, fmt, "read")
    ab, bb = best_worst(a), best_worst(b)
    value = 100 * ab[0] / bb[0] if ab and bb else None
    measured = f"{what} {_spread(ab, len(a))}; load {_spread(bb, len(b))}" if ab and bb else "not measured"
    return _row(f"{fmt}_{op}_vs_load", f"{label}: {what}, time vs full `load`", case, "<=", pct, value,
                f"{value:.2f}%" if value is not None else "", measured, unit="%")


def _speed(fresh: dict[str, Any] | None, case: str | None, ours: str, peer: str, op: str, target: float,
           label: str) -> dict[str, Any]:
    a, b = _runs(fresh, case, ours, op), _runs(fresh, case, peer, op)
    ab, bb = best_worst(a), best_worst(b)
    value = bb[0] / ab[0] if ab and bb else None  # time ratio: speed of ours over the peer's
    measured = (f"{FORMATS[ours].label} {_spread(ab, len(a))}; {FORMATS[peer].label} {_spread(bb, len(b))}"
                if ab and bb else "not measured")
    return _row(f"{ours}_{op}_vs_{peer}", label, case, ">=", target, value,
                f"{value:.2f}x" if value is not None else "", measured)


def compute(fresh: dict[str, Any] | None, warm_rows: list[dict[str, Any]], warm_ratios: list[dict[str, Any]],
            big_case: str | None) -> list[dict[str, Any]]:
    """The judged rows, in the order of the Targets table."""
    fresh = fresh or {}
    big = fresh.get("big_case") or big_case
    small = fresh.get("list_case")
    out: list[dict[str, Any]] = []
    for fmt in ("md-base64", "md-msgpack"):
        out.append(_time_share(fresh, big, fmt, "get-tensor", 2, "`open(path).get_tensor(small)`"))
        runs = _runs(fresh, big, fmt, "get-tensor")
        label = FORMATS[fmt].label.replace("ModelDoc ", "")
        if runs and all("peak_rss_delta" in r for r in runs):
            grow = max(r["peak_rss_delta"] for r in runs)
            limit = runs[0]["tensor_nbytes"] + RSS_ALLOWANCE
            runs_text = f"{len(runs)} run" + ("s" if len(runs) > 1 else "")
            measured = (f"worst of {runs_text}; tensor `{runs[0]['tensor']}` {runs[0]['tensor_nbytes']:,} bytes, "
                        f"limit {limit / MB:.1f} MB")
            out.append(_row(f"{fmt}_get_tensor_rss", f"{label}: `get_tensor` peak RSS growth", big, "<=", limit, grow,
                            f"{grow / MB:.1f} MB", measured, unit="bytes"))
        else:
            out.append(_row(f"{fmt}_get_tensor_rss", f"{label}: `get_tensor` peak RSS growth", big, "<=",
                            RSS_ALLOWANCE, None, "", "not measured", unit="bytes"))
        out.append(_time_share(fresh, big, fmt, "inspect", 5, "`inspect` (`open` + the model + every tensor's header)"))
    out.append(_speed(fresh, big, "md-base64", "keras", "write", 2.5, "JSON base64 write vs `.keras` save"))
    out.append(_speed(fresh, big, "md-base64", "keras", "read", 3.5, "JSON base64 read vs `.keras` load"))
    out.append(_speed(fresh, big, "md-msgpack", "keras-h5", "write", 1.0, "MessagePack write vs `.weights.h5` save"))
    out.append(_speed(fresh, big, "md-msgpack", "keras-h5", "read", 1.5, "MessagePack read vs `.weights.h5` load"))
    out.append(_speed(fresh, small, "md-list", "hand-json", "write", 25, "JSON list write vs hand-rolled recipe"))
    out.append(_speed(fresh, small, "md-list", "hand-json", "read", 7, "JSON list read vs hand-rolled recipe"))
    out += _first_vs_warm(fresh.get("first_vs_warm") or warm_rows, big)
    out.append(_import_row(fresh.get("import")))
    out.append(_validate_row(fresh.get("validate_many")))
    for r in warm_ratios:  # the peak RSS and bit-exactness rows keep their targets (warm rows)
        if r.get("target") is None:
            continue
        v = r["value"]
        exact = isinstance(v, bool)
        target = True if exact else float(r["target"].split()[1])
        out.append(_row(r["id"], r["measure"], r["judged_at"], "==" if exact else "<=", target, v,
                        ("yes" if v else "NO") if exact else (f"{v:.2f}x" if v is not None else ""),
                        "warm rows, see below", unit="x", source="warm"))
    return out


def _first_vs_warm(rows: list[dict[str, Any]], case: str | None) -> list[dict[str, Any]]:
    """Best warm call / best first call, over every process that ran the operation (the dedicated
    first-vs-warm processes; a report of an older run has only its warm row)."""
    out = []
    for fmt in FIRST_VS_WARM:
        for op, what in (("write", "`save`"), ("read", "`load`")):
            runs = [x for x in rows if x["case"] == case and x["format"] == fmt and x["op"] == op
                    and "seconds" in x and "error" not in x and x.get("warm_calls", 0) >= 1]
            label = f"{FORMATS[fmt].label.replace('ModelDoc ', '')}: first {what} vs warm best-of-three"
            if not runs:
                out.append(_row(f"{fmt}_{op}_first_vs_warm", label, case, ">=", 0.8, None, "", "not measured"))
                continue
            firsts = [x["first_seconds"] for x in runs]
            warm = min(x["seconds"] for x in runs)
            value = warm / min(firsts)
            n = len(runs)
            processes = f"{n} processes" if n > 1 else "1 process"
            measured = (f"first {_spread((min(firsts), max(firsts)), n)}; best warm call {_secs(warm)} "
                        f"(of {sum(x['warm_calls'] for x in runs)}, {processes})")
            out.append(_row(f"{fmt}_{op}_first_vs_warm", label, case, ">=", 0.8, value, f"{value:.2f}x",
                            measured, source="fresh" if n > 1 else "warm"))
    return out


def _import_row(imp: dict[str, Any] | None) -> dict[str, Any]:
    runs = (imp or {}).get("runs") or []
    if not runs:
        return _row("import_modeldoc", "`import modeldoc` in a fresh process", None, "<=", 150, None, "",
                    (imp or {}).get("error", "not measured"), unit="ms")
    s = [r["seconds"] for r in runs]
    walls = [r["wall_seconds"] for r in runs]
    bare = imp.get("python_pass_seconds") or []  # type: ignore[union-attr]
    measured = (f"best of {len(s)} (worst {max(s) * 1000:.1f} ms); whole process {min(walls) * 1000:.0f} ms"
                + (f", `python -c pass` {min(bare) * 1000:.0f} ms" if bare else ""))
    return _row("import_modeldoc", "`import modeldoc` in a fresh process", None, "<=", 150, min(s) * 1000,
                f"{min(s) * 1000:.1f} ms", measured, unit="ms")


def _validate_row(v: dict[str, Any] | None) -> dict[str, Any]:
    n = (v or {}).get("files", 1000)
    label = f"`modeldoc validate --jobs N` of {n:,} small documents vs one process per file"
    if not v or "error" in v or not v.get("together_seconds"):
        return _row("validate_many_jobs", label, None, ">=", 5, None, "", (v or {}).get("error", "not measured"))
    together = v["together_seconds"]
    value = v["one_by_one_seconds"] / min(together)
    measured = (f"--jobs {v['jobs']}: {_spread((min(together), max(together)), len(together))}; one by one: "
                f"{v['sample']} processes took {v['sample_seconds']:.2f} s, scaled to {n:,}: "
                f"{v['one_by_one_seconds']:.1f} s")
    return _row("validate_many_jobs", label, None, ">=", 5, value, f"{value:.1f}x", measured)


def mark(r: dict[str, Any]) -> str:
    if r["met"] is None:
        return "not measured"
    return "✅ met" if r["met"] else "❌ not met"


def text(judged: list[dict[str, Any]]) -> str:
    lines = ["judged targets:"]
    for r in judged:
        lines.append(f"  {r['measure'].replace('`', ''):<72} {r['shown']:>10} {target_text(r):<22} {mark(r)}")
    return "\n".join(lines)


def markdown(judged: list[dict[str, Any]], big_case: str | None) -> list[str]:
    L = [
        "| measure | on | value | target | result | measured |",
        "|---|---|--:|:-:|---|---|",
    ]
    for r in judged:
        L.append(f"| {r['measure']} | {r['case'] or ''} | {r['shown']} | {target_text(r)} | {mark(r)} "
                 f"| {r['measured']} |")
    return L


def fresh_markdown(fresh: dict[str, Any] | None) -> list[str]:
    """Every fresh-process run: best, worst, and the whole child process as information."""
    if not fresh or not fresh.get("rows"):
        return []
    L = [
        "## Fresh-process runs",
        "",
        f"Each row: one operation, the first call in a new process, run {fresh['reps']} times in "
        f"{fresh['reps']} processes; measured {fresh['date']}, load average {fresh['loadavg'][0]:.1f} at the "
        f"start and {fresh['loadavg'][3]:.1f} at the end. \"whole process\" is the child's wall time from "
        "interpreter start to exit, timed by the parent (imports, reading the prepared tensors, building the "
        "document or Keras model, the call, exit): information only.",
        "",
        "| model | format | operation | best s | worst s | whole process, best s | whole process, worst s "
        "| peak RSS growth, worst |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    seen: list[tuple[str, str, str]] = []
    for r in fresh["rows"]:
        key = (r["case"], r["format"], r["op"])
        if key not in seen:
            seen.append(key)
    for case, fmt, op in seen:
        runs = [r for r in fresh["rows"] if (r["case"], r["format"], r["op"]) == (case, fmt, op)]
        ok = [r for r in runs if "seconds" in r and "error" not in r]
        name = FORMATS[fmt].label
        if not ok:
            why = next((r.get("error") or r.get("skipped") for r in runs), "")
            L.append(f"| {case} | {name} | {op} | {str(why)[:120]} | | | | |")
            continue
        s = [r["seconds"] for r in ok]
        w = [r["child_wall_seconds"] for r in ok if "child_wall_seconds" in r]
        peak = max(r.get("peak_rss_delta", 0) for r in ok)
        op_shown = op + (" + fsync" if op == "write" else "")
        L.append(f"| {case} | {name} | {op_shown} | {min(s):.4f} | {max(s):.4f} | "
                 f"{min(w) if w else 0:.2f} | {max(w) if w else 0:.2f} | {peak / MB:.1f} MB |")
    L.append("")
    v = fresh.get("validate_many")
    if v and "error" not in v and v.get("together_seconds"):
        L += [
            f"`modeldoc validate` of {v['files']:,} small documents ({v['kinds']['.json']} JSON base64, "
            f"{v['kinds']['.msgpack']} MessagePack, {v['bytes'] / MB:.1f} MB in all; `example_document(seed)` "
            f"for seeds 0 to {v['files'] - 1}): one command line with `--jobs {v['jobs']}` took "
            f"{', '.join(f'{x:.2f}' for x in v['together_seconds'])} s; one `modeldoc validate FILE` process per "
            f"file, timed on every {max(1, v['files'] // v['sample'])}th file ({v['sample']} processes, "
            f"{v['sample_best']:.3f} to {v['sample_worst']:.3f} s each, {v['sample_seconds']:.2f} s in all), "
            f"scaled to {v['files']:,} files: {v['one_by_one_seconds']:.1f} s.",
            "",
        ]
    return L


METHOD = [
    "- **Judged targets** (the first table): each operation runs in a **fresh process**, a new child "
    "process per measurement (`benchmarks/_child.py` with one call). The library's top-level import "
    "(`import numpy`, `import modeldoc`, `import keras` and `import h5py`, `from safetensors.numpy import "
    "...`) happens before the timer; everything the call itself triggers is inside it: ModelDoc imports its "
    "reader and writer modules on first call, Keras / TensorFlow warm up on first call. Set-up that makes "
    "the thing to write (the ModelDoc `Document`, the Keras model with its weights assigned, the model "
    "`load_weights` fills) is done before the timer. Each such operation runs 3 times in 3 separate "
    "processes; the best is kept and the spread (worst / best) shown. Each child's whole-process wall time "
    "(interpreter start to exit, timed by the parent) is recorded as information.",
    "- **Every writer is charged an `fsync` of its file.** `modeldoc.save` fsyncs before its rename; Keras, "
    "h5py, safetensors and the hand-rolled recipe do not, so the fresh-process write rows call `fsync` on the "
    "written file inside the timed region, for every writer alike (for ModelDoc's already synced file it "
    "returns at once).",
    "- Write / read targets are judged on the largest float32 model (400 MB); the JSON list against the "
    "hand-rolled recipe on the 40 MB one. A speed ratio is the peer's best time over ModelDoc's. A format's "
    "operations run in turns (write, read, ..., then again), so every read finds the file its format's write "
    "just left in the page cache, as in the warm rows.",
    "- **get_tensor** is `modeldoc.open(path).get_tensor(name)` of the smallest tensor (a bias; its sha256 "
    "is checked), **inspect** is `modeldoc.open(path)` plus its model (built on first use) and every "
    "tensor's declared name, dtype, shape, bytes and encoding (what `modeldoc inspect` prints); both "
    "against `modeldoc.load(path)` (the read row) "
    "in fresh processes, best against best. The real `modeldoc inspect --json FILE` command is timed as a "
    "whole process in the section \"Fresh process: what a command-line user meets\". **Peak RSS growth** of "
    "the get_tensor process: just before the call the child writes `5` to `/proc/self/clear_refs` (the "
    "kernel's high-water mark `VmHWM` restarts from the current RSS, that of a process that has only "
    "imported), and right after it reads `VmHWM`; the growth is the difference, the worst of the runs, "
    "compared with the tensor's bytes + 50 MB (MB = 10^6 bytes). Pages of a memory-mapped file that the "
    "reader touches count.",
    "- **First call vs warm**: ModelDoc's `save` and `load` of the 400 MB model in 3 processes of their own, "
    "each the first call there and then 3 more (as a warm row); ratio = best warm call / best first call, "
    "so >= 0.8 means the first call is at most 25% slower than a warm one. The spread of the first calls "
    "is shown.",
    "- **`import modeldoc`**: `import modeldoc` timed with `time.perf_counter()` inside a new interpreter, "
    "3 interpreters, best kept; the whole process and `python -c pass` are shown beside it.",
    "- **validate of many documents**: small valid documents (`modeldoc.examples.example_document(seed)`, "
    "every other one MessagePack) in a temporary folder; `python -m modeldoc validate --jobs N FILE...` "
    "(one command line, N = the cores) 3 times, best kept, against `python -m modeldoc validate FILE` once "
    "per file, one process after the other; that side is timed on an evenly spaced sample of the files and "
    "scaled to all of them (the sample's size is in the table).",
]
