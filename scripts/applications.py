"""Measure every keras.applications model and print the table of docs/evaluator.md, or with --onnx the
table of docs/onnx.md (ONNX export checked by onnxruntime).

Usage: PYTHONPATH=python python scripts/applications.py [--onnx] [--keep DIR] [NAME ...]
(all 40 by default; slow: minutes per large model). One JSON line per model goes to stderr as it
finishes. --keep DIR keeps each exported document in DIR and reuses it on the next run, so that a
second measurement skips the Keras side (most of the time).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the same kernels on every machine (docs/development.md)

from modeldoc.keras._applications import APPLICATIONS, check_application, check_application_onnx


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="applications to measure (default: all 40)")
    parser.add_argument("--onnx", action="store_true", help="export to ONNX and check with onnxruntime")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the exported documents in DIR")
    args = parser.parse_args(argv)
    check = check_application_onnx if args.onnx else check_application
    column, versus = ("to-onnx + onnxruntime", "onnxruntime") if args.onnx else ("modeldoc run", "evaluator")
    rows = []
    for name in args.names or list(APPLICATIONS):
        r = check(name, keep=args.keep)
        print(json.dumps(r.__dict__), file=sys.stderr, flush=True)
        diff = "-" if r.max_abs_diff is None else f"{r.max_abs_diff:.1e}"
        tol = "-" if r.tolerance is None else f"{r.tolerance:.1e}"
        rows.append(f"| {name} | {r.side} | {'pass' if r.passed else 'FAIL'} | {diff} | {tol} | {r.problem} |")
    print(f"| model | input | {column} | max \\|{versus} - Keras\\| | tolerance | problem |")
    print("|---|--:|---|--:|--:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
