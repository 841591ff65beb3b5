"""Whole commands in a fresh interpreter, timed from outside: what a command-line user meets.

Each measurement starts a new Python process and takes its wall time from start to exit:
interpreter start, imports, and the work. The other rows of the benchmark time the
operation alone inside a warmed-up process; these charge everything a one-shot script
or ``modeldoc inspect`` pays. Jobs run in turns (every job once, then again), so a
burst of load from other work on the machine spreads over all of them.

``python _fresh.py prepare CASE PREPARED WORKDIR`` writes the files the jobs read (a
child, so the parent never imports Keras); a run that already has them passes them in.

Two judged measurements live here too: ``import_times`` (``import modeldoc`` timed
inside a new interpreter) and ``validate_many`` (``modeldoc validate --jobs N`` of many
small documents in one command line against one ``modeldoc validate FILE`` process per
file); ``python _fresh.py documents DIR N`` writes those documents.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# (file key, extension): the files a job reads
FILES = ("md-base64", "md-msgpack", "safetensors", "keras-h5")  # the formats whose files the jobs read

_TOUCH = "import numpy as np\ndef touch(a):\n    np.asarray(a).reshape(-1).view(np.uint8)[::4096].sum()\n"


@dataclass(frozen=True)
class Job:
    key: str
    group: str  # "start", "header", "one tensor", "all tensors"
    file: str | None  # a FILES key
    label: str
    code: str | None = None  # run as python -c CODE PATH NAME
    argv: tuple[str, ...] = ()  # or as python ARGV... PATH


JOBS = (
    Job("python", "start", None, "`python -c pass` (the interpreter alone)", "pass"),
    Job("md-import", "start", None, "`import modeldoc`", "import modeldoc"),
    Job("md-inspect-base64", "header", "md-base64", "`modeldoc inspect --json`, JSON base64",
        argv=("-m", "modeldoc", "inspect", "--json")),
    Job("md-inspect-msgpack", "header", "md-msgpack", "`modeldoc inspect --json`, MessagePack",
        argv=("-m", "modeldoc", "inspect", "--json")),
    Job("md-open-base64", "header", "md-base64", "`modeldoc.open(path).tensors`, JSON base64",
        "import sys, modeldoc\nwith modeldoc.open(sys.argv[1]) as f: [i.shape for i in f.tensors.values()]"),
    Job("md-open-msgpack", "header", "md-msgpack", "`modeldoc.open(path).tensors`, MessagePack",
        "import sys, modeldoc\nwith modeldoc.open(sys.argv[1]) as f: [i.shape for i in f.tensors.values()]"),
    Job("st-header", "header", "safetensors", "safetensors `safe_open(path).keys()` and shapes",
        "import sys\nfrom safetensors import safe_open\nf = safe_open(sys.argv[1], 'np')\n"
        "[f.get_slice(k).get_shape() for k in f.keys()]"),
    Job("h5-header", "header", "keras-h5", "h5py: names and shapes of the `.weights.h5` datasets",
        "import sys, h5py\nf = h5py.File(sys.argv[1], 'r')\n"
        "f.visititems(lambda n, o: None if not isinstance(o, h5py.Dataset) else (o.shape, o.dtype) and None)"),
    Job("md-one-base64", "one tensor", "md-base64", "`modeldoc.open(path).get_tensor(name)`, JSON base64",
        _TOUCH + "import sys, modeldoc\nwith modeldoc.open(sys.argv[1]) as f: touch(f.get_tensor(sys.argv[2]))"),
    Job("md-one-msgpack", "one tensor", "md-msgpack", "`modeldoc.open(path).get_tensor(name)`, MessagePack",
        _TOUCH + "import sys, modeldoc\nwith modeldoc.open(sys.argv[1]) as f: touch(f.get_tensor(sys.argv[2]))"),
    Job("st-one", "one tensor", "safetensors", "safetensors `safe_open(path).get_tensor(name)`",
        _TOUCH + "import sys\nfrom safetensors import safe_open\ntouch(safe_open(sys.argv[1], 'np').get_tensor(sys.argv[2]))"),
    Job("h5-one", "one tensor", "keras-h5", "h5py: the biggest dataset of the `.weights.h5` (the same bytes)",
        _TOUCH + "import sys, h5py\nf = h5py.File(sys.argv[1], 'r')\nfound = []\n"
        "f.visititems(lambda n, o: found.append(o) if isinstance(o, h5py.Dataset) else None)\n"
        "touch(max(found, key=lambda d: d.size)[()])"),
    Job("md-load-base64", "all tensors", "md-base64", "`modeldoc.load(path)`, JSON base64",
        _TOUCH + "import sys, modeldoc\n[touch(a) for a in modeldoc.load(sys.argv[1]).tensors.values()]"),
    Job("md-load-msgpack", "all tensors", "md-msgpack", "`modeldoc.load(path)`, MessagePack",
        _TOUCH + "import sys, modeldoc\n[touch(a) for a in modeldoc.load(sys.argv[1]).tensors.values()]"),
    Job("st-load", "all tensors", "safetensors", "safetensors `load_file(path)`",
        _TOUCH + "import sys\nfrom safetensors.numpy import load_file\n[touch(a) for a in load_file(sys.argv[1]).values()]"),
)
# Ratios shown under the table: (ModelDoc job, peer job)
RATIOS = (
    ("md-inspect-msgpack", "st-header"), ("md-open-msgpack", "st-header"), ("md-open-base64", "st-header"),
    ("md-one-msgpack", "st-one"), ("md-one-base64", "st-one"), ("md-one-msgpack", "h5-one"),
    ("md-one-msgpack", "md-load-msgpack"),
)


def prepare(case_name: str, prepared: str, workdir: str, keys: list[str]) -> dict[str, str]:
    """Write the files the jobs read (those of ``keys``); return file key -> path."""
    from _cases import case_from_name, read_prepared
    from _formats import FORMATS

    case = case_from_name(case_name)
    tensors = read_prepared(case, prepared)
    paths = {}
    for key in FILES:
        if key not in keys:
            continue
        fmt = FORMATS[key]
        if fmt.missing() is not None:
            continue
        paths[key] = os.path.join(workdir, "fresh-" + case.name + fmt.ext)  # the same names as run.py's
        fmt.write(fmt.setup_write(case, tensors), paths[key])
    return paths


def _time(cmd: list[str], env: dict[str, str], timeout: float) -> float | str:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=timeout, check=False)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        last = (r.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""])[0]
        return f"exit {r.returncode}: {last[:200]}"
    return seconds


def run(case: Any, prepared: str, workdir: str, env: dict[str, str], reps: int, timeout: float,
        have: dict[str, str] | None = None) -> dict[str, Any]:
    """Every job ``reps`` times in turns; the result as stored in benchmarks.json under ``fresh``.

    ``have``: FILES keys -> files of this case that exist already; the rest are written here (and
    all are removed at the end)."""
    paths = {k: v for k, v in (have or {}).items() if k in FILES and os.path.exists(v)}
    if set(paths) != set(FILES):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "prepare", case.name, prepared, workdir,
                            ",".join(k for k in FILES if k not in paths)],
                           env=env, capture_output=True, text=True, timeout=timeout, check=False)
        if r.returncode != 0:
            return {"case": case.name, "error": (r.stderr.strip().splitlines() or ["prepare failed"])[-1][:300]}
        for line in r.stdout.splitlines():
            if "\t" in line:
                key, path = line.split("\t", 1)
                paths[key] = path
    biggest = max(case.tensors, key=lambda t: math.prod(t.shape)).name
    loadavg = os.getloadavg()
    seconds: dict[str, list[float]] = {j.key: [] for j in JOBS}
    errors: dict[str, str] = {}
    try:
        for _ in range(reps):
            for job in JOBS:
                if job.key in errors or (job.file is not None and job.file not in paths):
                    continue
                path = paths.get(job.file or "", "")
                cmd = [sys.executable, "-c", job.code, path, biggest] if job.code else [sys.executable, *job.argv, path]
                got = _time(cmd, env, timeout)
                if isinstance(got, str):
                    errors[job.key] = got
                else:
                    seconds[job.key].append(round(got, 4))
    finally:
        for p in paths.values():
            if os.path.exists(p):
                os.unlink(p)
    rows = [{"job": j.key, "group": j.group, "label": j.label, "seconds": seconds[j.key],
             **({"error": errors[j.key]} if j.key in errors else {}),
             **({"skipped": "package missing"} if j.file is not None and j.file not in paths else {})}
            for j in JOBS]
    return {"case": case.name, "tensor_bytes": case.tensor_bytes, "tensor": biggest, "reps": reps,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "loadavg": [round(x, 2) for x in loadavg] + [round(x, 2) for x in os.getloadavg()], "rows": rows,
            "ratios": [{"ours": a, "peer": b} for a, b in RATIOS]}


def markdown(fresh: dict[str, Any]) -> list[str]:
    """The section of benchmarks.md."""
    L = ["## Fresh process: what a command-line user meets", ""]
    if "error" in fresh:
        return L + [f"Not measured: {fresh['error']}", ""]
    mb = fresh["tensor_bytes"] / 1e6
    L += [
        f"Each job is a new `python` process, timed from outside from start to exit (interpreter start, imports, "
        f"the work), on {fresh['case']} ({mb:.0f} MB of tensors; one tensor is `{fresh['tensor']}`, the biggest). "
        f"Every job ran {fresh['reps']} times, in turns; best and worst are shown. Measured {fresh['date']}, "
        f"load average {fresh['loadavg'][0]:.1f} at the start and {fresh['loadavg'][3]:.1f} at the end.",
        "",
        "| what | job | best s | worst s |",
        "|---|---|--:|--:|",
    ]
    by_key = {r["job"]: r for r in fresh["rows"]}
    for r in fresh["rows"]:
        if r["seconds"]:
            L.append(f"| {r['group']} | {r['label']} | {min(r['seconds']):.3f} | {max(r['seconds']):.3f} |")
        else:
            L.append(f"| {r['group']} | {r['label']} | {r.get('error') or r.get('skipped', '')} | |")
    L += ["", "Ratios of best times (peer's time over ours: above 1 means ModelDoc is faster):", ""]
    for pair in fresh["ratios"]:
        a, b = by_key.get(pair["ours"]), by_key.get(pair["peer"])
        if a and b and a["seconds"] and b["seconds"]:
            L.append(f"- {a['label']} vs {b['label']}: {min(b['seconds']) / min(a['seconds']):.2f}x")
    L.append("")
    return L


# --- judged: import modeldoc, and validate of many small documents ---------------------------

_IMPORT = ("import time\nt0 = time.perf_counter()\nimport modeldoc\nt1 = time.perf_counter()\n"
           "print(f'{t1 - t0:.6f}')")


def import_times(env: dict[str, str], reps: int, timeout: float) -> dict[str, Any]:
    """``import modeldoc`` in ``reps`` new interpreters: the import statement timed inside (judged),
    and the whole process from outside (information), beside ``python -c pass``."""
    runs: list[dict[str, float]] = []
    bare: list[float] = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", _IMPORT], capture_output=True, text=True, env=env,
                           timeout=timeout, check=False)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            return {"error": (r.stderr.strip().splitlines() or ["import failed"])[-1][:300]}
        runs.append({"seconds": float(r.stdout.split()[-1]), "wall_seconds": round(wall, 4)})
        got = _time([sys.executable, "-c", "pass"], env, timeout)
        if isinstance(got, float):
            bare.append(round(got, 4))
    return {"runs": runs, "python_pass_seconds": bare}


def write_documents(folder: str, n: int) -> list[str]:
    """``n`` small valid documents (example_document with seeds 0..n-1), every other one MessagePack."""
    import modeldoc

    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(n):
        enc = "msgpack" if i % 2 else "base64"
        path = os.path.join(folder, f"doc-{i:04d}" + (".msgpack" if i % 2 else ".json"))
        with open(path, "wb") as f:  # not modeldoc.save: 1,000 fsyncs would only slow the set-up
            f.write(modeldoc.dumps(modeldoc.example_document(seed=i), encoding=enc))  # type: ignore[arg-type]
        paths.append(path)
    return paths


def validate_many(workdir: str, env: dict[str, str], n: int, sample: int, reps: int, jobs: int,
                  timeout: float) -> dict[str, Any]:
    """``modeldoc validate --jobs JOBS`` of ``n`` small documents in one command line (``reps`` runs,
    best kept) against ``modeldoc validate FILE`` once per file, timed on an evenly spaced sample of
    ``sample`` files and scaled to ``n``."""
    folder = os.path.join(workdir, f"validate-{n}")
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "documents", folder, str(n)],
                       env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["writing the documents failed"])[-1][:300]}
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    out: dict[str, Any] = {"files": len(files), "jobs": jobs, "bytes": sum(os.path.getsize(f) for f in files),
                           "kinds": {ext: sum(f.endswith(ext) for f in files) for ext in (".json", ".msgpack")}}
    try:
        together: list[float] = []
        for _ in range(reps):
            got = _time([sys.executable, "-m", "modeldoc", "validate", "--jobs", str(jobs), *files], env, timeout)
            if isinstance(got, str):
                return {**out, "error": f"validate --jobs {jobs}: {got}"}
            together.append(round(got, 4))
        step = max(1, len(files) // max(1, sample))
        chosen = files[::step][:sample]
        each: list[float] = []
        for f in chosen:
            got = _time([sys.executable, "-m", "modeldoc", "validate", f], env, timeout)
            if isinstance(got, str):
                return {**out, "error": f"validate {os.path.basename(f)}: {got}"}
            each.append(got)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out.update(together_seconds=together, sample=len(chosen), sample_seconds=round(sum(each), 4),
               sample_worst=round(max(each), 4), sample_best=round(min(each), 4),
               one_by_one_seconds=round(sum(each) * len(files) / len(chosen), 4))
    return out


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "prepare":
        for k, v in prepare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(",")).items():
            print(f"{k}\t{v}")
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "documents":
        write_documents(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit("usage: _fresh.py prepare CASE PREPARED WORKDIR KEYS | documents DIR N")
