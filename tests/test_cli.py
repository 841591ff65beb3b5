"""The command line contract (spec.md section 13), run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import modeldoc


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modeldoc", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    doc = modeldoc.example_document()
    out = {}
    for enc, name in [("base64", "m.json"), ("list", "m.list.json"), ("msgpack", "m.msgpack")]:
        p = tmp_path / name
        modeldoc.save(doc, p, encoding=enc)  # type: ignore[arg-type]
        out[enc] = p
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format":"modeldoc","format_version":"1.0.0","x":1,"x":NaN}')
    out["bad"] = bad
    return out


def test_validate_ok_and_invalid_and_unreadable(files: dict[str, Path], tmp_path: Path) -> None:
    r = run("validate", str(files["base64"]), str(files["msgpack"]))
    assert r.returncode == 0 and r.stdout.splitlines() == [f"{files['base64']}: OK", f"{files['msgpack']}: OK"]
    r = run("validate", str(files["base64"]), str(files["bad"]))
    assert r.returncode == 1
    assert f"{files['bad']}: SYNTAX_DUPLICATE_KEY at /x: member 'x' occurs twice" in r.stdout.splitlines()
    assert any(line.startswith(f"{files['bad']}: SYNTAX_NONFINITE_LITERAL at /x: ") for line in r.stdout.splitlines())
    r = run("validate", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "IO_UNREADABLE" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_validate_json_output(files: dict[str, Path]) -> None:
    r = run("validate", "--json", str(files["list"]), str(files["bad"]))
    payload = json.loads(r.stdout)
    assert [p["valid"] for p in payload] == [True, False]
    assert {f["code"] for f in payload[1]["findings"]} == {"SYNTAX_DUPLICATE_KEY", "SYNTAX_NONFINITE_LITERAL"}
    assert r.returncode == 1


def test_inspect(files: dict[str, Path]) -> None:
    r = run("inspect", "--json", str(files["msgpack"]))
    info = json.loads(r.stdout)
    assert info["container"] == "msgpack" and info["format_version"] == "1.0.0"
    assert info["parameters"] == modeldoc.example_document().num_parameters
    assert {t["name"]: t["dtype"] for t in info["tensors"]}["dense/bias"] == "bfloat16"
    assert [layer["path"] for layer in info["layers"]][:4] == ["conv", "flatten", "head", "head/dense"]
    text = run("inspect", str(files["base64"])).stdout
    assert "lookup/vocabulary: int64 [4] 32 bytes (base64)" in text
    assert "input  image: float32 [?, 4, 4, 1]" in text


def test_convert_is_lossless_and_refuses_to_clobber_its_input(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.msgpack"
    assert run("convert", str(files["list"]), str(out), "--encoding", "msgpack").returncode == 0
    assert run("digest", str(out)).stdout == run("digest", str(files["base64"])).stdout
    r = run("convert", str(files["base64"]), str(files["base64"]), "--encoding", "list")
    assert r.returncode == 2
    r = run("convert", str(files["bad"]), str(tmp_path / "x.json"), "--encoding", "list")
    assert r.returncode == 1 and not (tmp_path / "x.json").exists()
    assert "SYNTAX_DUPLICATE_KEY" in r.stderr


def test_convert_to_list_needs_consent_for_nan_payloads(tmp_path: Path) -> None:
    import numpy as np

    from testutil import doc_with

    src = tmp_path / "nan.msgpack"
    modeldoc.save(doc_with({"t": np.array([0xFFC00001], np.uint32).view(np.float32)}), src, encoding="msgpack")
    r = run("convert", str(src), str(tmp_path / "o.json"), "--encoding", "list")
    assert r.returncode == 1 and "WRITE_LOSSY_NAN" in r.stderr and "--canonicalize-nan" in r.stderr
    r = run("convert", str(src), str(tmp_path / "o.json"), "--encoding", "list", "--canonicalize-nan")
    assert r.returncode == 0


def test_digest_protocol(files: dict[str, Path]) -> None:
    r = run("digest", str(files["msgpack"]))
    assert r.returncode == 0 and r.stdout.endswith("}\n") and r.stdout.count("\n") == 1
    assert r.stdout == modeldoc.reader_report(modeldoc.example_document())
    r = run("digest", str(files["bad"]))
    assert r.returncode == 1
    assert sorted(r.stdout.splitlines()) == ["SYNTAX_DUPLICATE_KEY\t/x", "SYNTAX_NONFINITE_LITERAL\t/x"]
    r = run("digest", "/nonexistent/file")
    assert r.returncode == 2 and r.stdout == ""


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("convert", "a", "b").returncode == 2  # --encoding missing
    assert run("frobnicate").returncode == 2


def test_schema_command_prints_the_schema() -> None:
    r = run("schema")
    assert json.loads(r.stdout)["$id"] == "https://modeldoc.dev/schema/1.0/modeldoc.schema.json"


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff" * 100, b"{" * 10000, b'{"format":"modeldoc","format_version":"1.0.0","tensors":"x"}',
     b"\x81\xa1a\xc7\x01\x05x", b"\xef\xbb\xbf{}", os.urandom(0) + b"\xde\xff\xff"],
)
def test_no_traceback_for_garbage(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "garbage"
    p.write_bytes(content)
    for cmd in ("validate", "inspect", "digest"):
        r = run(cmd, str(p))
        assert r.returncode == 1, (cmd, r.stdout, r.stderr)
        assert "Traceback" not in r.stdout + r.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "modeldoc"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"modeldoc {modeldoc.__version__}"


def test_progress_bar_on_a_terminal_and_silence_otherwise(files: dict[str, Path], tmp_path: Path) -> None:
    import pty

    out = tmp_path / "o.msgpack"
    cmd = [sys.executable, "-m", "modeldoc", "convert", str(files["base64"]), str(out), "--encoding", "msgpack"]
    r = subprocess.run(cmd, capture_output=True, text=True)  # pipes: not a terminal
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    out.unlink()
    leader, follower = pty.openpty()
    p = subprocess.Popen(cmd, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    assert p.wait() == 0
    text = b"".join(chunks).decode()
    assert "writing o.msgpack [" in text and "100%" in text
    assert modeldoc.validate(out).ok
