"""Measure the core profile on every keras.applications model and print the table of docs/evaluator.md.

Usage: PYTHONPATH=python python scripts/applications.py [NAME ...]   (all 40 by default; slow: minutes per
large model). One JSON line per model goes to stderr as it finishes.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same kernels on every machine (docs/development.md)

from modeldoc.keras._applications import APPLICATIONS, check_application


def main(names: list[str]) -> None:
    rows = []
    for name in names or list(APPLICATIONS):
        r = check_application(name)
        print(json.dumps(r.__dict__), file=sys.stderr, flush=True)
        diff = "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.1e}"
        tol = "-" if r.tolerance is None else f"{r.tolerance:.1e}"
        rows.append(f"| {name} | {r.side} | {'pass' if r.passed else 'FAIL'} | {diff} | {tol} | {r.problem} |")
    print("| model | input | modeldoc run | max \\|evaluator - Keras\\| | tolerance | problem |")
    print("|---|--:|---|--:|--:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
