"""Differences between two documents (``modeldoc diff``), reading one tensor at a time.

The model graph, the layer configs and the other members are compared as trees;
tensors first by dtype, shape, quantization and checksum (from the checked
documents, so no values are needed), then, for each pair whose checksums differ,
by the largest absolute difference of their values. Those pairs are read in
batches of at most ``budget`` bytes from the first document while the second is
streamed past them, so memory never holds every tensor of either document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterator

import numpy as np

from .errors import escape_pointer_token
from .limits import DEFAULT_LIMITS, Limits
from .reader import ReadResult, Source, visit_tensors

DEFAULT_BUDGET = 256 << 20  # bytes of the first document's tensors held at once


def each_tensor(
    source: Source | bytes, wanted: Collection[str], visit: Callable[[str, np.ndarray], None],
    *, limits: Limits = DEFAULT_LIMITS,
) -> ReadResult:
    """Check the whole document and hand ``visit`` each tensor named in ``wanted``, one at a time.

    The one way ``extract`` and ``diff`` reach tensor values: a lazy handle on an open
    document can take its place without changing them.
    """
    names = set(wanted)

    def pick(name: str, array: np.ndarray) -> None:
        if name in names:
            visit(name, array)

    return visit_tensors(source, pick, limits=limits)


@dataclass
class TensorDiff:
    name: str
    status: str  # "equal", "different", "dtype_or_shape", "only_in_a", "only_in_b"
    max_abs_diff: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "max_abs_diff": self.max_abs_diff}


@dataclass
class DocumentDiff:
    model: list[str] = field(default_factory=list)  # JSON Pointers where the graphs differ (configs aside)
    config: list[str] = field(default_factory=list)  # JSON Pointers into layer configs that differ
    other: list[str] = field(default_factory=list)  # producer, metadata, test vectors, format version
    tensors: list[TensorDiff] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.model or self.config or self.other) and all(t.status == "equal" for t in self.tensors)

    def as_dict(self) -> dict[str, Any]:
        return {"equal": self.equal, "model": self.model, "config": self.config, "other": self.other,
                "tensors": [t.as_dict() for t in self.tensors]}


def tree_differences(a: Any, b: Any, ptr: str = "") -> Iterator[str]:
    """JSON Pointers (in ``a``'s terms) of every place where two JSON-like trees differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            here = f"{ptr}/{escape_pointer_token(k)}"
            if k not in a or k not in b:
                yield here
            else:
                yield from tree_differences(a[k], b[k], here)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            if i >= len(a) or i >= len(b):
                yield f"{ptr}/{i}"
            else:
                yield from tree_differences(a[i], b[i], f"{ptr}/{i}")
    elif type(a) is not type(b) or a != b:
        yield ptr


def _is_config(ptr: str) -> bool:
    parts = ptr.split("/")
    return "config" in parts and parts.index("config") >= 2 and parts[parts.index("config") - 2] == "layers"


def _tensor_key(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["dtype"], list(t["shape"]), t.get("quantization"))


_BLOCK = 1 << 18  # elements compared at a time: the float64 copies stay at a few MiB


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| over all elements, in float64, a block at a time; NaN against NaN counts as
    equal, NaN against a number as infinitely far, equal infinities as equal."""
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    worst = 0.0
    for start in range(0, flat_a.size, _BLOCK):
        x = flat_a[start:start + _BLOCK].astype(np.float64)
        y = flat_b[start:start + _BLOCK].astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.abs(x - y)
            d[x == y] = 0.0
            d[np.isnan(x) & np.isnan(y)] = 0.0
            d[np.isnan(x) != np.isnan(y)] = np.inf
        worst = max(worst, float(d.max()))
    return worst


def diff_documents(
    a: Source | bytes, b: Source | bytes, *, limits: Limits = DEFAULT_LIMITS, budget: int = DEFAULT_BUDGET,
) -> DocumentDiff:
    """Compare two documents; each is fully checked first (ModelDocError if either is invalid)."""
    tree_a = each_tensor(a, (), lambda n, x: None, limits=limits).tree
    tree_b = each_tensor(b, (), lambda n, x: None, limits=limits).tree
    out = DocumentDiff()
    for ptr in tree_differences(tree_a["model"], tree_b["model"], "/model"):
        (out.config if _is_config(ptr) else out.model).append(ptr)
    skip = {"model", "tensors", "document_sha256", "$schema"}
    rest_a = {k: v for k, v in tree_a.items() if k not in skip}
    rest_b = {k: v for k, v in tree_b.items() if k not in skip}
    out.other.extend(tree_differences(rest_a, rest_b))

    by_name_b = {t["name"]: t for t in tree_b["tensors"]}
    names_a = {t["name"] for t in tree_a["tensors"]}
    pending: list[tuple[TensorDiff, int]] = []  # checksums differ: values needed
    for t in tree_a["tensors"]:
        other = by_name_b.get(t["name"])
        if other is None:
            out.tensors.append(TensorDiff(t["name"], "only_in_a"))
        elif _tensor_key(t) != _tensor_key(other):
            out.tensors.append(TensorDiff(t["name"], "dtype_or_shape"))
        elif t["sha256"] == other["sha256"]:
            out.tensors.append(TensorDiff(t["name"], "equal", 0.0))
        else:
            entry = TensorDiff(t["name"], "different")
            out.tensors.append(entry)
            size = int(np.prod(t["shape"], dtype=np.int64)) * 8  # compared in float64
            pending.append((entry, size))
    out.tensors.extend(TensorDiff(t["name"], "only_in_b") for t in tree_b["tensors"] if t["name"] not in names_a)
    for batch in _batches(pending, budget):
        _fill_differences(a, b, batch, limits)
    return out


def _batches(pending: list[tuple[TensorDiff, int]], budget: int) -> Iterator[dict[str, TensorDiff]]:
    batch: dict[str, TensorDiff] = {}
    held = 0
    for entry, size in pending:
        if batch and held + size > budget:
            yield batch
            batch, held = {}, 0
        batch[entry.name] = entry
        held += size
    if batch:
        yield batch


def _fill_differences(a: Source | bytes, b: Source | bytes, batch: dict[str, TensorDiff], limits: Limits) -> None:
    held: dict[str, np.ndarray] = {}
    each_tensor(a, batch, lambda name, x: held.__setitem__(name, x), limits=limits)

    def compare(name: str, y: np.ndarray) -> None:
        batch[name].max_abs_diff = max_abs_diff(held.pop(name), y)

    each_tensor(b, batch, compare, limits=limits)
