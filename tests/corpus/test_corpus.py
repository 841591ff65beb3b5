"""The third-party model corpus (scripts/corpus.py): the generated files agree with the list of
sources, and, with MODELDOC_CORPUS=DIR, every entry is measured again and held to the table.

The corpus files are other people's files and are not in this repository: DIR is a folder
assembled from tests/corpus/SOURCES.md (``files/<id>/<file name>``). The measurement caches the
original runtimes' predictions in ``DIR/work`` (by content), so a second run only repeats the
modeldoc side.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.testutil import ROOT

SOURCES = ROOT / "tests" / "corpus" / "sources.json"
SOURCES_MD = ROOT / "tests" / "corpus" / "SOURCES.md"
TABLE = ROOT / "docs" / "compatibility.md"


def _script() -> ModuleType:
    # scripts/ is not a package: load the script by path, under a name no test module uses.
    spec = importlib.util.spec_from_file_location("modeldoc_corpus_script", ROOT / "scripts" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENTRIES: list[dict[str, Any]] = json.loads(SOURCES.read_text())
IDS = [e["id"] for e in ENTRIES]


def _table_rows() -> dict[str, list[str]]:
    """{id: cells} of the table of files in docs/compatibility.md (cells split at unescaped bars)."""
    rows: dict[str, list[str]] = {}
    in_files = False
    for line in TABLE.read_text().splitlines():
        if line.startswith("## Files"):
            in_files = True
        if in_files and line.startswith("| ") and not line.startswith("| id ") and not line.startswith("|---"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0]] = cells
    return rows


def test_generated_files_name_every_source() -> None:
    assert len(IDS) == len(set(IDS))
    assert all("local" not in f for e in ENTRIES for f in e["files"]), "sources.json must not hold local paths"
    assert set(_table_rows()) == set(IDS)
    assert re.findall(r"^## (\S+)$", SOURCES_MD.read_text(), re.M) == IDS
    for e in ENTRIES:
        for f in e["files"]:
            assert f["sha256"] in SOURCES_MD.read_text(), (e["id"], f["path"])


def test_generated_files_name_no_local_folder() -> None:
    for path in (TABLE, SOURCES_MD, SOURCES):
        assert not re.search(r"(^|[\s'\"(])/(work|home|tmp|root|Users|mnt)/", path.read_text(), re.M), path


CORPUS = os.environ.get("MODELDOC_CORPUS")


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _script()


@pytest.mark.skipif(not CORPUS, reason="MODELDOC_CORPUS is not set: the third-party corpus is not in this "
                                       "repository (assemble it from tests/corpus/SOURCES.md)")
@pytest.mark.parametrize("entry_id", IDS)
def test_entry(entry_id: str, script: ModuleType) -> None:
    assert CORPUS is not None
    corpus = Path(CORPUS).resolve()
    by_id = {e["id"]: e for e in ENTRIES}
    entry = by_id[entry_id]
    r = script.check_entry(entry, corpus, corpus / "work", by_id)
    assert "skipped" not in r, r.get("skipped")

    records = [r[k] for k in ("from", "validate") if r.get(k)]
    if (r.get("run") or {}).get("cmd"):
        records.append(r["run"]["cmd"])
    for rec in records:
        assert not rec["traceback"], f"{rec['command']} printed a traceback: {rec['stderr_first']}"
        assert not rec["bug"], f"{rec['command']} exited with 3 (a bug): {rec['message']}"
        assert not rec["timed_out"], f"{rec['command']} timed out"

    if entry["kind"] == "other":
        v = r["validate"]
        assert v["exit"] == 1 and script.names_format(v["message"]), v["message"]
        return

    status = r["runtime"]["status"]
    if status in ("refuses", "not run"):
        # What the original runtime cannot (or must not) load, modeldoc refuses with a clear message.
        assert r["from"]["exit"] == 1, r["from"]
        assert r["from"]["message"], "refused without a message"
        return
    if status == "predict fails":
        # The runtime builds the model but cannot run it here (e.g. channels_first convolutions on a
        # CPU): test vectors cannot be computed either, so a clear refusal is the right answer too.
        assert r["from"]["exit"] == 0 or (r["from"]["exit"] == 1 and r["from"]["message"]), r["from"]
        return
    assert r["from"]["exit"] == 0, f"the runtime loads it, modeldoc does not: {r['from']['message']}"
    assert r["validate"]["exit"] == 0, r["validate"]["message"]
    assert r["lazy"]["status"] == "agrees", r["lazy"].get("message")  # modeldoc.open, in every encoding
    if status != "loads" or entry["kind"] not in script.KERAS_KINDS:
        return
    keras = r["keras"]
    assert keras["status"] == "ok" and "max_abs" in keras, keras.get("message")
    recorded = _table_rows()[entry_id][8]
    if recorded == "bit-identical":
        assert keras["identical"], f"recorded bit-identical, now max abs {keras['max_abs']:.3g}"
    else:
        match = re.match(r"max abs (\S+)", recorded)
        assert match, f"the table records no bound for {entry_id}: {recorded!r}"
        assert keras["max_abs"] <= float(match.group(1)), (keras["max_abs"], recorded)
