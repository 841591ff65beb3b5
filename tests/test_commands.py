"""The command table: cli.py lists it, imports a command's module only when it runs, and no module of
the library imports the command line back."""

from __future__ import annotations

import argparse
import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from modeldoc.cli import build_parser
from modeldoc.commands import COMMANDS

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "modeldoc"
ADAPTERS = ("modeldoc.conformance", "modeldoc.evaluator", "modeldoc.keras", "modeldoc.onnx", "modeldoc.tfjs")


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action


def test_every_command_is_in_the_table_with_the_help_its_module_registers() -> None:
    sub = _subcommands(build_parser())
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert list(registered) == [c.name for c in COMMANDS]
    assert registered == {c.name: c.help for c in COMMANDS}
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)


def test_a_command_not_chosen_is_listed_without_its_arguments() -> None:
    sub = _subcommands(build_parser(["validate"]))
    assert {a.dest for a in sub.choices["validate"]._actions} >= {"files", "json"}
    assert {a.dest for a in sub.choices["to-onnx"]._actions} == {"help"}
    assert [a.help for a in sub._choices_actions] == [c.help for c in COMMANDS]


@pytest.mark.parametrize("argv, imported", [
    (["--help"], ()),
    (["validate", "--help"], ()),
    (["conformance", "--help"], ("modeldoc.conformance",)),
    (["to-tfjs", "--help"], ("modeldoc.tfjs",)),
    (["run", "--help"], ("modeldoc.evaluator",)),
])
def test_only_the_chosen_command_s_module_is_imported(argv: list[str], imported: tuple[str, ...]) -> None:
    code = ("import sys, contextlib, io, modeldoc.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: modeldoc.cli.main({argv!r})\n"
            "    except SystemExit: pass\n"
            f"print(sorted(m for m in {ADAPTERS!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == str(sorted(imported))


def _imports(path: Path) -> set[str]:
    """Every modeldoc module ``path`` imports, at the top or inside a function, as absolute names."""
    parts = ["modeldoc", *path.relative_to(PACKAGE).with_suffix("").parts]
    package = parts[:-1]  # the package a relative import starts from (for __init__ too)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "modeldoc" or m.startswith("modeldoc.")}


def test_no_module_of_the_library_imports_the_command_line() -> None:
    callers = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                     if p.name not in ("cli.py", "__main__.py") and "modeldoc.cli" in _imports(p))
    assert callers == []


@pytest.mark.slow  # imports every module of the package afresh, one by one
def test_each_core_module_imports_alone() -> None:
    """A fresh interpreter per module would take a minute: one process forgets modeldoc between imports."""
    names = sorted(".".join(("modeldoc", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
                   for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
    needs = {"modeldoc.keras": "keras", "modeldoc.onnx": "onnx"}
    names = [n for n in names if all(not n.startswith(f"{pkg}.") or importlib.util.find_spec(mod)
                                     for pkg, mod in needs.items() if n != pkg)]
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    for m in [m for m in sys.modules if m == 'modeldoc' or m.startswith('modeldoc.')]:\n"
            "        del sys.modules[m]\n"
            "    importlib.import_module(name)\n"
            "print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
