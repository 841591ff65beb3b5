"""The models the benchmark measures: which tensors, how they are generated, and
how the same tensors become a ModelDoc document and a Keras model.

Tensors are generated deterministically once per case (not timed) and written
as one raw file, the "prepared file"; every measuring child reads that file, so
all formats see exactly the same bytes.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MB = 1_000_000  # every "MB" in the benchmark is 10^6 bytes


@dataclass(frozen=True)
class TensorSpec:
    name: str  # "<layer>/<weight>", the same in every format
    dtype: str  # ModelDoc dtype name
    shape: tuple[int, ...]


@dataclass(frozen=True)
class LayerSpec:
    name: str
    type: str  # "Dense" or "Table"
    config: dict[str, Any]
    weights: tuple[str, ...]  # weight names inside the layer, in Keras order


@dataclass(frozen=True)
class Case:
    name: str  # e.g. "float32-40MB", "mixed-40MB"
    kind: str  # "float32" or "mixed"
    nominal_mb: float
    input_dim: int
    layers: tuple[LayerSpec, ...]
    tensors: tuple[TensorSpec, ...] = field(default=())

    @property
    def tensor_bytes(self) -> int:
        return sum(math.prod(t.shape) * np_dtype(t.dtype).itemsize for t in self.tensors)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "nominal_mb": self.nominal_mb}


def np_dtype(name: str) -> np.dtype[Any]:
    if name == "bfloat16":
        import ml_dtypes

        bf16: np.dtype[Any] = np.dtype(ml_dtypes.bfloat16)
        return bf16
    return np.dtype(name)


def _dense(name: str, n_in: int, units: int, dtype: str) -> tuple[LayerSpec, list[TensorSpec]]:
    layer = LayerSpec(name, "Dense", {"units": units, "dtype": dtype}, ("kernel", "bias"))
    return layer, [TensorSpec(f"{name}/kernel", dtype, (n_in, units)), TensorSpec(f"{name}/bias", dtype, (units,))]


def float32_case(size_mb: float) -> Case:
    """Four square Dense layers (kernel + bias each) holding about ``size_mb`` MB of float32."""
    n = max(8, round(math.sqrt(size_mb * MB / 16)))
    layers, tensors = [], []
    for i in range(4):
        layer, ts = _dense(f"d{i}", n, n, "float32")
        layers.append(layer)
        tensors += ts
    return Case(f"float32-{size_mb:g}MB", "float32", size_mb, n, tuple(layers), tuple(tensors))


def mixed_case(size_mb: float = 40) -> Case:
    """float32, float16 and bfloat16 Dense layers plus a layer with an int64 and a bool
    weight; at 40 MB: 16 + 8 + 8 + 6 + 2 MB (plus biases)."""
    s = size_mb / 40
    n = max(8, round(2000 * math.sqrt(s)))
    layers, tensors = [], []
    for i, dt in enumerate(("float32", "float16", "bfloat16")):
        layer, ts = _dense(f"d{i}", n, n, dt)
        layers.append(layer)
        tensors += ts
    n_ids, n_mask = max(8, round(750_000 * s)), max(8, round(2_000_000 * s))
    layers.append(LayerSpec("t", "Table", {"n_ids": n_ids, "n_mask": n_mask}, ("ids", "mask")))
    tensors += [TensorSpec("t/ids", "int64", (n_ids,)), TensorSpec("t/mask", "bool", (n_mask,))]
    return Case(f"mixed-{size_mb:g}MB", "mixed", size_mb, n, tuple(layers), tuple(tensors))


def case_from_name(name: str) -> Case:
    kind, _, size = name.partition("-")
    size_mb = float(size.removesuffix("MB"))
    return float32_case(size_mb) if kind == "float32" else mixed_case(size_mb)


# --- tensor data ---------------------------------------------------------------------


def _special_values(dtype: np.dtype[Any]) -> np.ndarray:
    """NaN, +-Inf, -0, the smallest subnormal and the largest finite value."""
    import ml_dtypes

    fi = ml_dtypes.finfo(dtype)  # type: ignore[no-untyped-call]
    with np.errstate(over="ignore", invalid="ignore"):
        vals = [np.nan, np.inf, -np.inf, -0.0]
        out = np.array(vals, dtype=np.float32).astype(dtype)
    return np.concatenate([out, np.array([fi.smallest_subnormal, fi.max], dtype=dtype)])


def generate(case: Case) -> dict[str, np.ndarray]:
    """The case's tensors: normal(0, 0.05) floats with special values at the start of
    every float bias, random int64 (with both extremes) and random bools."""
    out: dict[str, np.ndarray] = {}
    for t in case.tensors:
        rng = np.random.default_rng(zlib.crc32(f"{case.name}:{t.name}".encode()))
        dt = np_dtype(t.dtype)
        a: np.ndarray
        if t.dtype in ("float32", "float16", "bfloat16"):
            a = rng.standard_normal(t.shape, dtype=np.float32)
            a *= np.float32(0.05)
            a = a.astype(dt, copy=False)
            if t.name.endswith("/bias") and a.size >= 6:
                a[:6] = _special_values(dt)
        elif t.dtype == "int64":
            a = rng.integers(-(1 << 62), 1 << 62, size=t.shape, dtype=np.int64)
            if a.size >= 2:
                a[:2] = [np.iinfo(np.int64).min, np.iinfo(np.int64).max]
        elif t.dtype == "bool":
            a = rng.random(t.shape, dtype=np.float32) < 0.5
        else:  # pragma: no cover
            raise ValueError(t.dtype)
        out[t.name] = np.ascontiguousarray(a)
    return out


def write_prepared(case: Case, path: str) -> None:
    tensors = generate(case)
    with open(path, "wb") as f:
        for t in case.tensors:
            f.write(tensors[t.name].reshape(-1).view(np.uint8).data)


def read_prepared(case: Case, path: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with open(path, "rb") as f:
        for t in case.tensors:
            a = np.empty(t.shape, dtype=np_dtype(t.dtype))
            n = f.readinto(a.reshape(-1).view(np.uint8).data)
            if n != a.nbytes:
                raise IOError(f"prepared file {path} is short")
            out[t.name] = a
    return out


# --- the same tensors as a ModelDoc document and as a Keras model ---------------------


def modeldoc_document(case: Case, tensors: dict[str, np.ndarray]) -> Any:
    import modeldoc

    layers, nodes = [], []
    prev = "x"
    for i, ls in enumerate(case.layers):
        layers.append(modeldoc.Layer(ls.name, ls.type, dict(ls.config), [f"{ls.name}/{w}" for w in ls.weights]))
        nodes.append(modeldoc.Node(ls.name, [prev], [f"h{i}"]))
        prev = f"h{i}"
    graph = modeldoc.Graph(
        layers=layers,
        inputs=[modeldoc.Input("x", "float32", [None, case.input_dim])],
        nodes=nodes,
        outputs=[prev],
        name="bench",
    )
    return modeldoc.Document(graph, dict(tensors))


_TABLE: Any = None


def keras_table_class() -> Any:
    """A pass-through layer holding an int64 and a bool weight (registered, so a
    `.keras` file with it loads in safe mode)."""
    global _TABLE
    if _TABLE is not None:
        return _TABLE
    import keras

    @keras.saving.register_keras_serializable(package="modeldoc_bench")
    class Table(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self, n_ids: int, n_mask: int, **kw: Any) -> None:
            super().__init__(**kw)
            self.n_ids, self.n_mask = n_ids, n_mask

        def build(self, input_shape: Any) -> None:
            self.ids = self.add_weight(name="ids", shape=(self.n_ids,), dtype="int64", initializer="zeros", trainable=False)
            self.mask = self.add_weight(name="mask", shape=(self.n_mask,), dtype="bool", initializer="zeros", trainable=False)

        def call(self, x: Any) -> Any:
            return x

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "n_ids": self.n_ids, "n_mask": self.n_mask}

    _TABLE = Table
    return Table


def keras_model(case: Case) -> Any:
    """The case's model in Keras, weights zero (building is not timed)."""
    import keras

    layers: list[Any] = [keras.Input((case.input_dim,))]
    for ls in case.layers:
        if ls.type == "Dense":
            layers.append(
                keras.layers.Dense(ls.config["units"], name=ls.name, dtype=ls.config["dtype"], kernel_initializer="zeros")
            )
        else:
            layers.append(keras_table_class()(ls.config["n_ids"], ls.config["n_mask"], name=ls.name))
    return keras.Sequential(layers, name="bench")


def keras_weights(model: Any) -> dict[str, Any]:
    """Keras variables by benchmark tensor name ("<layer>/<weight>")."""
    return {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}
