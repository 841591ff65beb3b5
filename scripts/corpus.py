"""Measure ModelDoc against a corpus of third-party model files, and write the compatibility table.

    .venv/bin/python scripts/corpus.py --corpus DIR [--only ID ...] [--jobs 2] [--results FILE]

DIR holds ``files/<id>/<file name>`` for every entry of ``tests/corpus/sources.json`` (or a
``manifest.json`` with the same entries). For each entry this script

1. checks every file's SHA-256 (a mismatch skips the entry);
2. computes reference predictions with the file's ORIGINAL runtime on fixed seeded inputs:
   tf_keras (the Keras 2 runtime) for Keras 1/2 files, Keras 3 for Keras 3 files,
   @tensorflow/tfjs in Node for tfjs Layers models. This is the only place where a third-party
   file is handed to its own runtime, always in a subprocess;
3. runs the modeldoc commands as a user would (``from-keras``/``from-tfjs``, ``validate``,
   ``run``), each in a subprocess with a timeout, rebuilds the document with
   ``modeldoc.keras.to_keras`` in another subprocess, and compares both with the reference;
4. writes the results as JSON (default ``DIR/results.json``), ``docs/compatibility.md``,
   ``tests/corpus/SOURCES.md`` and ``tests/corpus/sources.json``.

The corpus files are other people's files: they are never copied into the repository.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MODELDOC = str(Path(sys.executable).with_name("modeldoc"))
REFERENCE_MJS = REPO / "interop" / "tfjs" / "reference.mjs"
SOURCES_JSON = REPO / "tests" / "corpus" / "sources.json"
SOURCES_MD = REPO / "tests" / "corpus" / "SOURCES.md"
TABLE_MD = REPO / "docs" / "compatibility.md"

# Bump when the reference computation changes, so cached references are recomputed.
REFERENCE_VERSION = 1
TIMEOUT = 600
BATCH = 2
OPEN_DIM = 8
KERAS_KINDS = ("keras-h5", "keras-weights-h5", "keras-v3", "architecture-json")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Weights-only files whose architecture the corpus holds elsewhere than in a `pair` entry (the
# manifest's notes say where): the architecture is taken from that entry's file.
ARCHITECTURE_FROM = {
    "shapes-weights": "shapes-h5",  # the full model saved next to the weights
    "digits-cnn-weights": "digits-cnn-tfjs",  # the converter kept the Keras config as modelTopology
}

Json = dict[str, Any]


# --- the corpus and its files -------------------------------------------------------------------

def local_path(corpus: Path, entry: Json, file: Json) -> Path:
    """Where a file of an entry lives in a corpus folder: ``files/<id>/<file name>``."""
    return corpus / "files" / str(entry["id"]) / Path(file["path"]).name


def load_entries(corpus: Path | None) -> list[Json]:
    """The corpus' manifest if it has one, else the committed list of sources."""
    if corpus is not None and (corpus / "manifest.json").is_file():
        entries: list[Json] = json.loads((corpus / "manifest.json").read_text())
        return entries
    listed: list[Json] = json.loads(SOURCES_JSON.read_text())
    return listed


def sources_of(entries: list[Json]) -> list[Json]:
    """The manifest without local paths: what someone else needs to assemble and check a corpus."""
    out = []
    for e in entries:
        e = dict(e)
        e["files"] = [{k: v for k, v in f.items() if k != "local"} for f in e["files"]]
        out.append(e)
    return out


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(corpus: Path, entry: Json) -> str | None:
    """None when every file is present with its recorded SHA-256, else what is wrong."""
    for f in entry["files"]:
        p = local_path(corpus, entry, f)
        if not p.is_file():
            return f"missing file {f['path']}"
        got = sha256_of(p)
        if got != f["sha256"]:
            return f"sha256 mismatch for {f['path']}: {got[:12]}... instead of {f['sha256'][:12]}..."
    return None


def main_file(corpus: Path, entry: Json) -> Path:
    """The file a user hands to modeldoc: model.json for tfjs, else the entry's first file."""
    for f in entry["files"]:
        if entry["kind"] == "tfjs-layers" or entry["kind"] == "other":
            if Path(f["path"]).name == "model.json":
                return local_path(corpus, entry, f)
    return local_path(corpus, entry, entry["files"][0])


# --- reading configs without any runtime (for the table and for Embedding inputs) --------------

def h5_attrs(path: Path) -> dict[str, str]:
    """The root attributes of an HDF5 file as text (h5py reads them; nothing is deserialized)."""
    import h5py  # type: ignore[import-untyped]

    out: dict[str, str] = {}
    with h5py.File(path, "r") as f:
        for k in ("keras_version", "backend", "model_config"):
            if k in f.attrs:
                v = f.attrs[k]
                out[k] = v.decode() if isinstance(v, bytes) else str(v)
    return out


def model_config(corpus: Path, entry: Json, by_id: dict[str, Json]) -> tuple[Json | None, str | None]:
    """(the Keras model config, the Keras or tfjs version), as far as the files tell."""
    path = main_file(corpus, entry)
    kind = entry["kind"]
    try:
        if kind in ("keras-h5", "keras-weights-h5"):
            with open(path, "rb") as fh:
                if fh.read(8) != HDF5_SIGNATURE:
                    return None, None
            attrs = h5_attrs(path)
            version = attrs.get("keras_version")
            if "model_config" in attrs:
                return json.loads(attrs["model_config"]), version
            arch = architecture_entry(entry, by_id)
            if arch is not None:
                config, _ = model_config(corpus, arch, by_id)
                return config, version
            return None, version
        if kind == "keras-v3":
            with zipfile.ZipFile(path) as z:
                meta = json.loads(z.read("metadata.json")) if "metadata.json" in z.namelist() else {}
                return json.loads(z.read("config.json")), meta.get("keras_version")
        if kind == "architecture-json":
            data = json.loads(path.read_text())
            return data, data.get("keras_version")
        if kind == "tfjs-layers":
            data = json.loads(path.read_text())
            topo = data.get("modelTopology") or {}
            config = topo.get("model_config", topo)
            version = None
            generated = data.get("generatedBy")
            meta = path.with_name("metadata.json")
            if isinstance(generated, str) and generated:
                version = generated
            elif meta.is_file():
                tv = json.loads(meta.read_text()).get("tfjsVersion")
                version = f"tfjs {tv}" if tv else None
            elif topo.get("keras_version"):
                kv = str(topo["keras_version"])
                version = kv if kv.startswith("tfjs") else f"keras {kv}"
            return config, version
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None, None
    return None, None


def architecture_entry(entry: Json, by_id: dict[str, Json]) -> Json | None:
    name = entry.get("pair") or ARCHITECTURE_FROM.get(entry["id"])
    return by_id.get(name) if name else None


def layer_types(config: Any) -> list[str]:
    """Layer class names of a model config in order of first appearance, nested models included."""
    seen: list[str] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            cls = obj.get("class_name")
            if isinstance(cls, str) and isinstance(obj.get("config"), dict):
                if cls not in seen and cls != "InputLayer":
                    seen.append(cls)
            for v in obj.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)

    cfg = config.get("config") if isinstance(config, dict) else None
    layers = cfg.get("layers") if isinstance(cfg, dict) else cfg if isinstance(cfg, list) else None
    if layers is None:
        return []
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        seen.append(config["class_name"])
    for layer in layers:
        if isinstance(layer, dict):
            walk(layer)
    # Initializers, regularizers and dtype policies also have class_name + config: keep layers only.
    noise = {"GlorotUniform", "GlorotNormal", "Zeros", "Ones", "VarianceScaling", "RandomNormal",
             "RandomUniform", "TruncatedNormal", "Orthogonal", "Constant", "HeNormal", "HeUniform",
             "L1", "L2", "L1L2", "DTypePolicy", "Policy", "MaxNorm", "NonNeg", "UnitNorm",
             "LecunNormal", "LecunUniform", "Identity", "__tensor__", "__numpy__"}
    return [c for c in seen if c not in noise]


def uses_code(types: list[str]) -> bool:
    """A Lambda layer holds marshaled Python bytecode: the reference never loads such a file
    (that would run code from another person's file); modeldoc is expected to refuse it."""
    return "Lambda" in types


def tfjs_embedding_vocab(config: Any) -> dict[int, int]:
    """{input position: Embedding input_dim} for inputs that feed an Embedding directly."""
    out: dict[int, int] = {}
    if not isinstance(config, dict):
        return out
    cfg = config.get("config")
    layers = cfg.get("layers") if isinstance(cfg, dict) else cfg if isinstance(cfg, list) else None
    if not isinstance(layers, list):
        return out
    if config.get("class_name") == "Sequential":
        body = [la for la in layers if la.get("class_name") != "InputLayer"]
        if body and body[0].get("class_name") == "Embedding":
            out[0] = int(body[0]["config"]["input_dim"])
        return out
    inputs = [i[0] for i in (cfg.get("input_layers") or [])] if isinstance(cfg, dict) else []
    for la in layers:
        if la.get("class_name") != "Embedding":
            continue
        for node in la.get("inbound_nodes") or []:
            for ref in node:
                if isinstance(ref, list) and ref and ref[0] in inputs:
                    out[inputs.index(ref[0])] = int(la["config"]["input_dim"])
    return out


# --- the fixed inputs -----------------------------------------------------------------------------

def seed_of(entry_id: str) -> int:
    return zlib.crc32(entry_id.encode())


def make_inputs(specs: list[Json], seed: int) -> list[np.ndarray]:
    """Batch 2, open dimensions 8; floats standard normal * 0.5, Embedding ids in [0, min(vocab, 10)).

    An Embedding input keeps the dtype the model declares (Keras 2 models often declare float32),
    so the same array can be fed to the runtime, to Keras and to ``modeldoc run``.
    """
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        shape = [d if d is not None else (BATCH if k == 0 else OPEN_DIM) for k, d in enumerate(spec["shape"])]
        dtype = np.dtype(spec["dtype"])
        vocab = spec.get("vocab")
        if vocab is not None or dtype.kind in "iub":
            high = min(int(vocab), 10) if vocab is not None else 2
            out.append(rng.integers(0, high, size=shape).astype(dtype))
        else:
            out.append((rng.standard_normal(shape) * 0.5).astype(dtype))
    return out


# --- subprocess workers ---------------------------------------------------------------------------

def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


def _keras_specs(model: Any, runtime: str) -> list[Json]:
    """Input specs of a live model; an input that an Embedding reads directly gets its vocab."""
    vocab: dict[int, int] = {}
    inputs = list(model.inputs)

    def layers_of(m: Any) -> list[Any]:
        out = []
        for la in getattr(m, "layers", []):
            out.append(la)
            out.extend(layers_of(la))
        return out

    for la in layers_of(model):
        if type(la).__name__ != "Embedding":
            continue
        try:
            x = la.input
        except Exception:  # a layer called several times has no single input: not a plain Embedding input
            continue
        for k, t in enumerate(inputs):
            if x is t or getattr(x, "name", None) == getattr(t, "name", 0):
                vocab[k] = int(la.input_dim)
    specs = []
    for k, t in enumerate(inputs):
        shape = t.shape.as_list() if hasattr(t.shape, "as_list") else list(t.shape)
        dtype = t.dtype.name if hasattr(t.dtype, "name") else str(t.dtype)
        spec: Json = {"name": str(getattr(t, "name", f"input_{k}")), "shape": shape, "dtype": dtype}
        if k in vocab:
            spec["vocab"] = vocab[k]
        specs.append(spec)
    return specs


def _as_list(ys: Any) -> list[np.ndarray]:
    if isinstance(ys, dict):
        ys = list(ys.values())
    if not isinstance(ys, (list, tuple)):
        ys = [ys]
    return [np.asarray(y) for y in ys]


def worker_reference(job: Json) -> Json:
    """In a fresh process: the original Keras runtime loads the file and predicts."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    out = Path(job["out"])
    if job["runtime"] == "tf_keras":
        import tf_keras as k  # type: ignore[import-untyped]

        version = f"tf_keras {k.__version__}"
    else:
        import keras as k  # type: ignore[import-untyped]

        version = f"keras {k.__version__}"
    result: Json = {"runtime": version}
    try:
        if job["mode"] == "full":
            if job["runtime"] == "tf_keras":
                model = k.models.load_model(job["file"], compile=False)
            else:
                model = k.saving.load_model(job["file"], compile=False, safe_mode=True)
        else:
            # Architecture only: weights drawn by the runtime itself (seeded), saved in its legacy
            # HDF5 layout, so that modeldoc converts the same model the runtime runs.
            k.utils.set_random_seed(job["seed"])
            model = k.models.model_from_json(Path(job["arch"]).read_text())
            if job["mode"] == "pair":
                model.load_weights(job["file"])
            else:
                model.save_weights(str(out / "weights.h5"))
    except Exception as e:
        result.update(status="refuses", message=_one_line(e))
        return result
    result.update(status="loads", inputs=_keras_specs(model, job["runtime"]))
    xs = make_inputs(result["inputs"], job["seed"])
    try:
        ys = _as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
    except Exception as e:
        result.update(status="predict fails", message=_one_line(e))
        return result
    for i, x in enumerate(xs):
        np.save(out / f"x{i}.npy", x)
    for i, y in enumerate(ys):
        np.save(out / f"y{i}.npy", y)
    result["outputs"] = len(ys)
    return result


def worker_to_keras(job: Json) -> Json:
    """In a fresh process: modeldoc.keras.to_keras rebuilds the document, Keras 3 predicts."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import modeldoc
    import modeldoc.keras

    try:
        doc = modeldoc.load(job["doc"])
        model = modeldoc.keras.to_keras(doc)
    except Exception as e:
        code = getattr(e, "code", None)
        return {"status": "failed", "message": (f"{code}: {e}" if code else _one_line(e)).splitlines()[0][:300]}
    xs = [np.load(p) for p in job["inputs"]]
    try:
        ys = _as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
    except Exception as e:
        return {"status": "failed", "message": "predict: " + _one_line(e)}
    out = Path(job["out"])
    for i, y in enumerate(ys):
        np.save(out / f"k{i}.npy", y)
    return {"status": "ok", "outputs": len(ys)}


WORKERS = {"reference": worker_reference, "to-keras": worker_to_keras}


# --- running commands -----------------------------------------------------------------------------

def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # oneDNN picks kernels by CPU at run time; off, the reference and the rebuilt model compute alike.
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    env.pop("MODELDOC_CORPUS", None)
    return env


class Scrub:
    """Replaces local folders in messages, so that the committed table names no machine's paths."""

    def __init__(self, corpus: Path, work: Path) -> None:
        self.pairs = [(str(work), "<work>"), (str(corpus), "<corpus>"), (str(REPO), "<repo>")]

    def __call__(self, text: str) -> str:
        for a, b in self.pairs:
            text = text.replace(a, b)
        return text


MESSAGE = re.compile(r"\b[A-Z][A-Z0-9_]{3,}\b at |modeldoc: error|^[^:]+: [A-Z][A-Z0-9_]{3,}\b")


def command(name: str, argv: list[str], scrub: Scrub, keep_stdout: bool = False) -> Json:
    """Run one command; the record a row of the table needs."""
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=child_env())
        code, stderr, stdout = p.returncode, p.stderr, p.stdout
    except subprocess.TimeoutExpired as e:
        code = None
        stderr = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        stdout = ""
    # validate prints its findings on stdout; the other commands on stderr.
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    out_lines = [ln for ln in stdout.splitlines() if ln.strip()] if code else []
    # The first modeldoc message (FILE: CODE at /pointer: text), else the first line: warnings
    # printed by a framework can come before it.
    message = next((ln for ln in lines + out_lines if MESSAGE.search(ln)), (lines + out_lines + [""])[0])
    rec: Json = {
        "command": name,
        "exit": code,
        "timed_out": code is None,
        "stderr_first": scrub(lines[0][:300]) if lines else "",
        "message": scrub(message[:300]),
        "traceback": "Traceback" in stderr,
        "bug": code == 3,
        "seconds": round(time.monotonic() - start, 1),
        "stdout_first": scrub(stdout.strip().splitlines()[0][:300]) if stdout.strip() else "",
    }
    if keep_stdout:
        rec["stdout"] = stdout
    return rec


def run_worker(name: str, job: Json, scrub: Scrub) -> Json:
    """A worker of this script in a fresh Python: its result, or what went wrong."""
    jobfile = Path(job["out"]) / f"{name}.job.json"
    resfile = Path(job["out"]) / f"{name}.result.json"
    jobfile.write_text(json.dumps(job))
    resfile.unlink(missing_ok=True)
    rec = command(name, [PYTHON, str(Path(__file__).resolve()), "--worker", name, str(jobfile)], scrub)
    if resfile.is_file():
        result: Json = json.loads(resfile.read_text())
        return result
    # A crash of the runtime itself (a segfault, an abort) is the runtime's verdict on the file too.
    tail = rec["message"] or f"exit {rec['exit']}"
    return {"status": "refuses" if name == "reference" else "failed", "message": f"crashed: {tail}"}


# --- the reference --------------------------------------------------------------------------------

def keras_runtime(entry: Json, version: str | None) -> str:
    if entry["kind"] == "keras-v3":
        return "keras"
    if version and version.startswith("3."):
        return "keras"
    return "tf_keras"


def reference_key(entry: Json, extra: list[str]) -> str:
    parts = [str(REFERENCE_VERSION), entry["id"]] + [f["sha256"] for f in entry["files"]] + extra
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def reference(corpus: Path, work: Path, entry: Json, by_id: dict[str, Json], types: list[str],
              version: str | None, scrub: Scrub) -> Json:
    """The original runtime's verdict and predictions, cached in WORK/<id>/ref by content."""
    ref = work / entry["id"] / "ref"
    arch = architecture_entry(entry, by_id)
    key = reference_key(entry, [f["sha256"] for f in arch["files"]] if arch else [])
    cached = ref / "reference.json"
    if cached.is_file():
        old: Json = json.loads(cached.read_text())
        if old.get("key") == key:
            return old
    shutil.rmtree(ref, ignore_errors=True)
    ref.mkdir(parents=True)
    seed = seed_of(entry["id"])
    kind = entry["kind"]
    result: Json
    if kind == "tfjs-layers":
        config, _ = model_config(corpus, entry, by_id)
        result = tfjs_reference(main_file(corpus, entry), ref, seed, scrub, config)
    elif uses_code(types):
        result = {"status": "not run", "message": "Lambda layer: code in the file, not executed"}
    else:
        job: Json = {"out": str(ref), "seed": seed, "runtime": keras_runtime(entry, version)}
        if kind == "architecture-json":
            job.update(mode="arch-only", arch=str(main_file(corpus, entry)))
        elif kind == "keras-weights-h5":
            arch_file = architecture_file(corpus, work, entry, by_id)
            if arch_file is None:
                result = {"status": "not run", "message": "weights only; no architecture in the corpus"}
                job = {}
            else:
                job.update(mode="pair", file=str(main_file(corpus, entry)), arch=str(arch_file))
        else:
            job.update(mode="full", file=str(main_file(corpus, entry)))
        if job:
            result = run_worker("reference", job, scrub)
            result["message"] = scrub(result.get("message", ""))
    result["key"] = key
    cached.write_text(json.dumps(result, indent=1))
    return result


def architecture_file(corpus: Path, work: Path, entry: Json, by_id: dict[str, Json]) -> Path | None:
    """model.to_json() text for a weights-only file: its pair's file, or one written from the config
    another entry holds (ARCHITECTURE_FROM)."""
    arch = architecture_entry(entry, by_id)
    if arch is None:
        return None
    if arch["kind"] == "architecture-json":
        return main_file(corpus, arch)
    config, version = model_config(corpus, arch, by_id)
    if config is None:
        return None
    text = dict(config)
    text.setdefault("keras_version", version or "2")
    text.setdefault("backend", "tensorflow")
    path = work / str(entry["id"]) / "arch.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(text))
    return path


def tfjs_reference(model_json: Path, ref: Path, seed: int, scrub: Scrub, config: Any) -> Json:
    if not REFERENCE_MJS.is_file():
        return {"status": "not run", "message": "interop/tfjs/reference.mjs is missing"}
    node = shutil.which("node") or "node"
    rec = command("reference", [node, str(REFERENCE_MJS), str(model_json)], scrub, keep_stdout=True)
    if rec["exit"] != 0:
        return {"status": "refuses", "message": rec["message"], "runtime": "tfjs 4.22.0"}
    described = json.loads(rec.pop("stdout"))
    vocab = tfjs_embedding_vocab(config)
    specs = []
    for k, i in enumerate(described["inputs"]):
        spec: Json = {"name": i.get("name") or f"input_{k}", "shape": i["shape"], "dtype": i["dtype"]}
        if k in vocab:
            spec["vocab"] = vocab[k]
        specs.append(spec)
    xs = make_inputs(specs, seed)
    inputs = {"inputs": [{"shape": list(x.shape), "data": x.ravel().tolist(), "dtype": str(x.dtype)} for x in xs]}
    (ref / "inputs.json").write_text(json.dumps(inputs))
    rec = command("reference", [node, str(REFERENCE_MJS), str(model_json), str(ref / "inputs.json"),
                                str(ref / "outputs.json")], scrub)
    if rec["exit"] != 0:
        return {"status": "predict fails", "message": rec["message"], "runtime": "tfjs 4.22.0", "inputs": specs}
    outs = json.loads((ref / "outputs.json").read_text())["outputs"]
    for i, x in enumerate(xs):
        np.save(ref / f"x{i}.npy", x)
    for i, o in enumerate(outs):
        data = [float(v) for v in o["data"]]  # "NaN", "Infinity" come as strings
        np.save(ref / f"y{i}.npy", np.array(data, np.float32).reshape(o["shape"]))
    return {"status": "loads", "runtime": "tfjs 4.22.0", "inputs": specs, "outputs": len(outs)}


# --- comparing ----------------------------------------------------------------------------------

def compare(want: list[np.ndarray], got: list[np.ndarray]) -> Json:
    """Bit-identical, or the largest absolute and relative differences over all outputs."""
    if len(want) != len(got):
        return {"identical": False, "message": f"{len(got)} outputs instead of {len(want)}"}
    identical, max_abs, max_rel, run_ok = True, 0.0, 0.0, True
    for w, g in zip(want, got):
        if w.shape != g.shape:
            return {"identical": False, "message": f"shape {list(g.shape)} instead of {list(w.shape)}"}
        if not (w.dtype == g.dtype and w.tobytes() == g.tobytes()):
            identical = False
        w64, g64 = w.astype(np.float64), g.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            same_nan = np.isnan(w64) & np.isnan(g64)
            d = np.where(same_nan, 0.0, np.abs(w64 - g64))
            if np.isnan(d).any():
                d = np.where(np.isnan(d), np.inf, d)
            rel = d / np.maximum(np.abs(w64), 1e-30)
            # The evaluator's tolerance (docs/evaluator.md, spec.md 15.11), with the reference as `want`.
            eps = float(np.finfo(np.float32).eps)
            tol = 64 * eps * max(1.0, float(np.nanmax(np.abs(w64))) if w64.size else 1.0)
            ok = d <= max(tol, 1e-5) + 1e-5 * np.abs(np.where(np.isnan(w64), 0, w64))
        if d.size:
            max_abs = max(max_abs, float(d.max()))
            max_rel = max(max_rel, float(np.where(d == 0, 0.0, rel).max()))
        run_ok = run_ok and bool(ok.all())
    return {"identical": identical, "max_abs": max_abs, "max_rel": max_rel, "within_run_tolerance": run_ok}


def load_outputs(folder: Path, prefix: str, n: int) -> list[np.ndarray]:
    return [np.load(folder / f"{prefix}{i}.npy") for i in range(n)]


# --- one entry ------------------------------------------------------------------------------------

def check_entry(entry: Json, corpus: Path, work: Path, by_id: dict[str, Json]) -> Json:
    """Every measurement of one entry (also used by tests/corpus/test_corpus.py)."""
    scrub = Scrub(corpus, work)
    kind = entry["kind"]
    res: Json = {"id": entry["id"], "repo": entry["repo"], "kind": kind}
    problem = verify(corpus, entry)
    if problem is None and entry.get("pair"):
        pair = by_id.get(entry["pair"])
        problem = verify(corpus, pair) if pair else f"pair {entry['pair']} not in the corpus"
    if problem is not None:
        res.update(skipped=problem)
        return res
    config, version = model_config(corpus, entry, by_id)
    types = layer_types(config) if config is not None else []
    res.update(version=version, layers=types)
    tmp = work / entry["id"] / "md"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    file = main_file(corpus, entry)
    if kind == "other":
        res["validate"] = command("validate", [MODELDOC, "validate", str(file)], scrub)
        return res

    ref = reference(corpus, work, entry, by_id, types, version, scrub)
    res["runtime"] = {k: ref.get(k) for k in ("status", "message", "runtime")}
    refdir = work / entry["id"] / "ref"

    doc = tmp / "doc.json"
    if kind == "tfjs-layers":
        argv = [MODELDOC, "from-tfjs", str(file), str(doc)]
    elif kind == "architecture-json":
        weights = refdir / "weights.h5"
        # The runtime drew the weights (see worker_reference); without them there is nothing to convert.
        argv = [MODELDOC, "from-keras", str(weights if weights.is_file() else file), str(doc),
                "--test-vectors", "1"] + (["--model", str(file)] if weights.is_file() else [])
    else:
        argv = [MODELDOC, "from-keras", str(file), str(doc), "--test-vectors", "1"]
        if kind == "keras-weights-h5":
            arch_file = architecture_file(corpus, work, entry, by_id)
            if arch_file is not None:
                argv += ["--model", str(arch_file)]
    res["from"] = command(argv[1], argv, scrub)
    if res["from"]["exit"] != 0 or not doc.is_file():
        return res
    res["validate"] = command("validate", [MODELDOC, "validate", str(doc)], scrub)
    if res["validate"]["exit"] == 0:
        res["lazy"] = check_lazy(doc, tmp)

    if ref.get("status") != "loads":
        return res
    n_out = int(ref["outputs"])
    want = load_outputs(refdir, "y", n_out)
    xs = [refdir / f"x{i}.npy" for i in range(len(ref["inputs"]))]

    # to_keras and Keras 3's predictions.
    k = run_worker("to-keras", {"out": str(tmp), "doc": str(doc), "inputs": [str(x) for x in xs]}, scrub)
    if k.get("status") == "ok":
        res["keras"] = {"status": "ok", **compare(want, load_outputs(tmp, "k", int(k["outputs"])))}
    else:
        res["keras"] = {"status": "failed", "message": scrub(k.get("message", ""))}

    # modeldoc run on the same inputs.
    res["run"] = run_document(doc, xs, want, tmp, scrub)
    return res


def check_lazy(doc: Path, tmp: Path) -> Json:
    """``modeldoc.open`` on the converted document saved in each encoding: every tensor ``get_tensor``
    hands out is the one a full load gives, bit for bit; each byte range holds that tensor as stored
    (a bin's little-endian bytes, base64 text, a list's JSON value); ``verify_document`` passes."""
    import base64

    import modeldoc
    from modeldoc.dtypes import DTYPES, to_le_bytes
    from modeldoc.encodings import ENCODINGS

    try:
        full = modeldoc.load(str(doc))
    except modeldoc.ModelDocError as e:
        return {"status": "failed", "message": _one_line(e)}
    ranged = 0
    for enc in ENCODINGS:
        path = tmp / f"lazy-{enc}.{'msgpack' if enc == 'msgpack' else 'json'}"
        modeldoc.save(full, path, encoding=enc)
        text = path.read_bytes()
        lists = {t["name"]: t["data"] for t in json.loads(text)["tensors"]} if enc == "list" else {}
        try:
            with modeldoc.open(path) as f:
                for name in f:
                    got, want = f.get_tensor(name), full.tensors[name]
                    if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                        return {"status": "differs", "message": f"{enc}: get_tensor({name!r}) is not what load gives"}
                    info = f.tensor_info(name)
                    if info.byte_range is None:
                        continue
                    stored = text[info.byte_range[0] : info.byte_range[1]]
                    if enc == "list":
                        same = (stored.decode() if isinstance(lists[name], str) else json.loads(stored)) == lists[name]
                    else:  # the data as stored: a quantized tensor's integers, else the tensor
                        q = full.quantization.get(name)
                        raw = to_le_bytes(want if q is None else q.stored, DTYPES[info.stored_dtype]).tobytes()
                        same = (stored if enc == "msgpack" else base64.b64decode(stored)) == raw
                    if not same:
                        return {"status": "differs", "message": f"{enc}: the byte range of {name!r}"}
                    ranged += 1
                f.verify_document()
        except modeldoc.ModelDocError as e:
            return {"status": "failed", "message": f"{enc}: {_one_line(e)}"}
    return {"status": "agrees", "tensors": len(full.tensors), "ranged": ranged}


def run_document(doc: Path, xs: list[Path], want: list[np.ndarray], tmp: Path, scrub: Scrub) -> Json:
    import modeldoc
    from modeldoc.evaluator.cli import file_names

    try:
        d = modeldoc.load(str(doc), verify=False)
    except Exception as e:
        return {"status": "failed", "message": _one_line(e)}
    names = [i.name for i in d.model.inputs]
    if len(names) != len(xs):
        return {"status": "failed", "message": f"the document has {len(names)} inputs, the runtime {len(xs)}"}
    outdir = tmp / "run"
    argv = [MODELDOC, "run", str(doc), "--output", str(outdir)]
    for name, x in zip(names, xs):
        argv += ["--input", f"{name}={x}"]
    rec = command("run", argv, scrub)
    out: Json = {"cmd": rec}
    if rec["exit"] != 0:
        covered = "EVAL_UNSUPPORTED" not in rec["message"]
        out.update(status="failed" if covered else "not covered", message=rec["message"])
        return out
    files = file_names(list(d.model.outputs))
    got = [np.load(outdir / files[name]) for name in d.model.outputs]
    cmp = compare(want, got)
    out.update(cmp)
    out["status"] = "agrees" if cmp.get("within_run_tolerance") else "differs"
    return out


# --- the generated files --------------------------------------------------------------------------

def ceil2(x: float) -> str:
    """x rounded up to two significant digits: a recorded bound the measurement never exceeds."""
    if x <= 0:
        return "0"
    e = math.floor(math.log10(x)) - 1
    m = math.ceil(x / 10**e - 1e-9)
    return f"{m * 10.0**e:.1e}"


def short(text: str, n: int = 110) -> str:
    # A message starts with the file it is about; the id column already says which file.
    text = re.sub(r"(^|; )(\w+: )?<(corpus|work)>/\S+: ", r"\1\2", text)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def cells(r: Json) -> dict[str, str]:
    """The table's cells for one result."""
    c: dict[str, str] = {}
    if "skipped" in r:
        return {"runtime": "—", "from": "—", "validate": "—", "keras": "—", "run": "—", "lazy": "—",
                "reason": r["skipped"]}
    reason = ""
    rt = r.get("runtime") or {}
    status = rt.get("status")
    if r["kind"] == "other":
        v = r["validate"]
        c.update(runtime="—", **{"from": "—"}, keras="—", run="—", lazy="—",
                 validate=f"exit {v['exit']}", reason=short(v["message"]))
        return c
    c["runtime"] = {"loads": "loads", "refuses": "refuses", "not run": "not run",
                    "predict fails": "loads, predict fails"}.get(status or "", "?")
    if status != "loads" and rt.get("message"):
        reason = f"runtime: {rt['message']}"
    f = r.get("from") or {}
    c["from"] = "ok" if f.get("exit") == 0 else (f"exit {f.get('exit')}" if f else "—")
    if f and f.get("exit") != 0:
        reason = (reason + "; " if reason else "") + f"modeldoc: {f.get('message')}"
    v = r.get("validate")
    c["validate"] = "—" if not v else ("valid" if v["exit"] == 0 else f"exit {v['exit']}")
    if v and v["exit"] != 0:
        reason = (reason + "; " if reason else "") + f"validate: {v['message']}"
    k = r.get("keras")
    if not k:
        c["keras"] = "—"
    elif k["status"] != "ok" or "max_abs" not in k:
        c["keras"] = "fails"
        reason = (reason + "; " if reason else "") + f"to_keras: {k.get('message')}"
    elif k["identical"]:
        c["keras"] = "bit-identical"
    else:
        c["keras"] = f"max abs {ceil2(k['max_abs'])} (rel {ceil2(k['max_rel'])})"
        if not k.get("within_run_tolerance"):
            reason = (reason + "; " if reason else "") + "Keras predictions differ beyond the evaluator's tolerance"
            if r["id"] in MEASURED_CAUSES:
                reason += f" ({MEASURED_CAUSES[r['id']]})"
    u = r.get("run")
    if not u:
        c["run"] = "—"
    elif u["status"] == "agrees":
        c["run"] = "agrees" + (" (bit-identical)" if u.get("identical") else f" (max abs {ceil2(u['max_abs'])})")
    elif u["status"] == "not covered":
        m = re.search(r"EVAL_UNSUPPORTED at (\S+): (.*)", u.get("message", ""))
        c["run"] = "not covered: " + short(m.group(2) if m else u.get("message", ""), 70)
    elif u["status"] == "differs":
        c["run"] = f"differs (max abs {ceil2(u['max_abs'])})"
        reason = (reason + "; " if reason else "") + "run differs beyond the evaluator's tolerance"
    else:
        c["run"] = "fails"
        reason = (reason + "; " if reason else "") + f"run: {u.get('message')}"
    lz = r.get("lazy")
    if not lz:
        c["lazy"] = "—"
    elif lz["status"] == "agrees":
        c["lazy"] = f"agrees ({lz['tensors']} tensors)"
    else:
        c["lazy"] = lz["status"]
        reason = (reason + "; " if reason else "") + f"lazy access: {lz.get('message')}"
    c["reason"] = short(reason, 400)
    return c


# Causes measured by hand for rows whose Keras predictions differ from the original runtime's.
_IMPLEMENTATION = "the document computes as tf_keras' LSTM implementation=2, bit for bit (the file says 1)"
MEASURED_CAUSES = {
    "mario-h5-dotkeras": "cause: float32 rounding over 40 LSTM steps; tf_keras is 9.4e-6 and the evaluator 2.3e-5 "
                         "from tf_keras in float64; " + _IMPLEMENTATION,
    "mario-h5-dotkeras-b": "cause: on these inputs tf_keras' own float32 result is 1.0 from its float64 result (the "
                           "LSTM state diverges); the evaluator is within 9e-11 of float64; " + _IMPLEMENTATION,
}

FORMAT_WORDS = ("TensorFlow Lite", "ONNX", "safetensors", "graph model", "HDF5", "Keras", "PyTorch", "zip")


def names_format(message: str) -> bool:
    return any(w.lower() in message.lower() for w in FORMAT_WORDS)


def counts(results: list[Json], kinds: tuple[str, ...]) -> Json:
    rs = [r for r in results if r["kind"] in kinds]
    return {
        "entries": len(rs),
        "runtime loads": sum(1 for r in rs if (r.get("runtime") or {}).get("status") in ("loads", "predict fails")),
        "converts": sum(1 for r in rs if (r.get("from") or {}).get("exit") == 0),
        "validates": sum(1 for r in rs if (r.get("validate") or {}).get("exit") == 0),
        "Keras bit-identical": sum(1 for r in rs if (r.get("keras") or {}).get("identical")),
        "Keras predicts": sum(1 for r in rs if (r.get("keras") or {}).get("status") == "ok"),
        "run agrees": sum(1 for r in rs if (r.get("run") or {}).get("status") == "agrees"),
        "run not covered": sum(1 for r in rs if (r.get("run") or {}).get("status") == "not covered"),
        "lazy access agrees": sum(1 for r in rs if (r.get("lazy") or {}).get("status") == "agrees"),
    }


def problems(results: list[Json]) -> tuple[int, int]:
    recs = []
    for r in results:
        for key in ("from", "validate"):
            if r.get(key):
                recs.append(r[key])
        if (r.get("run") or {}).get("cmd"):
            recs.append(r["run"]["cmd"])
    return sum(1 for c in recs if c["traceback"]), sum(1 for c in recs if c["bug"])


def write_table(results: list[Json], entries: list[Json], meta: Json) -> None:
    by_id = {r["id"]: r for r in results}
    keras_counts = counts(results, KERAS_KINDS)
    tfjs_counts = counts(results, ("tfjs-layers",))
    tracebacks, bugs = problems(results)
    lines = [
        "# Compatibility with third-party model files",
        "",
        "<!-- Generated by scripts/corpus.py: do not edit by hand. -->",
        "",
        f"What ModelDoc does with {len(entries)} real model files from "
        f"{len({e['repo'] for e in entries})} public repositories: Keras 1/2 HDF5 files (full models, "
        "weights-only files with their architecture JSON, architecture JSON alone), Keras 3 `.keras` and "
        "HDF5 files, TensorFlow.js Layers models (converter output, Teachable Machine and ml5.js browser "
        "saves), and a few files of other formats. The files themselves are not in this repository (they "
        "are other people's files); [tests/corpus/SOURCES.md](../tests/corpus/SOURCES.md) names each "
        "repository, commit, path, SHA-256 and licence.",
        "",
        "For each file: the **original runtime** (tf_keras " + meta.get("tf_keras", "?") + " for Keras 1/2 "
        "files, Keras " + meta.get("keras", "?") + " for Keras 3 files, @tensorflow/tfjs 4.22.0 in Node for "
        "tfjs) loads it and predicts on fixed inputs (batch 2, open dimensions 8, floats standard normal "
        "times 0.5 seeded by the id, Embedding inputs integers below min(vocabulary, 10)); then "
        "`modeldoc from-keras FILE OUT --test-vectors 1` (with `--model ARCH` for weights-only files) or "
        "`modeldoc from-tfjs`, `modeldoc validate`, `modeldoc.keras.to_keras` with Keras "
        + meta.get("keras", "?") + " predicting on the same inputs, and `modeldoc run` on them. "
        "Architecture-only JSON files get weights drawn by tf_keras (seeded) and saved with "
        "`save_weights`. A file with a Lambda layer is not given to its runtime (its bytecode would "
        "run). TensorFlow runs with `TF_ENABLE_ONEDNN_OPTS=0`.",
        "",
        "Reproduce: clone each repository of tests/corpus/SOURCES.md at its commit, copy each file to "
        "`CORPUS/files/<id>/<file name>`, then run "
        "`.venv/bin/python scripts/corpus.py --corpus CORPUS --jobs 2` (it checks every SHA-256 against "
        "`tests/corpus/sources.json`, rewrites this page and writes `CORPUS/results.json`). "
        "`MODELDOC_CORPUS=CORPUS .venv/bin/python -m pytest tests/corpus` checks the same things.",
        "",
        "## Summary",
        "",
        "| | Keras files | tfjs files |",
        "|---|--:|--:|",
    ]
    for key in keras_counts:
        lines.append(f"| {key} | {keras_counts[key]} | {tfjs_counts[key]} |")
    others = [r for r in results if r["kind"] == "other"]
    lines += [
        "",
        f"Other formats: {len(others)} files; `modeldoc validate` refuses "
        f"{sum(1 for r in others if (r.get('validate') or {}).get('exit') == 1)} with exit 1 and names the format of "
        f"{sum(1 for r in others if names_format((r.get('validate') or {}).get('message', '')))}. "
        f"Commands that printed a traceback: {tracebacks}. Commands that exited with code 3 (a bug): {bugs}.",
        "",
        "Columns: *runtime* is the original runtime's verdict; *from-\\** the exit code of `from-keras` / "
        "`from-tfjs`; *Keras* compares the rebuilt model's predictions with the runtime's (bit-identical, "
        "or the largest absolute and relative difference, rounded up); *run* compares `modeldoc run` "
        "with the runtime within the evaluator's tolerance (docs/evaluator.md); *lazy* saves the valid "
        "document in each encoding and opens it with `modeldoc.open`: every tensor from `get_tensor` is "
        "the one `modeldoc.load` gives, bit for bit, each byte range holds the tensor as stored, and "
        "`verify_document` passes (spec.md 7.1).",
        "",
        "## Files",
        "",
        "| id | repository | kind | version | layers | runtime | from-* | validate | Keras | run | lazy | reason |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        r = by_id.get(e["id"])
        if r is None:
            lines.append(f"| {e['id']} | {e['repo']} | {e['kind']} | | | not measured | | | | | | |")
            continue
        c = cells(r)
        types = r.get("layers") or []
        layers = ", ".join(types[:6]) + (f" +{len(types) - 6}" if len(types) > 6 else "")
        lines.append(f"| {e['id']} | {e['repo']} | {e['kind']} | {short(r.get('version') or '', 30)} | "
                     f"{layers} | {c['runtime']} | {c['from']} | {c['validate']} | {c['keras']} | "
                     f"{c['run']} | {c['lazy']} | {c['reason']} |")
    TABLE_MD.write_text("\n".join(lines) + "\n")


def write_sources(entries: list[Json]) -> None:
    SOURCES_JSON.parent.mkdir(parents=True, exist_ok=True)
    SOURCES_JSON.write_text(json.dumps(sources_of(entries), indent=1, ensure_ascii=False) + "\n")
    lines = [
        "# Sources of the model corpus",
        "",
        "<!-- Generated by scripts/corpus.py: do not edit by hand. -->",
        "",
        "The files listed here are **not in this repository**: they are other people's files, "
        "published in their own repositories under their own terms (many state no licence at all), "
        "so they are not ours to redistribute. This list says exactly where each one comes from; "
        "`docs/compatibility.md` records what was measured on them, and `scripts/corpus.py` "
        "repeats the measurement on a corpus folder assembled from these sources (it checks every "
        "SHA-256 first). `sources.json` holds the same list for the script.",
        "",
        f"{len(entries)} entries from {len({e['repo'] for e in entries})} repositories.",
        "",
    ]
    for e in entries:
        lines.append(f"## {e['id']}")
        lines.append("")
        lines.append(f"- kind: {e['kind']}")
        lines.append(f"- repository: https://github.com/{e['repo']} at commit `{e['commit']}`")
        lines.append(f"- licence: {e['licence']}")
        if e.get("pair"):
            lines.append(f"- architecture: {e['pair']}")
        for f in e["files"]:
            lines.append(f"- `{f['path']}` ({f['bytes']} bytes), sha256 `{f['sha256']}`")
        lines.append("")
    SOURCES_MD.write_text("\n".join(lines))


def versions() -> Json:
    out: Json = {}
    try:
        from importlib.metadata import version

        out["keras"] = version("keras")
        out["tf_keras"] = version("tf_keras")
        out["tensorflow"] = version("tensorflow-cpu")
    except Exception:  # a missing distribution only leaves a "?" in the table's header
        pass
    return out


# --- main -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--only", action="append", default=[], metavar="ID")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--results", type=Path, default=None, help="default: CORPUS/results.json")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder; default: CORPUS/work")
    ap.add_argument("--table-only", action="store_true",
                    help="rewrite the generated files from the results file, measuring nothing")
    ap.add_argument("--worker", nargs=2, metavar=("NAME", "JOB"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        name, jobfile = args.worker
        job = json.loads(Path(jobfile).read_text())
        result = WORKERS[name](job)
        Path(job["out"], f"{name}.result.json").write_text(json.dumps(result))
        return 0
    if args.corpus is None:
        ap.error("--corpus is required")
    corpus = args.corpus.resolve()
    work = (args.work or corpus / "work").resolve()
    results_path = args.results or corpus / "results.json"
    entries = load_entries(corpus)
    by_id = {e["id"]: e for e in entries}
    unknown = [i for i in args.only if i not in by_id]
    if unknown:
        ap.error(f"unknown id(s): {', '.join(unknown)}")
    todo = [e for e in entries if not args.only or e["id"] in args.only]
    old: dict[str, Json] = {}
    if args.table_only:
        todo = []
    if (args.only or args.table_only) and results_path.is_file():
        old = {r["id"]: r for r in json.loads(results_path.read_text()).get("results", [])}

    def one(e: Json) -> Json:
        t = time.monotonic()
        try:
            r = check_entry(e, corpus, work, by_id)
        except Exception as exc:  # a fault of this script must not lose the other entries' results
            r = {"id": e["id"], "repo": e["repo"], "kind": e["kind"], "skipped": f"script error: {_one_line(exc)}"}
        r["seconds"] = round(time.monotonic() - t, 1)
        print(f"{e['id']}: {cells(r)}", flush=True)
        return r

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for r in pool.map(one, todo):
            old[r["id"]] = r
    results = [old[e["id"]] for e in entries if e["id"] in old]
    meta = versions()
    results_path.write_text(json.dumps({"versions": meta, "results": results}, indent=1))
    write_sources(entries)
    write_table(results, entries, meta)
    k = counts(results, KERAS_KINDS)
    t = counts(results, ("tfjs-layers",))
    print(json.dumps({"keras": k, "tfjs": t, "tracebacks/exit 3": problems(results)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
