"""``Code``, the type of every finding code, is the registry's list of codes, so mypy rejects a misspelt one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

import pytest

from modeldoc.codenames import Code
from modeldoc.codes import CODES, POINTS_AT

PYTHON = Path(__file__).resolve().parents[1] / "python"


def test_the_code_type_lists_exactly_the_registered_codes_in_order() -> None:
    assert get_args(Code) == tuple(CODES)
    assert set(POINTS_AT) == set(CODES)


@pytest.mark.slow  # runs mypy
def test_mypy_rejects_a_misspelt_code_and_accepts_a_registered_one(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "uses_codes.py").write_text(
        "from modeldoc.errors import Collector, Finding, ModelDocError\n"
        "Finding('SYNTAX_DUPLICATE_KEY', '', 'fine')\n"
        "ModelDocError.of('USAGE', '', 'fine')\n"
        "Finding('SYNTAX_DUPLICATE_KY', '', 'misspelt')\n"
        "ModelDocError.of('USAGES', '', 'misspelt')\n"
        "Collector().add('DATA_CHECKSUMS', '', 'misspelt')\n"
    )
    env_path = os.environ.get("MYPYPATH")
    os.environ["MYPYPATH"] = str(PYTHON)
    try:
        out, _, status = api.run([str(tmp_path / "uses_codes.py"), "--strict", "--no-incremental",
                                  "--cache-dir", os.devnull, "--ignore-missing-imports"])
    finally:
        if env_path is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = env_path
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert [line.split(":")[1] for line in errors] == ["4", "5", "6"], out
    assert all("[arg-type]" in line for line in errors), out
