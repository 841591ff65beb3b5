"""The pre-commit hook of .pre-commit-hooks.yaml, run for real by pre-commit in a scratch repository.

pre-commit clones this repository at its HEAD commit, installs the package into a fresh
virtualenv (pip needs the package index for the dependencies) and runs the hook on the files
that match its pattern, so this tests the committed hook definition and code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

import modeldoc
from tests.testutil import ROOT

pytestmark = pytest.mark.slow


def _pre_commit() -> list[str]:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    if found is None:
        pytest.fail("pre-commit is not installed: pip install -r requirements/dev.txt")
    return [found]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_hook_fails_the_invalid_documents_and_passes_the_valid_ones(tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    _git(work, "init", "-q")
    modeldoc.save(modeldoc.example_document(), work / "good.modeldoc.json")
    modeldoc.save(modeldoc.example_document(), work / "good.modeldoc.msgpack")
    tree = json.loads((work / "good.modeldoc.json").read_text("utf-8"))
    tree["model"]["nodes"][0]["layer"] = "no-such-layer"
    (work / "bad.modeldoc.json").write_text(json.dumps(tree), "utf-8")
    packed = msgpack.unpackb((work / "good.modeldoc.msgpack").read_bytes(), raw=False)
    packed["tensors"][0]["sha256"] = "0" * 64
    (work / "bad.modeldoc.msgpack").write_bytes(msgpack.packb(packed, use_bin_type=True))
    # Not a ModelDoc name: the hook must leave it alone although it is no document at all.
    (work / "other.json").write_text('{"not": "a model"}', "utf-8")
    rev = _git(ROOT, "rev-parse", "HEAD")
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {rev}\n  hooks:\n  - id: modeldoc-validate\n", "utf-8")
    _git(work, "add", "-A")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")  # a fresh hook environment

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_pre_commit(), "run", "--color", "never", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=900)

    every = run("--all-files")
    assert every.returncode == 1, every.stdout + every.stderr
    assert "bad.modeldoc.json: SEMANTIC_UNKNOWN_LAYER at /model/nodes/0/layer" in every.stdout
    assert "bad.modeldoc.msgpack: DATA_CHECKSUM at /tensors/0/sha256" in every.stdout
    assert "good.modeldoc" not in every.stdout and "other.json" not in every.stdout

    valid = run("--files", "good.modeldoc.json", "good.modeldoc.msgpack", "other.json", "--verbose")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "validate ModelDoc documents" in valid.stdout and "Passed" in valid.stdout
