"""A command whose optional extra is missing says how to install it and exits 2 (a usage error),
never 3 (a bug): the extra's modules are hidden from a fresh interpreter to see what a user of the
core-only package meets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Hide the modules before modeldoc runs: `sys.modules[name] = None` makes every import of them fail.
HIDE = "import sys\nfor m in {hidden!r}: sys.modules[m] = None\nfrom modeldoc.cli import main\nsys.exit(main({argv!r}))\n"

CASES = [
    (["from-keras", "m.h5", "out.json"], ["keras", "tensorflow"], "pip install 'modeldoc[keras]'"),
    (["from-keras", "m.h5", "out.json"], ["h5py"], "pip install 'modeldoc[keras]'"),
    (["to-keras", "doc.json", "out.keras"], ["keras"], "pip install 'modeldoc[keras]'"),
    (["upgrade", "legacy.json", "out.json"], ["keras"], "pip install 'modeldoc[keras]'"),
    (["to-onnx", "doc.json", "out.onnx"], ["onnx"], "pip install 'modeldoc[onnx]'"),
    (["to-onnx", "doc.json", "out.onnx"], ["onnxruntime"], "pip install 'modeldoc[onnx]'"),
]


@pytest.mark.parametrize("argv,hidden,install", CASES, ids=[f"{c[0][0]}-{c[1][0]}" for c in CASES])
def test_missing_extra_is_a_usage_error_with_the_install_line(tmp_path: Path, argv: list[str], hidden: list[str],
                                                               install: str) -> None:
    r = subprocess.run([sys.executable, "-c", HIDE.format(hidden=hidden, argv=argv)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert install in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir()), "nothing is written"
