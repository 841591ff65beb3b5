"""ModelDoc benchmarks: write, read and validate the same tensors in
ModelDoc JSON base64, JSON list and MessagePack, Keras .keras and .weights.h5,
safetensors, raw bytes and the hand-rolled json + tolist recipe.

    .venv/bin/python benchmarks/run.py                 # full run, writes docs/benchmarks.{md,json,png}
    .venv/bin/python benchmarks/run.py --sizes 4,40    # float32 sizes in MB (plus the mixed model)
    .venv/bin/python benchmarks/run.py --quick         # smoke run, < 1 minute, output to a temp dir
    .venv/bin/python benchmarks/run.py --skip-slow-above 40   # no list / hand-rolled rows above 40 MB
    .venv/bin/python benchmarks/run.py --fresh-only --sizes 4 --list-size 4 --validate-files 50 --validate-sample 10

Every measurement runs in its own subprocess (benchmarks/_child.py): the warm
rows (first call, then more in the same process) at every size, then the judged
fresh-process rows (one call per process, three processes each) on the largest
float32 model and the list model, ``import modeldoc``, validate of many small
documents, and whole commands timed from outside. See docs/benchmarks.md for
the method.
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the working tree

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

SAMPLE_INTERVAL = 0.003  # seconds between RSS samples of a running measurement
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import _fresh  # noqa: E402
import _judged  # noqa: E402
import _report  # noqa: E402
from _cases import Case, case_from_name, float32_case, mixed_case, write_prepared  # noqa: E402
from _formats import FORMATS, SLOW  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=None, help="float32 model sizes in MB, comma-separated (default 4,40,400)")
    p.add_argument("--mixed", type=float, default=None, help="size in MB of the mixed-dtype model, 0 for none (default 40)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: --sizes 1 --mixed 0.5 --reps 1 --jobs 2 --fresh-reps 1, list model 1 MB, "
                        "12 documents to validate, no profile, output to a temp dir")
    p.add_argument("--skip-slow-above", type=float, default=None, metavar="MB",
                   help="skip the JSON list and hand-rolled rows for models above MB (default: run everything)")
    p.add_argument("--formats", default=None, help=f"comma-separated subset of: {', '.join(FORMATS)}")
    p.add_argument("--reps", type=int, default=None,
                   help="warm rows: calls after the first in the same process, best is kept (default 3)")
    p.add_argument("--budget", type=float, default=6.0,
                   help="stop repeating an operation once its repetitions took this many seconds (default 6)")
    p.add_argument("--out", default=None, help="where benchmarks.{json,md,png} go (default docs/; a temp dir with --quick)")
    p.add_argument("--workdir", default=None, help="where model files are written (default: a new temp dir, removed after)")
    p.add_argument("--jobs", type=int, default=None,
                   help="measurements run side by side (default 1; 2 with --quick); above 1 the numbers are only a smoke test")
    p.add_argument("--timeout", type=float, default=1800, help="seconds before one measurement is abandoned")
    p.add_argument("--from-json", default=None, metavar="FILE",
                   help="measure nothing: rewrite benchmarks.md and .png (in --out, default docs/) from a results JSON")
    p.add_argument("--fresh-reps", type=int, default=3,
                   help="processes per fresh-process operation and runs of each whole-process job (default 3); "
                        "0 for none (then the judged targets are not measured)")
    p.add_argument("--list-size", type=float, default=None, metavar="MB",
                   help="float32 model for the judged JSON list vs hand-rolled rows (default 40; --quick: 1)")
    p.add_argument("--validate-files", type=int, default=None, metavar="N",
                   help="small documents for the judged validate --jobs row (default 1000; --quick: 12)")
    p.add_argument("--validate-sample", type=int, default=None, metavar="N",
                   help="of those, how many are timed one process per file, scaled to all (default 100; --quick: 4)")
    p.add_argument("--fresh-only", action="store_true",
                   help="measure only the fresh-process rows and the whole-process jobs, on the largest --sizes "
                        "model, and add them to the results in --from-json (default docs/benchmarks.json), then "
                        "render again")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile summary of ModelDoc's read and write")
    args = p.parse_args(argv)
    if args.quick:
        args.fresh_reps = min(args.fresh_reps, 1)
        args.list_size = args.list_size or 1.0
        args.validate_files = args.validate_files or 12
        args.validate_sample = args.validate_sample or 4
        args.sizes = args.sizes or "1"
        args.mixed = 0.5 if args.mixed is None else args.mixed
        args.reps = args.reps or 1
        args.no_profile = True
        args.jobs = args.jobs or 2
    args.sizes = [float(s) for s in (args.sizes or "4,40,400").split(",") if s.strip()]
    args.mixed = 40.0 if args.mixed is None else args.mixed
    args.reps = args.reps or 3
    args.jobs = args.jobs or 1
    args.list_size = args.list_size or 40.0
    args.validate_files = args.validate_files or 1000
    args.validate_sample = min(args.validate_sample or 100, args.validate_files)
    args.formats = [f.strip() for f in args.formats.split(",")] if args.formats else list(FORMATS)
    unknown = [f for f in args.formats if f not in FORMATS]
    if unknown:
        p.error(f"unknown format(s) {unknown}; choose from {list(FORMATS)}")
    return args


def compile_modeldoc() -> None:
    """Byte-compile ModelDoc as pip does when it installs a package.

    The children run with PYTHONDONTWRITEBYTECODE (the run leaves no files behind in
    site-packages), so a module edited since its last import would be compiled again in
    every fresh process, a cost no installed user pays (about 10 ms per process here).
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("modeldoc")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def modeldoc_source_digest() -> str:
    """sha256 over ModelDoc's .py files: shows whether the code changed while the run was going."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("modeldoc")
    if spec is None or not spec.submodule_search_locations:
        return ""
    h = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for dirpath, dirnames, files in sorted(os.walk(folder)):
            dirnames.sort()
            for name in sorted(files):
                if name.endswith((".py", ".json")):
                    with open(os.path.join(dirpath, name), "rb") as f:
                        h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()[:16]


def sha256_speed() -> float:
    """MB/s of hashlib.sha256 on one core (best of three 64 MB runs): the ceiling for any reader
    that checks every tensor's sha256 on one core."""
    import hashlib

    data = bytes(64 * 1_000_000)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        hashlib.sha256(data).digest()
        best = min(best, time.perf_counter() - t0)
    return 64 / best


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def measure(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its result row."""
    spec = dict(spec, result=spec["path"] + f".{spec['op']}.result.json")
    base = {"case": spec["case"], "format": spec["format"], "op": spec["op"]}
    t0 = time.perf_counter()
    samples: list[tuple[float, int, int]] = []
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "_child.py"), json.dumps(spec)],
                                stdout=log, stderr=subprocess.STDOUT, text=True, env=child_env(), cwd=spec["workdir"])
        timed_out = not _sample(proc, timeout, samples)
        log.seek(0)
        output = log.read()
    if timed_out:
        return {**base, "error": f"timed out after {timeout:.0f} s"}
    try:
        with open(spec["result"]) as f:
            row: dict[str, Any] = json.load(f)
        os.unlink(spec["result"])
    except (OSError, ValueError):
        tail = output.strip().splitlines()[-5:]
        row = {**base, "error": f"child exited {proc.returncode} without a result", "traceback_tail": tail}
    _sampled_peaks(row, samples)
    row["child_wall_seconds"] = round(time.perf_counter() - t0, 2)
    return row


def run_profile(size_mb: float, timeout: float) -> dict[str, Any] | None:
    """benchmarks/profile_modeldoc.py in a subprocess; None if it failed."""
    with tempfile.TemporaryDirectory(prefix="modeldoc-prof-") as tmp:
        dest = os.path.join(tmp, "profile.json")
        cmd = [sys.executable, os.path.join(HERE, "profile_modeldoc.py"), "--size", str(size_mb), "--json", dest]
        if size_mb > 4:
            cmd += ["--list-size", "4"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=tmp)
            with open(dest) as f:
                return json.load(f)  # type: ignore[no-any-return]
        except (OSError, ValueError, subprocess.TimeoutExpired):
            print("profile failed: " + " | ".join((locals().get("proc") and proc.stderr or "").splitlines()[-3:]))
            return None


_RSS_RE = re.compile(r"^(RssAnon|RssFile):\s+(\d+) kB", re.M)


def _sample(proc: subprocess.Popen[str], timeout: float, samples: list[tuple[float, int, int]]) -> bool:
    """Wait for ``proc``, sampling its anonymous and file-backed RSS every few ms from
    outside (a thread inside the child would stall while C code holds the GIL).
    False if it had to be killed after ``timeout`` seconds."""
    status = f"/proc/{proc.pid}/status"
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        try:
            with open(status) as f:
                got = dict(_RSS_RE.findall(f.read()))
            samples.append((time.monotonic(), int(got["RssAnon"]) * 1024, int(got["RssFile"]) * 1024))
        except (OSError, KeyError, ValueError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return False
        time.sleep(SAMPLE_INTERVAL)
    return True


def _sampled_peaks(row: dict[str, Any], samples: list[tuple[float, int, int]]) -> None:
    """Peak anonymous and file-backed RSS during each repetition, above their values before it."""
    windows = row.pop("windows", None)
    if not windows:
        return
    anon, file_ = 0, 0
    for w in windows:
        inside = [(a, f) for t, a, f in samples if w["t0"] <= t <= w["t1"]] + [(w["anon_after"], w["file_after"])]
        anon = max(anon, max(a for a, _ in inside) - w["anon_before"])
        file_ = max(file_, max(f for _, f in inside) - w["file_before"])
    row["peak_anon_delta"] = anon
    row["peak_file_delta"] = file_
    row["rss_samples_in_op"] = sum(1 for w in windows for t, _, _ in samples if w["t0"] <= t <= w["t1"])


def fmt_row(row: dict[str, Any]) -> str:
    head = f"{row['case']:<15} {row['format']:<12} {row['op']:<14}"
    if "skipped" in row:
        return head + f"skipped: {row['skipped']}"
    if "error" in row:
        return head + f"ERROR: {row['error']}"
    if row.get("fresh"):
        return head + (f"{row['seconds']:9.4f} s  peak RSS +{row['peak_rss_delta'] / 1e6:.1f} MB  "
                       f"whole process {row.get('child_wall_seconds', 0):.2f} s")
    mbs = row["tensor_bytes"] / 1e6 / row["seconds"] if row["seconds"] > 0 else float("inf")
    s = head + f"{mbs:9.1f} MB/s  peak RSS {row['peak_rss_delta'] / row['tensor_bytes']:+.2f}x"
    if "peak_anon_delta" in row:
        s += f" (anon {row['peak_anon_delta'] / row['tensor_bytes']:+.2f}x)"
    if "file_bytes" in row:
        s += f"  file {row['file_bytes'] / row['tensor_bytes']:.3f}x"
    if "bit_exact" in row:
        s += "  bit-exact" if row["bit_exact"] else "  NOT BIT-EXACT"
    if "valid" in row:
        s += "  valid" if row["valid"] else f"  INVALID {row.get('findings', '')}"
    if row.get("valid_json") is False:
        s += "  (not valid JSON: NaN/Infinity literals)"
    return s + f"  [first + {row.get('warm_calls', row['reps'] - 1)}]"


def run_case(case: Case, args: argparse.Namespace, workdir: str, rows: list[dict[str, Any]]) -> None:
    prepared = os.path.join(workdir, f"{case.name}.tensors.bin")
    t0 = time.perf_counter()
    write_prepared(case, prepared)
    gc.collect()
    print(f"== {case.name}: {len(case.tensors)} tensors, {case.tensor_bytes / 1e6:.1f} MB "
          f"(generated in {time.perf_counter() - t0:.1f} s)", flush=True)
    spec0 = {"case": case.name, "prepared": prepared, "workdir": workdir, "reps": args.reps, "budget": args.budget}

    def one_format(key: str) -> list[dict[str, Any]]:
        fmt = FORMATS[key]
        path = os.path.join(workdir, case.name + fmt.ext)
        base = {"case": case.name, "format": key, "tensor_bytes": case.tensor_bytes}
        reason = fmt.missing()
        if reason is None and key in SLOW and args.skip_slow_above is not None and case.nominal_mb > args.skip_slow_above:
            reason = f"--skip-slow-above {args.skip_slow_above:g}"
        out = []
        for op in fmt.ops:
            if reason is None:
                row = measure({**spec0, "format": key, "path": path, "op": op}, args.timeout)
                if op == "write" and "error" in row:
                    reason = "write failed"
            else:
                row = {**base, "op": op, "skipped": reason}
            out.append(row)
            print(fmt_row(row), flush=True)
        if os.path.exists(path):
            os.unlink(path)
        return out

    if args.jobs > 1:  # smoke runs only: measurements running side by side disturb each other
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for got in list(pool.map(one_format, args.formats)):
                rows.extend(got)
    else:
        for key in args.formats:
            rows.extend(one_format(key))
    os.unlink(prepared)


def run_plan(case: Case, plan: list[tuple[str, str]], args: argparse.Namespace, workdir: str) -> tuple[
        list[dict[str, Any]], dict[str, str]]:
    """Each (format, op) of ``plan`` on ``case`` in ``args.fresh_reps`` fresh processes, a format's
    operations in turns (write, read, ..., write, read, ...); returns the rows and the files written."""
    prepared = os.path.join(workdir, f"{case.name}.judged.tensors.bin")
    write_prepared(case, prepared)
    gc.collect()
    spec0 = {"case": case.name, "prepared": prepared, "workdir": workdir, "reps": 1, "budget": args.budget,
             "fresh": True}
    keys = [k for k in dict.fromkeys(k for k, _ in plan) if k in args.formats]
    paths = {k: os.path.join(workdir, "judged-" + case.name + FORMATS[k].ext) for k in keys}

    def one_format(key: str) -> list[dict[str, Any]]:
        ops = [op for k, op in plan if k == key]
        reason = FORMATS[key].missing()
        out = []
        for run in range(args.fresh_reps):
            for op in ops:
                if reason is None:
                    row = measure({**spec0, "format": key, "path": paths[key], "op": op}, args.timeout)
                else:
                    row = {"case": case.name, "format": key, "op": op, "skipped": reason}
                row["run"] = run
                print("fresh " + fmt_row(row), flush=True)
                out.append(row)
            if reason is not None:
                break
        return out

    rows: list[dict[str, Any]] = []
    try:
        if args.jobs > 1:  # smoke runs only
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                for got in list(pool.map(one_format, keys)):
                    rows.extend(got)
        else:
            for key in keys:
                rows.extend(one_format(key))
    finally:
        os.unlink(prepared)
    return rows, {k: p for k, p in paths.items() if os.path.exists(p)}


def run_first_vs_warm(case: Case, args: argparse.Namespace, workdir: str) -> list[dict[str, Any]]:
    """ModelDoc's save and load on ``case`` in ``args.fresh_reps`` processes, each a first call and
    ``args.reps`` warm ones, for the judged first-vs-warm rows: best first call against best warm call,
    so that row is a best of several processes like the others, not one first call."""
    prepared = os.path.join(workdir, f"{case.name}.first.tensors.bin")
    write_prepared(case, prepared)
    spec0 = {"case": case.name, "prepared": prepared, "workdir": workdir, "reps": args.reps, "budget": args.budget}
    rows: list[dict[str, Any]] = []
    try:
        for run in range(args.fresh_reps):
            for key in _judged.FIRST_VS_WARM:
                path = os.path.join(workdir, "first-" + case.name + FORMATS[key].ext)
                for op in ("write", "read"):
                    row = measure({**spec0, "format": key, "path": path, "op": op}, args.timeout)
                    row["run"] = run
                    print("first+warm " + fmt_row(row), flush=True)
                    rows.append(row)
                if os.path.exists(path):
                    os.unlink(path)
    finally:
        os.unlink(prepared)
    return rows


def run_fresh(size_mb: float, args: argparse.Namespace, workdir: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The judged fresh-process rows (on ``size_mb`` and on the list model), ``import modeldoc``, validate
    of many small documents, then the whole-process jobs (information) on the files already written.
    Returns (fresh_runs, fresh): benchmarks.json's ``fresh_runs`` and ``fresh``."""
    big, small = float32_case(size_mb), float32_case(args.list_size)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    loadavg = os.getloadavg()
    plans = {big.name: (big, list(_judged.BIG_PLAN))}
    if small.name == big.name:
        plans[big.name][1].extend(_judged.LIST_PLAN)
    else:
        plans[small.name] = (small, list(_judged.LIST_PLAN))
    rows: list[dict[str, Any]] = []
    fresh: dict[str, Any] = {}
    for name, (case, plan) in plans.items():
        print(f"== fresh processes on {name}: {len(plan)} operations, {args.fresh_reps} processes each", flush=True)
        got, paths = run_plan(case, plan, args, workdir)
        rows += got
        if name == big.name:  # the whole-process jobs read the same files (and remove them)
            prepared = os.path.join(workdir, f"{case.name}.fresh.tensors.bin")
            write_prepared(case, prepared)
            print(f"== whole-process jobs on {case.name}, {args.fresh_reps} runs each", flush=True)
            try:
                fresh = _fresh.run(case, prepared, workdir, child_env(), args.fresh_reps, args.timeout, have=paths)
            finally:
                os.unlink(prepared)
            for r in fresh.get("rows", []):
                print(f"  {r['job']:20} {' '.join(f'{x:.3f}' for x in r['seconds'])} {r.get('error', '')}", flush=True)
        for p in paths.values():
            if os.path.exists(p):
                os.unlink(p)
    print(f"== first call and warm calls of save and load on {big.name}, {args.fresh_reps} processes each",
          flush=True)
    first_vs_warm = run_first_vs_warm(big, args, workdir)
    print(f"== import modeldoc, {args.fresh_reps} fresh interpreters", flush=True)
    imp = _fresh.import_times(child_env(), args.fresh_reps, args.timeout)
    print(f"  {imp}", flush=True)
    cores = _cores()
    print(f"== modeldoc validate of {args.validate_files} documents: --jobs {cores} "
          f"vs {args.validate_sample} single processes, scaled", flush=True)
    many = _fresh.validate_many(workdir, child_env(), args.validate_files, args.validate_sample, args.fresh_reps,
                                cores, args.timeout)
    print(f"  {({k: v for k, v in many.items() if k != 'kinds'})}", flush=True)
    fresh_runs = {"big_case": big.name, "list_case": small.name, "reps": args.fresh_reps, "date": started,
                  "loadavg": [round(x, 2) for x in loadavg] + [round(x, 2) for x in os.getloadavg()],
                  "rows": rows, "first_vs_warm": first_vs_warm, "import": imp, "validate_many": many}
    return fresh_runs, fresh


def _cores() -> int:
    from modeldoc.cli import available_cores  # what `--jobs auto` means, so the report can print the number

    return available_cores()


def rerender(args: argparse.Namespace) -> int:
    with open(args.from_json) as f:
        data = json.load(f)
    if args.fresh_only:
        workdir = args.workdir or tempfile.mkdtemp(prefix="modeldoc-bench-")
        os.makedirs(workdir, exist_ok=True)
        try:
            data["fresh_runs"], data["fresh"] = run_fresh(max(args.sizes), args, workdir)
        finally:
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)
    cases = [case_from_name(c["name"]) for c in data["cases"]]
    out = args.out or os.path.join(ROOT, "docs")
    os.makedirs(out, exist_ok=True)
    rows = [{k: v for k, v in r.items() if k not in _report.DERIVED} for r in data["results"]]
    paths = _report.write_all(rows, data["meta"], cases, out, data.get("profile"), data.get("fresh"),
                              data.get("fresh_runs"))
    print(_report.ratio_text(rows, cases, data["meta"], data.get("fresh_runs")))
    print(f"wrote {', '.join(paths)} from {args.from_json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fresh_only and not args.from_json:
        args.from_json = os.path.join(ROOT, "docs", "benchmarks.json")
    if args.from_json:
        return rerender(args)
    started = time.time()
    compile_modeldoc()
    meta = _report.machine_info()
    meta.update(
        command=" ".join([os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(ROOT) else sys.executable,
                          os.path.relpath(os.path.abspath(__file__), ROOT), *(sys.argv[1:] if argv is None else argv)]),
        options={"sizes_mb": args.sizes, "mixed_mb": args.mixed, "reps": args.reps, "budget_s": args.budget,
                 "skip_slow_above_mb": args.skip_slow_above, "formats": args.formats, "quick": args.quick,
                 "jobs": args.jobs, "fresh_reps": args.fresh_reps, "list_mb": args.list_size,
                 "validate_files": args.validate_files, "validate_sample": args.validate_sample},
        loadavg_start=os.getloadavg(),
        modeldoc_source_start=modeldoc_source_digest(),
        sha256_mb_s=round(sha256_speed(), 1),
    )
    out = args.out or (tempfile.mkdtemp(prefix="modeldoc-bench-out-") if args.quick else os.path.join(ROOT, "docs"))
    os.makedirs(out, exist_ok=True)
    workdir = args.workdir or tempfile.mkdtemp(prefix="modeldoc-bench-")
    os.makedirs(workdir, exist_ok=True)
    cases = [float32_case(s) for s in args.sizes] + ([mixed_case(args.mixed)] if args.mixed > 0 else [])
    rows: list[dict[str, Any]] = []
    try:
        for case in cases:
            run_case(case, args, workdir, rows)
        fresh_runs, fresh = run_fresh(max(args.sizes), args, workdir) if args.fresh_reps > 0 and args.sizes else (
            None, None)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    profile = None
    if not args.no_profile:
        size = 40.0 if 40.0 in args.sizes else max(args.sizes)
        print(f"== cProfile of ModelDoc save / load / validate at {size:g} MB", flush=True)
        profile = run_profile(size, args.timeout)
    meta["loadavg_end"] = os.getloadavg()
    meta["modeldoc_source_end"] = modeldoc_source_digest()
    if meta["modeldoc_source_end"] != meta["modeldoc_source_start"]:
        print("warning: ModelDoc's source changed during the run; rows may mix versions", flush=True)
    meta["duration_seconds"] = round(time.time() - started, 1)
    paths = _report.write_all(rows, meta, cases, out, profile, fresh, fresh_runs)
    skipped = sorted({(r["case"], r["format"], r["skipped"]) for r in rows if "skipped" in r})
    errors = [r for r in rows if "error" in r] + [r for r in (fresh_runs or {}).get("rows", []) if "error" in r]
    print()
    print(_report.ratio_text(rows, cases, meta, fresh_runs))
    if skipped:
        print("skipped: " + "; ".join(f"{c} {f} ({why})" for c, f, why in skipped))
    if errors:
        print(f"{len(errors)} measurement(s) failed: " + "; ".join(f"{r['case']} {r['format']} {r['op']}" for r in errors))
    print(f"wrote {', '.join(paths)} in {meta['duration_seconds']:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
