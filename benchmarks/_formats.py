"""The rows of the benchmark: one class per format, each with the untimed set-up
and the timed write, read and (ModelDoc only) validate of the same tensors.

ModelDoc is used only through its public API (modeldoc.save / load / validate / open).
"""

from __future__ import annotations

import importlib.util
import json
import math
from typing import Any, Callable

import numpy as np
from _cases import Case, keras_model, keras_table_class, keras_weights, modeldoc_document, np_dtype


def touch(tensors: Any) -> None:
    """Make sure every tensor a reader handed out is a materialised array: convert
    with np.asarray and read one byte per 4 KiB page. Part of the timed read, the
    same for every format, so a lazy or memory-mapped reader pays for its data."""
    for v in tensors.values():
        a = np.asarray(v)
        if a.size and a.flags.c_contiguous:
            int(a.reshape(-1).view(np.uint8)[::4096].sum())


class Format:
    key = ""
    label = ""
    ext = ""
    family = "peer"  # "modeldoc" or "peer"
    needs: tuple[str, ...] = ()
    ops: tuple[str, ...] = ("write", "read")  # measured warm, in one process, at every size
    fresh_ops: tuple[str, ...] = ()  # also measured in fresh processes (the judged targets)
    about = ""

    def missing(self) -> str | None:
        for mod in self.needs:
            if importlib.util.find_spec(mod) is None:
                return f"{mod} is not installed (pip install -r requirements/bench.txt)"
        return None

    def preimport(self) -> None:
        """The library's top-level import, done before any timer (what a script has at its top)."""

    # untimed set-up, then the timed operation
    def setup_write(self, case: Case, tensors: dict[str, np.ndarray]) -> Any:
        return tensors

    def write(self, state: Any, path: str) -> None:
        raise NotImplementedError

    def setup_read(self, case: Case) -> Any:
        return case

    def read(self, state: Any, path: str) -> Any:
        raise NotImplementedError

    def tensors_of(self, result: Any) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in result.items()}

    def validate(self, path: str) -> tuple[bool, str]:
        raise NotImplementedError

    def op(self, name: str) -> Callable[[Any, str], Any]:
        ops: dict[str, Callable[[Any, str], Any]] = {
            "write": self.write, "read": self.read, "read-noverify": self.read_noverify, "validate": self._validate,
            "get-tensor": self.get_tensor, "inspect": self.inspect,
        }
        return ops[name]

    def get_tensor(self, state: Any, path: str) -> Any:
        raise NotImplementedError

    def inspect(self, state: Any, path: str) -> Any:
        raise NotImplementedError

    def read_noverify(self, state: Any, path: str) -> Any:
        raise NotImplementedError

    def _validate(self, state: Any, path: str) -> Any:
        return self.validate(path)


def small_tensor(case: Case) -> str:
    """The tensor a one-tensor read asks for: the smallest (a bias), first in document order."""
    return min(case.tensors, key=lambda t: math.prod(t.shape) * np_dtype(t.dtype).itemsize).name


class ModelDocFormat(Format):
    family = "modeldoc"
    needs = ("modeldoc",)
    encoding = ""

    def preimport(self) -> None:
        import modeldoc  # noqa: F401  (the reader and writer modules load on first call, inside the timer)

    def get_tensor(self, state: Case, path: str) -> Any:
        """``modeldoc.open(path).get_tensor(name)`` of the smallest tensor (checked, and touched like a read)."""
        import modeldoc

        name = small_tensor(state)
        with modeldoc.open(path) as f:
            a = f.get_tensor(name)
        touch({name: a})
        return {name: a}

    def inspect(self, state: Case, path: str) -> Any:
        """What ``modeldoc inspect`` reads: ``modeldoc.open(path)``, the model (built on first use) and
        every tensor's declared header."""
        import modeldoc

        with modeldoc.open(path) as f:
            layers = len(f.model.layers)
            return [(i.name, i.dtype, i.shape, i.nbytes, i.encoding, layers) for i in f.tensors.values()]

    def setup_write(self, case: Case, tensors: dict[str, np.ndarray]) -> Any:
        return modeldoc_document(case, tensors)

    def write(self, state: Any, path: str) -> None:
        import modeldoc

        modeldoc.save(state, path, encoding=self.encoding)  # type: ignore[arg-type]

    def read(self, state: Any, path: str) -> Any:
        import modeldoc

        doc = modeldoc.load(path)
        touch(doc.tensors)
        return doc

    def read_noverify(self, state: Any, path: str) -> Any:
        import modeldoc

        doc = modeldoc.load(path, verify=False)
        touch(doc.tensors)
        return doc

    def tensors_of(self, result: Any) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in result.tensors.items()}

    def validate(self, path: str) -> tuple[bool, str]:
        import modeldoc

        report = modeldoc.validate(path)
        return bool(report.ok), " ".join(sorted({f.code for f in report.errors}))[:200]


class ModelDocBase64(ModelDocFormat):
    key, label, ext, encoding = "md-base64", "ModelDoc JSON base64", ".json", "base64"
    ops = ("write", "read", "read-noverify", "validate")
    fresh_ops = ("write", "read", "get-tensor", "inspect")
    about = '`modeldoc.save(doc, path, encoding="base64")`, `modeldoc.load(path)`, `modeldoc.validate(path)`'


class ModelDocList(ModelDocFormat):
    key, label, ext, encoding = "md-list", "ModelDoc JSON list", ".list.json", "list"
    ops = ("write", "read", "validate")
    fresh_ops = ("write", "read")
    about = '`modeldoc.save(doc, path, encoding="list")`, `load`, `validate`'


class ModelDocMsgpack(ModelDocFormat):
    key, label, ext, encoding = "md-msgpack", "ModelDoc MessagePack", ".msgpack", "msgpack"
    ops = ("write", "read", "read-noverify", "validate")
    fresh_ops = ("write", "read", "get-tensor", "inspect")
    about = '`modeldoc.save(doc, path, encoding="msgpack")`, `load`, `validate`'


class KerasBase(Format):
    needs = ("keras", "tensorflow", "h5py")
    fresh_ops = ("write", "read")

    def preimport(self) -> None:
        import h5py  # type: ignore[import-untyped]  # noqa: F401
        import keras  # type: ignore[import-untyped]  # noqa: F401

    def setup_write(self, case: Case, tensors: dict[str, np.ndarray]) -> Any:
        model = keras_model(case)
        for name, var in keras_weights(model).items():
            var.assign(tensors[name])
        return model

    def tensors_of(self, result: Any) -> dict[str, np.ndarray]:
        return {k: np.asarray(v.numpy()) for k, v in keras_weights(result).items()}


class KerasZip(KerasBase):
    key, label, ext = "keras", "Keras .keras", ".keras"
    about = "`model.save(path)` and `keras.saving.load_model(path)` (config + weights in a zip)"

    def write(self, state: Any, path: str) -> None:
        state.save(path)

    def setup_read(self, case: Case) -> Any:
        keras_table_class()  # registered, so safe-mode loading finds it
        return case

    def read(self, state: Any, path: str) -> Any:
        import keras

        return keras.saving.load_model(path)


class KerasH5(KerasBase):
    key, label, ext = "keras-h5", "Keras .weights.h5", ".weights.h5"
    about = "`model.save_weights(path)` and `model.load_weights(path)` into a model built beforehand (not timed)"

    def write(self, state: Any, path: str) -> None:
        state.save_weights(path)

    def setup_read(self, case: Case) -> Any:
        return keras_model(case)

    def read(self, state: Any, path: str) -> Any:
        state.load_weights(path)
        return state


class Safetensors(Format):
    key, label, ext = "safetensors", "safetensors", ".safetensors"
    needs = ("safetensors",)
    fresh_ops = ("write", "read")
    about = "`safetensors.numpy.save_file(tensors, path)` and `load_file(path)`"

    def preimport(self) -> None:
        from safetensors.numpy import load_file, save_file  # noqa: F401

    def write(self, state: Any, path: str) -> None:
        from safetensors.numpy import save_file

        save_file(state, path)

    def read(self, state: Any, path: str) -> Any:
        from safetensors.numpy import load_file

        out = load_file(path)
        touch(out)
        return out


class Raw(Format):
    key, label, ext = "raw", "raw bytes", ".bin"
    about = "the tensors' bytes back to back: `f.write(array)`, and `f.readinto` into new arrays"

    def write(self, state: Any, path: str) -> None:
        with open(path, "wb") as f:
            for a in state.values():
                f.write(a.reshape(-1).view(np.uint8).data)

    def read(self, state: Case, path: str) -> Any:
        out = {}
        with open(path, "rb") as f:
            for t in state.tensors:
                a = np.empty(t.shape, dtype=np_dtype(t.dtype))
                f.readinto(a.reshape(-1).view(np.uint8).data)
                out[t.name] = a
        return out


class HandJson(Format):
    key, label, ext = "hand-json", "hand-rolled json + tolist", ".hand.json"
    fresh_ops = ("write", "read")
    about = "`json.dump({name: a.tolist()}, f)`; back with `json.load` and `np.array(v, dtype=...)`"

    def write(self, state: Any, path: str) -> None:
        with open(path, "w") as f:
            json.dump({k: v.tolist() for k, v in state.items()}, f)

    def read(self, state: Case, path: str) -> Any:
        with open(path) as f:
            tree = json.load(f)
        dtypes = {t.name: np_dtype(t.dtype) for t in state.tensors}
        return {k: np.array(v, dtype=dtypes[k]) for k, v in tree.items()}


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        ModelDocBase64(),
        ModelDocList(),
        ModelDocMsgpack(),
        KerasZip(),
        KerasH5(),
        Safetensors(),
        Raw(),
        HandJson(),
    )
}
SLOW = ("md-list", "hand-json")  # may be skipped at large sizes (--skip-slow-above)
