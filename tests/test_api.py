"""The Python API behaves as its neighbours do: encodings by extension, OSError for missing files,
documents that compare and print sensibly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import modeldoc
from modeldoc.encodings import Encoding


def test_save_follows_the_extension(tmp_path: Path) -> None:
    doc = modeldoc.example_document()
    modeldoc.save(doc, tmp_path / "m.msgpack")
    modeldoc.save(doc, tmp_path / "m.json")
    modeldoc.save(doc, tmp_path / "m.list.json", encoding="list")
    modeldoc.save(doc, tmp_path / "m.bin")
    assert (tmp_path / "m.msgpack").read_bytes()[:1] == b"\x88"
    assert modeldoc.validate(tmp_path / "m.msgpack").container == "msgpack"
    assert b'"encoding":"base64"' in (tmp_path / "m.json").read_bytes().replace(b" ", b"")
    assert b'"encoding":"list"' in (tmp_path / "m.list.json").read_bytes().replace(b" ", b"")
    assert modeldoc.validate(tmp_path / "m.bin").container == "json"
    contradictions: tuple[tuple[str, Encoding], ...] = (("x.msgpack", "base64"), ("x.json", "msgpack"))
    for name, encoding in contradictions:
        with pytest.raises(modeldoc.ModelDocError) as e:
            modeldoc.save(doc, tmp_path / name, encoding=encoding)
        assert e.value.code == "USAGE" and not (tmp_path / name).exists()


def test_load_of_a_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(FileNotFoundError) as e:
        modeldoc.load(missing)
    assert isinstance(e.value, modeldoc.ModelDocError) and isinstance(e.value, OSError)
    assert (e.value.code, e.value.pointer, e.value.filename) == ("IO_UNREADABLE", "", str(missing))
    assert str(e.value).startswith("IO_UNREADABLE at (document): cannot read")
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(OSError):
        modeldoc.load(folder)
    with pytest.raises(modeldoc.ModelDocError):  # still what callers caught before
        modeldoc.load(missing)


def test_documents_compare_bit_for_bit() -> None:
    a, b = modeldoc.example_document(), modeldoc.example_document()
    assert a == b and not a != b
    assert modeldoc.loads(modeldoc.dumps(a, encoding="msgpack")) == a
    b.tensors["conv/bias"] = b.tensors["conv/bias"].copy()
    b.tensors["conv/bias"].view(np.uint8)[0] ^= 1  # one bit
    assert a != b
    c = modeldoc.example_document()
    c.tensors["conv/bias"] = c.tensors["conv/bias"].astype(np.float64)  # same values, other dtype
    assert a != c
    d = modeldoc.example_document()
    d.model.layers[0].config["filters"] = 5
    assert a != d
    nan = modeldoc.example_document()
    nan.tensors["conv/bias"] = np.full_like(nan.tensors["conv/bias"], np.nan)
    nan2 = modeldoc.example_document()
    nan2.tensors["conv/bias"] = nan.tensors["conv/bias"].copy()
    assert nan == nan2  # the same NaN bits are equal, unlike NaN == NaN
    assert (a == "not a document") is False


def test_repr_is_short() -> None:
    doc = modeldoc.example_document()
    doc.tensors["big"] = np.zeros((1000, 1000), np.float32)
    text = repr(doc)
    assert text.startswith("<modeldoc.Document 'example': ") and len(text) < 120
    assert "array(" not in text and "\n" not in text and "7 layers" not in text and "9 tensors" in text


README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_names_every_public_name() -> None:
    text = README.read_text()
    paragraph = text[text.index("Public names:"):].split("\n\n")[0]
    import re

    named = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", paragraph.split("Options are")[0]))
    assert named == set(modeldoc.__all__)


def test_the_readme_synopsis_lists_every_option_of_every_command() -> None:
    import argparse
    import re

    from modeldoc.cli import build_parser

    text = README.read_text()
    block = text[text.index("## Command line"):].split("```")[1]
    synopsis: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        m = re.match(r"modeldoc (conformance \S+|\S+)", line)
        if m:
            current = m.group(1)
            synopsis[current] = synopsis.get(current, "") + line.split("#")[0]
        elif line.startswith("        [") and current:
            synopsis[current] += line.split("#")[0]
    common = {"--json", "--quiet", "-q", "--no-progress", "--help", "-h"}

    def commands(parser: argparse.ArgumentParser, prefix: str) -> dict[str, argparse.ArgumentParser]:
        out = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    nested = commands(sub, f"{prefix}{name} ")
                    out.update(nested or {f"{prefix}{name}": sub})
        return out

    parsers = commands(build_parser(), "")
    assert set(parsers) == set(synopsis), set(parsers) ^ set(synopsis)
    for name, parser in parsers.items():
        shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", synopsis[name]))
        known = {o for a in parser._actions for o in a.option_strings}
        missing = [a.option_strings for a in parser._actions
                   if a.option_strings and not set(a.option_strings) & (shown | common)]
        assert missing == [] and shown <= known, (name, missing, shown - known)
