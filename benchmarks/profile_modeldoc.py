"""Where ModelDoc's time goes: cProfile of the public save / load / validate on
one float32 model, in each encoding, printing the functions with the most own
time. Profiling slows Python-level code more than C code; read the shares, not
the absolute times.

    .venv/bin/python benchmarks/profile_modeldoc.py --size 40 [--encodings base64,msgpack] [--top 12]
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _cases import Case, float32_case, generate, modeldoc_document  # noqa: E402


def _label(func: tuple[str, int, str]) -> str:
    path, line, name = func
    if path == "~":
        return name  # a builtin, e.g. "<built-in method _hashlib.openssl_sha256>"
    parts = path.replace(os.sep, "/").split("/")
    short = "/".join(parts[parts.index("modeldoc"):]) if "modeldoc" in parts else parts[-1]
    return f"{short}:{line}({name})"


def _profile(fn: Callable[[], Any], top: int) -> dict[str, Any]:
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(fn)
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof)
    total = st.total_tt  # type: ignore[attr-defined]
    items = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    rows = [
        {"function": _label(func), "calls": nc, "own_seconds": round(tt, 4), "own_share": round(tt / total, 3) if total else 0}
        for func, (cc, nc, tt, ct, callers) in items[:top]
    ]
    return {"wall_seconds": round(wall, 3), "profiled_seconds": round(total, 3), "top": rows}


def profile_all(case: Case, encodings: list[str], top: int = 8, list_case: Case | None = None) -> dict[str, Any]:
    """Profile each encoding on ``case``; the slow ``list`` encoding on ``list_case`` if given."""
    import modeldoc

    docs = {case.name: modeldoc_document(case, generate(case))}
    if list_case is not None and "list" in encodings:
        docs[list_case.name] = modeldoc_document(list_case, generate(list_case))
    out: dict[str, Any] = {"case": case.name, "tensor_bytes": case.tensor_bytes, "ops": {}}
    with tempfile.TemporaryDirectory(prefix="modeldoc-prof-") as tmp:
        for enc in encodings:
            c = list_case if enc == "list" and list_case is not None else case
            doc = docs[c.name]
            path = os.path.join(tmp, f"model.{enc}")
            tag = f"{enc}" if c is case else f"{enc} ({c.name})"
            encoding: Any = enc
            out["ops"][f"{tag} save"] = _profile(functools.partial(modeldoc.save, doc, path, encoding=encoding), top)
            out["ops"][f"{tag} load"] = _profile(functools.partial(modeldoc.load, path), top)
            out["ops"][f"{tag} validate"] = _profile(functools.partial(modeldoc.validate, path), top)
            os.unlink(path)
    return out


def as_text(prof: dict[str, Any]) -> str:
    lines = [f"cProfile, {prof['case']} ({prof['tensor_bytes'] / 1e6:.1f} MB of tensors)"]
    for op, r in prof["ops"].items():
        lines.append(f"\n{op}: {r['wall_seconds']:.2f} s under the profiler")
        for t in r["top"]:
            lines.append(f"  {t['own_share']:6.1%}  {t['own_seconds']:8.3f} s  {t['calls']:>8}  {t['function']}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=float, default=40.0, help="float32 model size in MB (default 40)")
    p.add_argument("--encodings", default="base64,msgpack,list")
    p.add_argument("--list-size", type=float, default=None, help="profile the list encoding at this size instead")
    p.add_argument("--top", type=int, default=8)
    p.add_argument("--json", default=None, help="also write the result as JSON to this file")
    args = p.parse_args()
    list_case = float32_case(args.list_size) if args.list_size else None
    prof = profile_all(float32_case(args.size), [e.strip() for e in args.encodings.split(",")], args.top, list_case)
    print(as_text(prof))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(prof, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
