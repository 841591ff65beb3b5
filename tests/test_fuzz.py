"""A short fuzzing run in CI (``make fuzz`` runs the long one).

The invariant (fuzz/invariant.py): only ModelDocError comes out, a valid
document round-trips; the run stays under a memory ceiling (an address-space
limit set in the subprocess) and writes nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testutil import ROOT

pytestmark = pytest.mark.slow

RUNNER = ROOT / "fuzz" / "run.py"
FINDINGS = RUNNER.parent / "findings"


def fuzz(tmp_path: Path, *args: str) -> str:
    before = set(FINDINGS.iterdir()) if FINDINGS.exists() else set()
    r = subprocess.run([sys.executable, str(RUNNER), "--memory-mb", "3072", *args], capture_output=True, text=True,
                       cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
    assert (set(FINDINGS.iterdir()) if FINDINGS.exists() else set()) == before
    return r.stdout


def test_structure_and_byte_fuzzing_with_hypothesis(tmp_path: Path) -> None:
    out = fuzz(tmp_path, "--engine", "hypothesis", "--examples", "3000", "--seed", "20261127")
    m = re.search(r"(\d+) cases .* peak RSS (\d+) MB, (\d+) findings", out)
    assert m and int(m.group(1)) >= 3000 and m.group(3) == "0"
    assert int(m.group(2)) < 1024
    # The mutants reach every layer, not only the parser.
    for code in ("SYNTAX_JSON", "SCHEMA_TYPE", "DATA_", "valid"):
        assert code in out


def test_coverage_guided_fuzzing_with_atheris(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    out = fuzz(tmp_path, "--engine", "atheris", "--seconds", "20")
    m = re.search(r"(\d+) cases .* peak RSS (\d+) MB, (\d+) findings", out)
    assert m and int(m.group(1)) > 1000 and m.group(3) == "0"
