"""The conformance harness: any reader, any producer, against the fixtures (spec.md 13-14).

``modeldoc conformance run`` drives a reader command through the reader
protocol on every case of ``conformance_fixtures/manifest.json`` and compares
what it prints with the manifest. ``modeldoc conformance check-producer``
tells a third-party writer whether its files are valid and read back
bit-exactly in every encoding.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelDocError, protocol_pointer
from .exitcodes import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, exit_for

EXIT_FAILED = EXIT_INVALID  # a case failed


@dataclass
class Outcome:
    """What a reader did with one fixture."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass
class CaseResult:
    id: str
    passed: bool
    problems: list[str] = field(default_factory=list)


def shipped_fixtures() -> Path:
    """The copy of the conformance fixtures inside this package (scripts/generate.py makes it):
    with it, ``pip install modeldoc`` is all a third-party reader needs to be checked."""
    return Path(__file__).resolve().parent / "conformance_fixtures"


def find_fixtures(explicit: str | None) -> Path:
    """The fixture folder: --fixtures, $MODELDOC_FIXTURES, a parent of the current
    folder, or the copy shipped in this package."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("MODELDOC_FIXTURES"):
        candidates.append(Path(os.environ["MODELDOC_FIXTURES"]))
    if not explicit:
        here = Path.cwd().resolve()
        candidates += [p / "conformance_fixtures" for p in (here, *here.parents)]
        candidates.append(shipped_fixtures())
    for c in candidates:
        if (c / "manifest.json").is_file():
            return c
    raise FileNotFoundError("no conformance_fixtures/manifest.json found; pass --fixtures DIR")


def reference_reader(path: Path) -> Outcome:
    """The Python reader, in process, answering as `modeldoc digest` does."""
    from .clicommon import finding_line
    from .readerprotocol import answer

    try:
        a = answer(str(path), str(path))
    except ModelDocError as e:  # unreadable, or over the size limit: the command exits 2 with these lines
        return Outcome(exit_for(e.code), "", "".join(finding_line(str(path), f) + "\n" for f in e.findings))
    except Exception as e:  # a bug in this reader fails its case (as `digest` exits 3), not the whole run
        return Outcome(EXIT_INTERNAL, "", f"modeldoc: internal error: {type(e).__name__}: {e}\n")
    return Outcome(a.exit_code, a.stdout, a.stderr)


class ReaderFailed(Exception):
    """The reader command could not be started at all: no case can pass, so the run stops."""


def command_reader(template: str, timeout: float) -> Any:
    """A reader given as a shell-style command with ``{file}`` in it."""
    try:
        argv = shlex.split(template)
    except ValueError as e:
        raise ReaderFailed(f"--reader {template!r}: {e}") from None
    if not argv:
        raise ReaderFailed("--reader is empty")
    if not any("{file}" in a for a in argv):
        argv.append("{file}")

    def run(path: Path) -> Outcome:
        cmd = [a.replace("{file}", str(path)) for a in argv]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Outcome(-1, "", f"timed out after {timeout} s")
        except OSError as e:
            raise ReaderFailed(f"cannot start the reader {argv[0]!r}: {e.strerror or e}") from None
        return Outcome(
            r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
        )

    return run


def judge(case: dict[str, Any], outcome: Outcome, fixtures: Path) -> CaseResult:
    """Compare a reader's outcome with the manifest's expectation (spec.md 14)."""
    problems: list[str] = []
    if case["valid"]:
        expected = (fixtures / case["report"]).read_text("utf-8")
        if outcome.exit_code != EXIT_OK:
            first = (outcome.stdout.strip().splitlines() or outcome.stderr.strip().splitlines() or [""])[0]
            problems.append(f"expected valid (exit 0), got exit {outcome.exit_code}: {first[:120]}")
        elif outcome.stdout != expected:
            problems.append("reader report differs: " + _first_difference(expected, outcome.stdout))
        # Lines end at LF only: splitlines() would also cut at U+2028 and others a pointer may hold.
        warnings = {
            tuple(line.split("\t")[1:3]) for line in outcome.stderr.split("\n") if line.startswith("warning\t")
        }
        for w in case.get("warnings", []):
            if (w["code"], protocol_pointer(w["pointer"])) not in warnings:
                problems.append(f"missing warning {w['code']} at {w['pointer'] or '(document)'}")
    else:
        if outcome.exit_code != EXIT_INVALID:
            problems.append(f"expected invalid (exit 1), got exit {outcome.exit_code}")
        lines = [line for line in outcome.stdout.split("\n") if line]
        got = [tuple(line.split("\t", 1)) if "\t" in line else (line, None) for line in lines]
        unused = list(got)  # an entry listed n times needs n findings (spec.md 14)
        for e in case["errors"]:
            if "pointer" in e:
                match = next((g for g in unused if g == (e["code"], protocol_pointer(e["pointer"]))), None)
                want = f"{e['code']} at {e['pointer'] or '(document)'}"
            else:
                match = next((g for g in unused if g[0] == e["code"]), None)
                want = e["code"]
            if match is not None:
                unused.remove(match)
            else:
                shown = ", ".join(f"{c} at {p or '(document)'}" for c, p in got[:3]) or "nothing"
                problems.append(f"expected {want}; reader reported {shown}")
    return CaseResult(case["id"], not problems, problems)


def _first_difference(expected: str, got: str) -> str:
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return f"at character {i}: expected {expected[max(0, i - 20):i + 20]!r}, got {got[max(0, i - 20):i + 20]!r}"
    return f"lengths {len(expected)} and {len(got)}"


def run_suite(
    fixtures: Path, reader: Any, patterns: list[str] | None = None
) -> list[CaseResult]:
    manifest = json.loads((fixtures / "manifest.json").read_text("utf-8"))
    cases = [c for c in manifest["cases"]
             if not patterns or any(fnmatch.fnmatch(c["id"], p) or p in c["id"] for p in patterns)]
    if not cases:
        raise ReaderFailed(f"--filter {' '.join(patterns or [])!r} matches none of the {len(manifest['cases'])} cases")
    return [judge(case, reader(fixtures / case["file"]), fixtures) for case in cases]


# --- check-producer -------------------------------------------------------------------


def check_producer(path: str | bytes) -> tuple[bool, list[str]]:
    """Is a third-party file (a path, or its bytes) valid, and does it read back bit-exactly in every encoding?"""
    from . import dumps, loads, validate
    from .digest import reader_report

    lines: list[str] = []
    report = validate(path)
    if not report.ok:
        lines += [f"INVALID {f.code} at {f.pointer or '(document)'}: {f.message}" for f in report.errors]
        return False, lines
    lines += [f"warning {f.code} at {f.pointer or '(document)'}: {f.message}" for f in report.warnings]
    if isinstance(path, bytes):
        data = path
    else:
        with open(path, "rb") as f:
            data = f.read()
    doc = loads(data)
    original = reader_report(doc)
    ok = True
    for encoding in ("base64", "list", "msgpack"):
        try:
            again = loads(dumps(doc, encoding=encoding, canonicalize_nan=encoding == "list"))
        except ModelDocError as e:
            lines.append(f"{encoding}: cannot re-encode: {e}")
            ok = False
            continue
        same = all(
            again.tensors[n].tobytes() == a.tobytes() and again.tensors[n].dtype == a.dtype
            for n, a in doc.tensors.items()
        )
        if encoding == "list" and not same:
            lines.append("list: NaN sign/payload bits are not representable in the list encoding (spec.md 5.3)")
        elif not same or reader_report(again) != original:
            lines.append(f"{encoding}: does NOT read back identically")
            ok = False
        else:
            lines.append(f"{encoding}: reads back bit-exactly")
    if b'"document_sha256"' not in data and b"document_sha256" not in data:
        lines.append("note: no document_sha256; writers SHOULD write it (spec.md 3.2)")
    return ok, lines


# --- command line ------------------------------------------------------------------------


def add_commands(sub: Any) -> None:
    c = sub.add_parser("conformance", help="run the conformance suite against a reader, or check a producer's files")
    csub = c.add_subparsers(dest="conformance_command", required=True, metavar="SUBCOMMAND")
    common = [sub.common] if hasattr(sub, "common") else []  # --json, --quiet, --no-progress
    r = csub.add_parser("run", help="run a reader over every fixture and compare with the manifest", parents=common)
    r.add_argument("--reader", metavar="CMD", help="reader command, e.g. 'node reader.mjs {file}' (default: this reader)")
    r.add_argument("--filter", action="append", metavar="PATTERN", help="only cases whose id matches (glob or substring)")
    r.add_argument("--fixtures", metavar="DIR", help="fixture folder (default: found from here)")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    r.set_defaults(run=cmd_run)
    f = csub.add_parser("fixtures", help="print the fixture folder that 'run' uses (for another language's runner)",
                        parents=common)
    f.add_argument("--fixtures", metavar="DIR", help="fixture folder (default: found from here)")
    f.set_defaults(run=cmd_fixtures)
    p = csub.add_parser("check-producer", help="are these files valid, and do they read back bit-exactly?",
                        parents=common)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="documents written by the producer under test (- reads standard input)")
    p.set_defaults(run=cmd_check_producer)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        fixtures = find_fixtures(args.fixtures)
    except FileNotFoundError as e:
        raise ModelDocError.of("USAGE", "", str(e)) from None
    try:
        reader = command_reader(args.reader, args.timeout) if args.reader else reference_reader
        results = run_suite(fixtures, reader, args.filter)
    except ReaderFailed as e:
        raise ModelDocError.of("USAGE", "", str(e)) from None
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.json:
        print(json.dumps({"passed": passed, "failed": failed, "results": [r.__dict__ for r in results]}, indent=1))
        return EXIT_OK if failed == 0 and results else EXIT_FAILED
    if failed:
        width = max(len(r.id) for r in results if not r.passed)
        print(f"{'case':<{width}}  problem")
        for r in results:
            for i, problem in enumerate(r.problems):
                print(f"{r.id if i == 0 else '':<{width}}  {problem}")
    if failed or not getattr(args, "quiet", False):
        print(f"{passed} passed, {failed} failed")
    return EXIT_OK if failed == 0 and results else EXIT_FAILED


def cmd_fixtures(args: argparse.Namespace) -> int:
    try:
        fixtures = find_fixtures(args.fixtures)
    except FileNotFoundError as e:
        raise ModelDocError.of("USAGE", "", str(e)) from None
    print(json.dumps({"fixtures": str(fixtures)}) if getattr(args, "json", False) else fixtures)
    return EXIT_OK


def cmd_check_producer(args: argparse.Namespace) -> int:
    all_ok = True
    checked = []
    from .clicommon import document_source, shown
    from .limits import DEFAULT_LIMITS

    for given in args.files:
        path = shown(given)
        ok, lines = check_producer(document_source(given, DEFAULT_LIMITS))
        all_ok &= ok
        checked.append({"file": path, "ok": ok, "lines": lines})
        if getattr(args, "json", False) or (ok and getattr(args, "quiet", False)):
            continue
        print(f"{path}: {'OK' if ok else 'FAILED'}")
        for line in lines:
            print(f"  {line}")
    if getattr(args, "json", False):
        print(json.dumps({"ok": all_ok, "files": checked}, indent=2, ensure_ascii=False))
    return EXIT_OK if all_ok else EXIT_FAILED
