"""The packages as a user gets them: the wheel and sdist built from the sources, the npm tarball
packed from readers/js, each installed into an empty folder outside the repository (a fresh
venv with the core's pinned dependencies; an empty npm project), then used there: the
conformance suite through the installed `modeldoc` and the installed JS commands, the core
commands, the missing-extra message, `twine check`.

The tests marked `packaging` build and install (1.5 to 3.5 minutes on the shared 2-core machine,
most of it the JS reader, one process per case; `pytest -m packaging`); the
others check the declared dependency ranges against the exact pins CI installs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Mapping

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.testutil import CASES, FIXTURES, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # tomllib is new in 3.11; on 3.10 (which the package supports) its ancestor tomli, where installed
    tomllib = pytest.importorskip("tomli", reason="Python 3.10 has no tomllib, and tomli is not installed")

JS = ROOT / "readers" / "js"


# What a user's shell has: nothing that points back into this checkout.
USER_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "MODELDOC_FIXTURES")}


def run(argv: list[str], *, cwd: Path, ok: bool = True, timeout: float = 900,
        env: Mapping[str, str] = USER_ENV) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would (USER_ENV); the build tools of this environment get ``os.environ``."""
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env=env)
    if ok:
        assert r.returncode == 0, f"{' '.join(argv)} exited {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


# --- the declared ranges hold the versions CI tests ------------------------------------------


def pins(name: str) -> dict[str, str]:
    """Exact pins of requirements/NAME, following -r includes."""
    out: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            out.update(pins(line[3:].strip()))
        elif line:
            req = Requirement(line.split(" --", 1)[0])
            (spec,) = req.specifier
            assert spec.operator == "==", f"{name}: {line} is not an exact pin"
            out[canonicalize_name(req.name)] = spec.version
    return out


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
EXTRA_PINS = {"": "runtime.txt", "test": "test.txt", "keras": "keras.txt", "onnx": "onnx.txt"}


def test_every_extra_has_its_requirements_file() -> None:
    assert set(PYPROJECT["optional-dependencies"]) | {""} == set(EXTRA_PINS)


@pytest.mark.parametrize("extra", sorted(EXTRA_PINS))
def test_declared_ranges_hold_the_pinned_versions(extra: str) -> None:
    """Every requirement of the core or an extra that applies on this machine is pinned, in the
    file `make test` installs, at a version inside the declared range: CI tests what pip picks."""
    declared = PYPROJECT["dependencies"] if not extra else PYPROJECT["optional-dependencies"][extra]
    pinned = pins(EXTRA_PINS[extra])
    checked = 0
    for text in declared:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        assert name in pinned, f"{text}: not pinned in requirements/{EXTRA_PINS[extra]}"
        assert req.specifier.contains(pinned[name], prereleases=True), f"{text}: pinned {pinned[name]}"
        checked += 1
    assert checked >= 2


def test_keras_extra_takes_the_cpu_build_where_pypi_has_one() -> None:
    keras = [Requirement(t) for t in PYPROJECT["optional-dependencies"]["keras"]]
    linux = {"sys_platform": "linux", "platform_machine": "x86_64", "extra": "keras"}
    mac = {"sys_platform": "darwin", "platform_machine": "arm64", "extra": "keras"}
    windows = {"sys_platform": "win32", "platform_machine": "AMD64", "extra": "keras"}

    def chosen(env: dict[str, str]) -> set[str]:
        return {canonicalize_name(r.name) for r in keras if r.marker is None or r.marker.evaluate(env)}

    assert chosen(linux) == chosen(windows) == {"keras", "tensorflow-cpu"}
    arm = {"sys_platform": "linux", "platform_machine": "aarch64", "extra": "keras"}
    # No tensorflow-cpu wheels for macOS or Linux on ARM: the one build there is CPU-only.
    assert chosen(mac) == chosen(arm) == {"keras", "tensorflow"}
    assert "tensorflow" not in pins("keras.txt") and "tensorflow-cpu" in pins("keras.txt")


def test_classifiers_are_known_to_pypi() -> None:
    # PyPI refuses an upload with an unknown one. trove-classifiers is pinned in packaging.txt, which
    # make test installs and .venv-core (make check) does not.
    classifiers = pytest.importorskip("trove_classifiers", reason="not installed (requirements/packaging.txt; make test has it)").classifiers

    assert set(PYPROJECT["classifiers"]) <= classifiers
    assert not any(c.startswith("License ::") for c in PYPROJECT["classifiers"])  # PEP 639: the SPDX field alone


def test_readme_links_are_absolute() -> None:
    """PyPI shows README.md without the repository around it: a relative link would be dead there."""
    links = re.findall(r"\]\(([^)\s]+)\)", (ROOT / "README.md").read_text("utf-8"))
    assert links and [u for u in links if not u.startswith(("https://", "#"))] == []


def test_conformance_fixtures_command(tmp_path: Path) -> None:
    """Outside a checkout the harness uses the package's copy; a folder without a manifest is a usage error."""
    def fixtures(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "modeldoc", "conformance", "fixtures", *args], cwd=tmp_path,
                              capture_output=True, text=True, env=USER_ENV | {"PYTHONPATH": str(ROOT / "python")})

    r = fixtures()
    shipped = Path(r.stdout.strip())
    assert r.returncode == 0 and shipped.name == "conformance_fixtures" and shipped.parent.name == "modeldoc"
    assert (shipped / "manifest.json").read_bytes() == (FIXTURES / "manifest.json").read_bytes()
    r = fixtures("--fixtures", str(tmp_path))
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and "--fixtures DIR" in r.stderr


# --- built, installed outside the repository, used ----------------------------------------------


def source_files() -> list[str]:
    """The files a clean checkout has (tracked, plus new ones not ignored)."""
    r = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    return [f for f in r.stdout.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from it (python -m build), from a copy of the sources."""
    base = tmp_path_factory.mktemp("build")
    src = base / "src"
    for rel in source_files():
        if rel.startswith(("python/", "requirements/")) or "/" not in rel:
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    out = base / "dist"
    # --no-isolation: the pinned setuptools of this environment, no download.
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)], cwd=base, env=os.environ)
    return out


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dist: Path) -> Path:
    """A fresh venv with the wheel and the core's pinned dependencies (runtime.txt as constraints)."""
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(home)], cwd=home)
    run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "requirements" / "runtime.txt"), str(only(dist, "*.whl"))], cwd=home)
    return home / "bin"


@pytest.fixture(scope="module")
def npm_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty npm project with the tarball of `npm pack readers/js` installed."""
    npm = shutil.which("npm")
    assert npm, "npm is needed to pack and install the JavaScript reader"
    base = tmp_path_factory.mktemp("npm")
    packed = run([npm, "pack", "--silent", "--pack-destination", str(base)], cwd=JS)
    tarball = base / last_line(packed.stdout)
    project = base / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "consumer", "version": "1.0.0", "private": True,
                                                      "type": "module"}))
    run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", str(tarball)], cwd=project)
    return project


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder outside the repository, with none of its files."""
    here = tmp_path_factory.mktemp("user")
    assert ROOT not in here.parents
    return here


@pytest.mark.packaging
@pytest.mark.slow
def test_wheel_and_sdist_hold_what_a_user_needs(dist: Path) -> None:
    with zipfile.ZipFile(only(dist, "modeldoc-*.whl")) as whl:
        names = set(whl.namelist())
        metadata = whl.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode("utf-8")
    fixtures = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    assert {f"modeldoc/conformance_fixtures/{f}" for f in fixtures} <= names
    assert {"modeldoc/schema/1.0/modeldoc.schema.json", "modeldoc/py.typed", "modeldoc/cli.py"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "scripts/", "readers/")) for n in names)
    assert "License-Expression: Apache-2.0" in metadata
    assert re.search(r"^Requires-Dist: tensorflow-cpu>=2\.18; .*extra == \"keras\"", metadata, re.M)
    assert "Project-URL: Source, https://github.com/modeldoc/modeldoc" in metadata
    with tarfile.open(only(dist, "modeldoc-*.tar.gz")) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    assert {"LICENSE", "README.md", "pyproject.toml", "python/modeldoc/conformance_fixtures/manifest.json"} <= members


@pytest.mark.packaging
@pytest.mark.slow
def test_twine_check_passes(dist: Path) -> None:
    r = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))], cwd=dist,
            env=os.environ)
    assert r.stdout.count("PASSED") == 2


@pytest.mark.packaging
@pytest.mark.slow
def test_installed_modeldoc_passes_the_conformance_suite(venv: Path, outside: Path) -> None:
    where = run([str(venv / "modeldoc"), "conformance", "fixtures"], cwd=outside).stdout.strip()
    assert Path(where).is_relative_to(venv.parent), where  # the wheel's copy, not the repository's
    r = run([str(venv / "modeldoc"), "conformance", "run"], cwd=outside)
    assert last_line(r.stdout) == f"{len(CASES)} passed, 0 failed"


@pytest.mark.packaging
@pytest.mark.slow
def test_installed_core_commands(venv: Path, outside: Path) -> None:
    modeldoc = str(venv / "modeldoc")
    shutil.copy(FIXTURES / "valid" / "example-list.json", outside / "m.json")
    assert run([modeldoc, "validate", "m.json"], cwd=outside).stdout == "m.json: OK\n"
    run([modeldoc, "convert", "m.json", "m.msgpack", "--encoding", "msgpack"], cwd=outside)
    digest = run([modeldoc, "digest", "m.msgpack"], cwd=outside).stdout
    assert digest == (FIXTURES / "valid" / "example-list.report.json").read_text("utf-8")
    (outside / "bad.json").write_bytes(b'{"format": "modeldoc", "format": "x"}')
    bad = run([modeldoc, "validate", "bad.json"], cwd=outside, ok=False)
    assert bad.returncode == 1 and "SYNTAX_DUPLICATE_KEY at /format" in bad.stdout and "Traceback" not in bad.stderr
    keras = run([modeldoc, "from-keras", "model.keras", "out.json"], cwd=outside, ok=False)
    assert keras.returncode == 2 and "pip install 'modeldoc[keras]'" in keras.stderr, keras.stderr
    onnx = run([modeldoc, "to-onnx", "m.json", "out.onnx"], cwd=outside, ok=False)
    assert onnx.returncode == 2 and "pip install 'modeldoc[onnx]'" in onnx.stderr, onnx.stderr
    version = run([str(venv / "python"), "-c", "import modeldoc; print(modeldoc.__version__)"], cwd=outside)
    assert version.stdout.strip() == PYPROJECT["version"]
    # Lazy access as a user meets it: `inspect --json` and `modeldoc.open` read one tensor from the file.
    shown = json.loads(run([modeldoc, "inspect", "m.msgpack", "--json"], cwd=outside).stdout)
    kernel = next(t for t in shown["tensors"] if t["name"] == "conv/kernel")
    start, end = kernel["byte_range"]
    lazy = ("import sys, modeldoc\nwith modeldoc.open('m.msgpack') as f:\n"
            "    sys.stdout.buffer.write(f.get_tensor('conv/kernel').astype('<f4').tobytes())")
    got = subprocess.run([str(venv / "python"), "-c", lazy], cwd=outside, env=USER_ENV, capture_output=True, check=True)
    assert got.stdout == (outside / "m.msgpack").read_bytes()[start:end]  # MessagePack stores little-endian bytes


@pytest.mark.packaging
@pytest.mark.slow
def test_npm_tarball_holds_the_package_and_no_tests(npm_project: Path) -> None:
    installed = npm_project / "node_modules" / "modeldoc-reader"
    files = {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()}
    assert {"LICENSE", "README.md", "package.json", "schema/1.0/modeldoc.schema.json", "src/index.mjs",
            "src/evaluate.mjs", "types/index.d.ts", "types/evaluate.d.ts", "bin/modeldoc-js.mjs"} <= files
    assert not any(f.startswith("test/") for f in files)
    meta: dict[str, Any] = json.loads((installed / "package.json").read_text("utf-8"))
    assert "private" not in meta and meta["license"] == "Apache-2.0"
    assert (installed / "schema/1.0/modeldoc.schema.json").read_bytes() == \
        (ROOT / "schema/1.0/modeldoc.schema.json").read_bytes()
    for name in meta["bin"]:
        assert os.access(npm_project / "node_modules" / ".bin" / name, os.X_OK), name


@pytest.mark.packaging
@pytest.mark.slow
def test_installed_js_reader_passes_the_conformance_suite(venv: Path, npm_project: Path, outside: Path) -> None:
    fixtures = run([str(venv / "modeldoc"), "conformance", "fixtures"], cwd=outside).stdout.strip()
    bin_dir = npm_project / "node_modules" / ".bin"
    r = run([str(bin_dir / "modeldoc-js-conformance"), "--fixtures", fixtures], cwd=outside)
    assert last_line(r.stdout) == f"{len(CASES)} passed, 0 failed"
    # The Python harness drives the installed JS reader too (a slice: one process per case).
    r = run([str(venv / "modeldoc"), "conformance", "run", "--reader", f"{bin_dir / 'modeldoc-js'} {{file}}",
             "--filter", "valid/example-*", "--filter", "invalid/syntax-*"], cwd=outside)
    assert re.fullmatch(r"[1-9]\d* passed, 0 failed", last_line(r.stdout)), r.stdout
    missing = run([str(bin_dir / "modeldoc-js-conformance")], cwd=outside, ok=False)
    assert missing.returncode == 2 and "modeldoc conformance fixtures" in missing.stderr


@pytest.mark.packaging
@pytest.mark.slow
def test_installed_js_api_by_package_name(venv: Path, npm_project: Path, outside: Path) -> None:
    fixtures = Path(run([str(venv / "modeldoc"), "conformance", "fixtures"], cwd=outside).stdout.strip())
    zoo = sorted((fixtures / "valid").glob("keras-zoo-*-base64.json"))[0]
    script = """
import { readFileSync } from 'node:fs';
import { open, read, validate } from 'modeldoc-reader';
import { checkTestVectors } from 'modeldoc-reader/evaluate';
const bytes = readFileSync(process.argv[2]);
const doc = read(bytes);
const lazy = open(process.argv[2]);
const same = doc.tensors.every((t) => Buffer.compare(Buffer.from(lazy.getTensor(t.name).bytes), Buffer.from(t.bytes)) === 0);
lazy.verifyDocument(); // throws for an invalid document
lazy.close();
console.log(JSON.stringify({ valid: validate(bytes).valid, tensors: doc.tensors.length, pass: checkTestVectors(doc).pass, same }));
"""
    (npm_project / "use.mjs").write_text(script)
    r = run(["node", "use.mjs", str(zoo)], cwd=npm_project)
    tensors = len(json.loads(zoo.read_text("utf-8"))["tensors"])
    assert json.loads(r.stdout) == {"valid": True, "tensors": tensors, "pass": True, "same": True}
    run([str(npm_project / "node_modules" / ".bin" / "modeldoc-js-run"), str(zoo)], cwd=outside)


@pytest.mark.packaging
@pytest.mark.slow
def test_installed_js_types_compile(npm_project: Path) -> None:
    tsc = JS / "node_modules" / "typescript" / "bin" / "tsc"
    assert tsc.is_file(), "readers/js needs its devDependencies (npm ci)"
    shutil.copy(JS / "test" / "types-consumer.ts", npm_project / "consumer.ts")
    config = json.loads((JS / "tsconfig.json").read_text("utf-8"))
    config["files"] = ["consumer.ts"]
    (npm_project / "tsconfig.json").write_text(json.dumps(config))
    run(["node", str(tsc), "-p", "tsconfig.json"], cwd=npm_project)
