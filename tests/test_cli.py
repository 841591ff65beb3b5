"""The command line contract (spec.md section 13), run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import modeldoc
from modeldoc.encodings import Encoding
from tests.testutil import FIXTURES, doc_with, needs_extra, run_cli


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    doc = modeldoc.example_document()
    out: dict[str, Path] = {}
    names: dict[Encoding, str] = {"base64": "m.json", "list": "m.list.json", "msgpack": "m.msgpack"}
    for enc, name in names.items():
        p = tmp_path / name
        modeldoc.save(doc, p, encoding=enc)
        out[enc] = p
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format":"modeldoc","format_version":"1.0.0","x":1,"x":NaN}')
    out["bad"] = bad
    return out


def test_validate_ok_and_invalid_and_unreadable(files: dict[str, Path], tmp_path: Path) -> None:
    r = run_cli("validate", str(files["base64"]), str(files["msgpack"]))
    assert r.returncode == 0 and r.stdout.splitlines() == [f"{files['base64']}: OK", f"{files['msgpack']}: OK"]
    r = run_cli("validate", str(files["base64"]), str(files["bad"]))
    assert r.returncode == 1
    assert f"{files['bad']}: SYNTAX_DUPLICATE_KEY at /x: member 'x' occurs twice" in r.stdout.splitlines()
    assert any(line.startswith(f"{files['bad']}: SYNTAX_NONFINITE_LITERAL at /x: ") for line in r.stdout.splitlines())
    r = run_cli("validate", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "IO_UNREADABLE" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_validate_json_output(files: dict[str, Path]) -> None:
    r = run_cli("validate", "--json", str(files["list"]), str(files["bad"]))
    payload = json.loads(r.stdout)
    assert [p["valid"] for p in payload] == [True, False]
    assert {f["code"] for f in payload[1]["findings"]} == {"SYNTAX_DUPLICATE_KEY", "SYNTAX_NONFINITE_LITERAL"}
    assert r.returncode == 1


def test_inspect(files: dict[str, Path]) -> None:
    r = run_cli("inspect", "--json", str(files["msgpack"]))
    info = json.loads(r.stdout)
    assert info["container"] == "msgpack" and info["format_version"] == "1.0.0"
    assert info["parameters"] == modeldoc.example_document().num_parameters
    assert {t["name"]: t["dtype"] for t in info["tensors"]}["dense/bias"] == "bfloat16"
    assert [layer["path"] for layer in info["layers"]][:4] == ["conv", "flatten", "head", "head/dense"]
    text = run_cli("inspect", str(files["base64"])).stdout
    assert "lookup/vocabulary: int64 [4] 32 bytes (base64)" in text
    assert "input  image: float32 [?, 4, 4, 1]" in text


@pytest.mark.slow  # six fresh interpreters
def test_convert_is_lossless_and_refuses_to_clobber_its_input(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.msgpack"
    assert run_cli("convert", str(files["list"]), str(out), "--encoding", "msgpack").returncode == 0
    assert run_cli("digest", str(out)).stdout == run_cli("digest", str(files["base64"])).stdout
    r = run_cli("convert", str(files["base64"]), str(files["base64"]), "--encoding", "list")
    assert r.returncode == 2
    r = run_cli("convert", str(files["bad"]), str(tmp_path / "x.json"), "--encoding", "list")
    assert r.returncode == 1 and not (tmp_path / "x.json").exists()
    assert "SYNTAX_DUPLICATE_KEY" in r.stderr


def test_convert_to_list_needs_consent_for_nan_payloads(tmp_path: Path) -> None:
    import numpy as np

    src = tmp_path / "nan.msgpack"
    modeldoc.save(doc_with({"t": np.array([0xFFC00001], np.uint32).view(np.float32)}), src, encoding="msgpack")
    r = run_cli("convert", str(src), str(tmp_path / "o.json"), "--encoding", "list")
    assert r.returncode == 1 and "WRITE_LOSSY_NAN" in r.stderr and "--canonicalize-nan" in r.stderr
    r = run_cli("convert", str(src), str(tmp_path / "o.json"), "--encoding", "list", "--canonicalize-nan")
    assert r.returncode == 0


def test_digest_protocol(files: dict[str, Path]) -> None:
    r = run_cli("digest", str(files["msgpack"]))
    assert r.returncode == 0 and r.stdout.endswith("}\n") and r.stdout.count("\n") == 1
    assert r.stdout == modeldoc.reader_report(modeldoc.example_document())
    r = run_cli("digest", str(files["bad"]))
    assert r.returncode == 1
    assert sorted(r.stdout.splitlines()) == ["SYNTAX_DUPLICATE_KEY\t/x", "SYNTAX_NONFINITE_LITERAL\t/x"]
    r = run_cli("digest", "/nonexistent/file")
    assert r.returncode == 2 and r.stdout == ""


def test_usage_errors_exit_2() -> None:
    assert run_cli().returncode == 2
    assert run_cli("convert", "a", "b").returncode == 2  # --encoding missing
    assert run_cli("frobnicate").returncode == 2


def test_schema_command_prints_the_schema() -> None:
    r = run_cli("schema")
    assert json.loads(r.stdout)["$id"] == "https://modeldoc.dev/schema/1.0/modeldoc.schema.json"


@pytest.mark.slow  # seven inputs times three commands, a fresh interpreter each
@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff" * 100, b"{" * 10000, b'{"format":"modeldoc","format_version":"1.0.0","tensors":"x"}',
     b"\x81\xa1a\xc7\x01\x05x", b"\xef\xbb\xbf{}", os.urandom(0) + b"\xde\xff\xff"],
)
def test_no_traceback_for_garbage(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "garbage"
    p.write_bytes(content)
    for cmd in ("validate", "inspect", "digest"):
        r = run_cli(cmd, str(p))
        assert r.returncode == 1, (cmd, r.stdout, r.stderr)
        assert "Traceback" not in r.stdout + r.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "modeldoc"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"modeldoc {modeldoc.__version__}"


def test_progress_bar_on_a_terminal_and_silence_otherwise(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o.msgpack"
    cmd = [sys.executable, "-m", "modeldoc", "convert", str(files["base64"]), str(out), "--encoding", "msgpack"]
    r = subprocess.run(cmd, capture_output=True, text=True)  # pipes: not a terminal
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    out.unlink()
    code, text = _on_terminal(cmd)
    assert code == 0
    assert "writing o.msgpack [" in text and "100%" in text
    assert modeldoc.validate(out).ok


def _on_terminal(cmd: list[str]) -> tuple[int, str]:
    """Run ``cmd`` with stdout and stderr on a pseudo-terminal; its exit code and what it drew."""
    import pty

    leader, follower = pty.openpty()
    p = subprocess.Popen(cmd, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    code = p.wait()
    os.close(leader)
    return code, b"".join(chunks).decode()


@pytest.mark.slow  # four interpreters on a pseudo-terminal
def test_no_progress_and_quiet_silence_the_bars(files: dict[str, Path], tmp_path: Path) -> None:
    base = [sys.executable, "-m", "modeldoc", "convert", str(files["base64"])]
    code, text = _on_terminal([*base, str(tmp_path / "a.msgpack")])
    assert code == 0 and "100%" in text and "MiB" in text and text.endswith("\r\n")
    code, text = _on_terminal([*base, str(tmp_path / "b.msgpack"), "--no-progress"])
    assert code == 0 and text == ""
    code, text = _on_terminal([*base, str(tmp_path / "c.json"), "--quantize", "float16", "-q"])
    assert code == 0 and text == ""  # neither bars nor the per-tensor lines
    code, text = _on_terminal([*base, str(tmp_path / "d.json"), "--quantize", "float16"])
    assert code == 0 and "conv/kernel: float32 -> float16" in text


def test_quiet_validate_prints_only_errors(files: dict[str, Path]) -> None:
    r = run_cli("validate", "-q", str(files["base64"]), str(files["bad"]))
    assert r.returncode == 1
    assert r.stdout.splitlines() and all(line.startswith(f"{files['bad']}: ") for line in r.stdout.splitlines())
    r = run_cli("validate", "--quiet", str(files["base64"]))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


@pytest.mark.slow  # nine interpreters, one per command
def test_dash_is_standard_input_and_output(files: dict[str, Path], tmp_path: Path) -> None:
    data = files["base64"].read_bytes()
    r = subprocess.run([sys.executable, "-m", "modeldoc", "validate", "-"], input=data, capture_output=True)
    assert (r.returncode, r.stdout) == (0, b"<stdin>: OK\n")
    r = subprocess.run([sys.executable, "-m", "modeldoc", "convert", str(files["base64"]), "-", "--encoding", "msgpack"],
                       capture_output=True)
    assert r.returncode == 0 and r.stdout[:1] == b"\x88"
    assert modeldoc.loads(r.stdout) == modeldoc.load(files["base64"])
    r = subprocess.run([sys.executable, "-m", "modeldoc", "convert", "-", "-", "--quantize", "float16"], input=data,
                       capture_output=True)
    assert r.returncode == 0 and r.stdout.startswith(b'{"$schema"')  # stdout: base64 JSON unless told
    assert b"conv/kernel: float32 -> float16" in r.stderr  # the report moves to stderr
    r = subprocess.run([sys.executable, "-m", "modeldoc", "digest", "-"], input=data, capture_output=True)
    assert r.stdout.decode() == modeldoc.reader_report(modeldoc.load(files["base64"]))
    for argv in (["inspect", "-"], ["conformance", "check-producer", "-"], ["extract", "-", "conv/bias", "-o", "-"]):
        r = subprocess.run([sys.executable, "-m", "modeldoc", *argv], input=data, capture_output=True)
        assert r.returncode == 0, (argv, r.stderr)
        assert r.stdout.startswith(b"\x93NUMPY" if argv[0] == "extract" else b"<stdin>: ")
    assert not (tmp_path / "-").exists() and not Path("-").exists()


@pytest.mark.slow  # six fresh interpreters
def test_the_extension_chooses_the_encoding(files: dict[str, Path], tmp_path: Path) -> None:
    assert run_cli("convert", str(files["base64"]), str(tmp_path / "a.msgpack")).returncode == 0
    assert (tmp_path / "a.msgpack").read_bytes()[:1] == b"\x88"
    assert run_cli("convert", str(files["msgpack"]), str(tmp_path / "b.json")).returncode == 0
    assert json.loads((tmp_path / "b.json").read_text())["tensors"][0]["encoding"] == "base64"
    assert run_cli("convert", str(files["msgpack"]), str(tmp_path / "c.json"), "--encoding", "list").returncode == 0
    for out, enc in (("d.json", "msgpack"), ("e.msgpack", "base64"), ("f.msgpack", "list")):
        r = run_cli("convert", str(files["base64"]), str(tmp_path / out), "--encoding", enc)
        assert r.returncode == 2 and "USAGE" in r.stderr and not (tmp_path / out).exists(), (out, enc)


@pytest.mark.slow  # eight fresh interpreters
def test_outputs_are_never_the_input_and_replaced_only_with_force(files: dict[str, Path], tmp_path: Path) -> None:
    src = files["base64"]
    before = src.read_bytes()
    for extra in ([], ["--force"]):
        r = run_cli("convert", str(src), str(src), *extra)
        assert r.returncode == 2 and "is the input" in r.stderr and src.read_bytes() == before
    link = tmp_path / "link.json"
    link.symlink_to(src)
    assert run_cli("convert", str(src), str(link), "--force").returncode == 2  # the same file by another name
    out = tmp_path / "out.json"
    out.write_bytes(b"keep me")
    r = run_cli("convert", str(src), str(out))
    assert r.returncode == 2 and "--force" in r.stderr and out.read_bytes() == b"keep me"
    assert run_cli("convert", str(src), str(out), "--force").returncode == 0 and modeldoc.validate(out).ok
    assert "--force" in run_cli("convert", "--help").stdout and "--force" in run_cli("to-keras", "--help").stdout


@needs_extra("keras")
def test_to_keras_never_writes_over_its_input(tmp_path: Path) -> None:
    doc_named_keras = tmp_path / "d.keras"  # a document that happens to be named like the output
    modeldoc.save(modeldoc.example_document(), doc_named_keras)
    r = run_cli("to-keras", str(doc_named_keras), str(doc_named_keras), "--force")
    assert r.returncode == 2 and "is the input" in r.stderr and modeldoc.validate(doc_named_keras).ok


def test_full_disk_and_closed_pipe_are_io_errors(files: dict[str, Path], tmp_path: Path) -> None:
    import numpy as np

    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "modeldoc", "validate", str(files["base64"])], stdout=full,
                           stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2 and "WRITE_FAILED" in r.stderr and "No space left" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    # The output must outgrow the pipe's buffer (64 KiB on Linux, at most 1 MiB): a smaller one is
    # written whole before the reader goes away, and the command then rightly succeeds.
    big = tmp_path / "big.json"
    modeldoc.save(doc_with({"w": np.zeros(1 << 20, dtype=np.float32)}), big)
    p = subprocess.Popen([sys.executable, "-m", "modeldoc", "convert", str(big), "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.read(10)
    p.stdout.close()  # the reader goes away after 10 bytes
    err = p.stderr.read().decode()
    assert p.wait() == 2 and "WRITE_FAILED" in err and "Traceback" not in err


def test_per_channel_needs_quantize(files: dict[str, Path], tmp_path: Path) -> None:
    r = run_cli("convert", str(files["base64"]), str(tmp_path / "q.json"), "--per-channel")
    assert r.returncode == 2 and "--per-channel needs --quantize" in r.stderr and not (tmp_path / "q.json").exists()


def test_conformance_run_stops_at_once(tmp_path: Path) -> None:
    import time

    r = run_cli("conformance", "run", "--filter", "no-such-case-anywhere")
    assert r.returncode == 2 and "matches none" in r.stderr and "passed" not in r.stdout
    start = time.monotonic()
    r = run_cli("conformance", "run", "--reader", str(tmp_path / "no-such-reader") + " {file}")
    assert r.returncode == 2 and "cannot start the reader" in r.stderr and "passed" not in r.stdout
    assert time.monotonic() - start < 20  # not one attempt per case
    r = run_cli("conformance", "run", "--reader", "'unbalanced")
    assert r.returncode == 2 and "USAGE" in r.stderr


@pytest.mark.slow  # three interpreters that load the evaluator
def test_run_blames_a_bad_input_file(tmp_path: Path) -> None:
    import numpy as np

    doc = tmp_path / "m.json"
    modeldoc.save(readme_document(), doc)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    r = run_cli("run", str(doc), "--input", f"x={pickled}")
    assert r.returncode == 2 and r.stderr.startswith(f"{pickled}: IO_UNREADABLE at (document): holds pickled")
    missing = tmp_path / "missing.npy"
    r = run_cli("run", str(doc), "--input", f"x={missing}")
    assert r.returncode == 2 and r.stderr.startswith(f"{missing}: IO_UNREADABLE") and "Traceback" not in r.stderr
    r = run_cli("run", str(doc), "--input", f"x={missing}", "--json")
    assert json.loads(r.stdout)["file"] == str(missing)


def readme_document() -> modeldoc.Document:
    """The document of README.md's Python example, as written there (no framework named)."""
    import numpy as np

    graph = modeldoc.Graph(
        layers=[modeldoc.Layer("dense", "Dense", {"units": 2}, ["dense/kernel", "dense/bias"])],
        inputs=[modeldoc.Input("x", "float32", [None, 3])],
        nodes=[modeldoc.Node("dense", ["x"], ["y"])],
        outputs=["y"],
    )
    return modeldoc.Document(graph, {
        "dense/kernel": np.ones((3, 2), np.float32),
        "dense/bias": np.array([0.0, np.nan], np.float32),
    })


def test_the_readme_example_runs(tmp_path: Path) -> None:
    import numpy as np

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert 'modeldoc.Layer("dense", "Dense", {"units": 2}, ["dense/kernel", "dense/bias"])' in readme
    doc = tmp_path / "model.json"
    modeldoc.save(readme_document(), doc)
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.save(tmp_path / "x.npy", x)
    r = run_cli("run", str(doc), "--input", f"x={tmp_path / 'x.npy'}", "--output", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "out" / "y.npy")
    assert y[0, 0] == 6.0 and np.isnan(y[0, 1])
    r = run_cli("run", str(doc))
    assert r.returncode == 0 and "no test vectors" in r.stdout
    piped = subprocess.run([sys.executable, "-m", "modeldoc", "run", str(doc), "--input", "x=-", "--json"],
                           input=(tmp_path / "x.npy").read_bytes(), capture_output=True)
    assert piped.returncode == 0 and json.loads(piped.stdout)["outputs"]["y"]["shape"] == [1, 2]


def _parser_actions() -> list[tuple[str, Any]]:
    import argparse

    from modeldoc.cli import build_parser

    found = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            else:
                found.append((f"{path} {'/'.join(action.option_strings) or action.dest}", action))

    walk(build_parser(), "modeldoc")
    return found


def test_every_argument_has_help_text() -> None:
    actions = _parser_actions()
    assert len(actions) > 100
    missing = [name for name, action in actions if not action.help]
    assert missing == []


COMMANDS_READING_A_FILE = [
    ["validate", "{missing}"], ["inspect", "{missing}"], ["convert", "{missing}", "{out}"], ["digest", "{missing}"],
    ["extract", "{missing}", "t"], ["diff", "{missing}", "{missing}"], ["run", "{missing}"],
    ["to-onnx", "{missing}", "{out}.onnx"], ["to-tfjs", "{missing}", "{out}"], ["from-tfjs", "{missing}", "{out}"],
    ["to-keras", "{missing}", "{out}.keras"], ["upgrade", "{missing}", "{out}"], ["from-keras", "{missing}", "{out}"],
    ["conformance", "check-producer", "{missing}"],
]


# An adapter's command first checks that its extra is installed, and says so instead of reading the file.
_EXTRA_OF = {"to-onnx": ("onnx", "onnxruntime"), "to-keras": ("keras",), "upgrade": ("keras",), "from-keras": ("keras",)}


@pytest.mark.slow  # every command that reads a file, two interpreters each
@pytest.mark.parametrize("argv", [pytest.param(a, marks=needs_extra(*_EXTRA_OF.get(a[0], ())))
                                  for a in COMMANDS_READING_A_FILE], ids=[" ".join(a[:2]) for a in COMMANDS_READING_A_FILE])
def test_json_errors_are_one_object_with_stable_keys(argv: list[str], tmp_path: Path) -> None:
    from modeldoc.clicommon import ERROR_KEYS

    args = [a.format(missing=tmp_path / "missing.json", out=tmp_path / "out") for a in argv]
    r = run_cli(*args, "--json")
    assert "Traceback" not in r.stderr
    if argv[0] == "validate":  # validate's --json is its list of reports, the missing file among them
        assert r.returncode == 2 and json.loads(r.stdout)[0]["findings"][0]["code"] == "IO_UNREADABLE"
        return
    if argv[0] == "conformance":
        assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False
        return
    payload = json.loads(r.stdout)
    assert tuple(payload) == ERROR_KEYS, payload
    assert payload["ok"] is False and payload["exit_code"] == r.returncode == 2
    assert payload["errors"][0]["code"] == "IO_UNREADABLE" and payload["errors"][0]["pointer"] == ""
    r = run_cli(*args, "--no-such-option", "--json")
    payload = json.loads(r.stdout)
    assert r.returncode == 2 and payload["errors"][0]["code"] == "USAGE" and "--no-such-option" in r.stdout


def test_messages_read_well(tmp_path: Path) -> None:
    p = tmp_path / "cut.json"
    p.write_bytes(b'{"a": "unterminated')
    r = run_cli("validate", str(p))
    assert "starting at line 1" in r.stdout and "at at" not in r.stdout
    p.write_bytes(b'{"a": 12345678901234567890123456789012345678901234567890}')
    r = run_cli("validate", str(p))
    assert "integer 123456789012345678901234567890... is outside" in r.stdout


# --- validate --jobs: the same output and exit code as one file after the other -----------------



@pytest.fixture
def pool_always(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers cost nothing to start, so --jobs always starts them; returns the pool sizes started."""
    from modeldoc import cli

    started: list[int] = []
    real = cli._validate_in_workers

    def spy(files: list[str], limits: Any, jobs: int) -> Any:
        started.append(jobs)
        return real(files, limits, jobs)

    monkeypatch.setattr(cli, "_WORKER_START_S", 0.0)
    monkeypatch.setattr(cli, "_validate_in_workers", spy)
    return started


@pytest.mark.slow  # twelve cases, each with a pool of worker processes
@pytest.mark.parametrize("options", [[], ["--json"], ["-q"]], ids=["text", "json", "quiet"])
@pytest.mark.parametrize("which", ["valid", "invalid", "mixed", "unreadable"])
def test_validate_jobs_prints_what_one_by_one_prints(which: str, options: list[str], tmp_path: Path,
                                                     pool_always: list[int],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from modeldoc.cli import main

    def documents(folder: str) -> list[str]:  # every sixth, to keep it short (JSON and MessagePack)
        return sorted(str(p) for p in (FIXTURES / folder).iterdir() if not p.name.endswith(".report.json"))[::6]

    valid, invalid = documents("valid"), documents("invalid")
    chosen = {"valid": valid, "invalid": invalid, "mixed": [x for pair in zip(valid, invalid) for x in pair],
              "unreadable": [valid[0], str(tmp_path / "missing.json"), invalid[0], valid[1]]}[which]
    code = main(["validate", *options, *chosen])
    one_by_one = (code, *capsys.readouterr())
    assert code == {"valid": 0, "invalid": 1, "mixed": 1, "unreadable": 2}[which]
    assert pool_always == []
    code = main(["validate", "--jobs", "2", *options, *chosen])
    assert (code, *capsys.readouterr()) == one_by_one
    assert pool_always == [2]  # the workers did check them


@pytest.mark.parametrize(
    "sizes,jobs,want",
    [
        ([1_000] * 20, 2, 1),  # 20 small files: about 40 ms of work, less than starting a worker
        ([1_000] * 1_000, 2, 2),
        ([1_000] * 1_000, 8, 8),
        ([400_000_000] * 2, 8, 2),  # never more workers than files
        ([400_000_000], 2, 1),
        ([1_000] * 1_000, 1, 1),
        ([], 4, 1),
    ],
)
def test_validate_jobs_starts_workers_only_when_they_repay_their_start(sizes: list[int], jobs: int,
                                                                        want: int) -> None:
    from modeldoc.cli import worth_starting

    assert worth_starting(sizes, jobs) == want


def test_validate_jobs_with_standard_input_and_more_jobs_than_files(files: dict[str, Path]) -> None:
    argv = ["validate", str(files["bad"]), "-", str(files["msgpack"])]
    data = files["base64"].read_bytes()
    one = subprocess.run([sys.executable, "-m", "modeldoc", *argv], input=data, capture_output=True)
    par = subprocess.run([sys.executable, "-m", "modeldoc", *argv, "--jobs", "8"], input=data, capture_output=True)
    assert one.returncode == 1 and b"<stdin>: OK" in one.stdout
    assert (par.returncode, par.stdout, par.stderr) == (one.returncode, one.stdout, one.stderr)


@pytest.mark.parametrize("value", ["-1", "two", ""])
def test_validate_jobs_refuses_a_bad_count(value: str, files: dict[str, Path]) -> None:
    r = run_cli("validate", "--jobs", value, str(files["base64"]))
    assert r.returncode == 2 and "--jobs" in r.stderr and "Traceback" not in r.stderr


def test_validate_jobs_in_process_keeps_the_order(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from modeldoc.cli import main

    names = [str(files[k]) for k in ("msgpack", "bad", "list", "base64")]
    assert main(["validate", "--json", "--jobs", "auto", *names]) == 1
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == names


def test_validate_jobs_in_workers_keeps_the_order(files: dict[str, Path], pool_always: list[int],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from modeldoc.cli import main

    names = [str(files[k]) for k in ("msgpack", "bad", "list", "base64")]
    assert main(["validate", "--json", "--jobs", "3", *names]) == 1
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == names
    assert pool_always == [3]
