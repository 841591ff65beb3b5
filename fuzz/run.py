#!/usr/bin/env python3
"""Fuzz the JSON and MessagePack readers and the validator.

    python fuzz/run.py --engine hypothesis --examples 5000
    python fuzz/run.py --engine atheris --seconds 600

Runs in the current folder and writes nothing there unless a finding occurs
(then the input goes to fuzz/findings/). Prints the number of cases run, the
outcomes by code, and the peak RSS. Exit 1 on any finding.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def save_finding(data: bytes, why: str) -> None:
    folder = HERE / "findings"
    folder.mkdir(exist_ok=True)
    import hashlib

    name = hashlib.sha256(data).hexdigest()[:16]
    (folder / f"{name}.bin").write_bytes(data)
    (folder / f"{name}.txt").write_text(why + "\n")
    print(f"FINDING {name}: {why}", file=sys.stderr)


def _peak_rss_mb() -> int:
    """This process's own peak RSS. Not ru_maxrss: on Linux exec carries the parent's high-water
    mark into it, so under a big pytest process (TensorFlow loaded) it reported the parent's 1.2 GB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # no /proc: the best there is


def run_hypothesis(examples: int, seed: int) -> tuple[int, collections.Counter[str], int]:
    import atexit
    import shutil
    import tempfile

    # Hypothesis keeps caches in ./.hypothesis; the fuzz run must leave its folder untouched.
    cache = tempfile.mkdtemp(prefix="modeldoc-fuzz-hypothesis-")
    atexit.register(shutil.rmtree, cache, True)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = cache
    from hypothesis import HealthCheck, given, seed as hseed, settings
    from hypothesis import strategies as st

    from invariant import Finding, check
    from mutate import byte_mutants, tree_mutants

    outcomes: collections.Counter[str] = collections.Counter()
    findings = 0

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(byte_mutants(), tree_mutants()))
    def target(data: bytes) -> None:
        nonlocal findings
        try:
            outcomes[check(data)] += 1
        except Finding as e:
            findings += 1
            save_finding(data, str(e))

    target()
    return sum(outcomes.values()) + findings, outcomes, findings


def atheris_child(argv: list[str]) -> None:
    """Runs inside the child process: libFuzzer owns it and ends it itself."""
    import atheris

    with atheris.instrument_imports():
        import modeldoc  # noqa: F401
        from invariant import check

    def one(data: bytes) -> None:
        check(data)  # a Finding propagates: libFuzzer records the input as a crash

    atheris.Setup([sys.argv[0], *argv], one)
    atheris.Fuzz()


def run_atheris(seconds: int, memory_mb: int) -> tuple[int, int, int]:
    """Fuzz in a child process with a scratch corpus; return (runs, peak RSS MB, findings)."""
    import re
    import shutil
    import subprocess
    import tempfile

    from corpus import seeds

    scratch = Path(tempfile.mkdtemp(prefix="modeldoc-fuzz-"))
    try:
        corpus = scratch / "corpus"
        corpus.mkdir()
        for i, s in enumerate(seeds()):
            (corpus / f"seed{i}").write_bytes(s)
        flags = [f"-max_total_time={seconds}", f"-rss_limit_mb={memory_mb}", "-max_len=300000",
                 "-print_final_stats=1", f"-artifact_prefix={scratch}/", str(corpus)]
        r = subprocess.run([sys.executable, __file__, "--atheris-child", *flags], capture_output=True, text=True)
        runs = int(m.group(1)) if (m := re.search(r"number_of_executed_units:\s*(\d+)", r.stderr)) else 0
        peak = int(m.group(1)) if (m := re.search(r"peak_rss_mb:\s*(\d+)", r.stderr)) else 0
        artifacts = [p for p in scratch.iterdir() if p.name.startswith(("crash-", "oom-", "timeout-", "leak-"))]
        for art in artifacts:
            save_finding(art.read_bytes(), f"{art.name.split('-')[0]} (libFuzzer); see its log")
        if r.returncode != 0 and not artifacts:
            print(r.stderr[-3000:], file=sys.stderr)
            return runs, peak, 1
        return runs, peak, len(artifacts)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=["hypothesis", "atheris"], default="hypothesis")
    ap.add_argument("--examples", type=int, default=2000, help="hypothesis: number of inputs")
    ap.add_argument("--seconds", type=int, default=60, help="atheris: time budget")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis: seed")
    ap.add_argument("--memory-mb", type=int, default=3072, help="address-space ceiling for this process")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = args.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY and hard < limit else hard))
    start = time.monotonic()

    def report(n: int, outcomes: collections.Counter[str], findings: int) -> None:
        peak_mb = _peak_rss_mb()
        top = ", ".join(f"{k} {v}" for k, v in outcomes.most_common())
        print(f"engine {args.engine}: {n} cases in {time.monotonic() - start:.0f} s, peak RSS {peak_mb} MB, "
              f"{findings} findings", flush=True)
        print(f"outcomes: {top}", flush=True)

    if args.engine == "atheris":
        runs, peak, findings = run_atheris(args.seconds, args.memory_mb)
        print(f"engine atheris: {runs} cases in {time.monotonic() - start:.0f} s, peak RSS {peak} MB, "
              f"{findings} findings")
        return 1 if findings else 0
    n, outcomes, findings = run_hypothesis(args.examples, args.seed)
    report(n, outcomes, findings)
    return 1 if findings else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--atheris-child":
        atheris_child(sys.argv[2:])
    else:
        sys.exit(main())
