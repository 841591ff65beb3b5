"""The layer catalogue (modeldoc.profile) against every target that reads it.

Both directions for every target: a type the catalogue gives a target has a
kernel there, and a kernel of a type the catalogue does not give it stops the
import. For the evaluator, the catalogue's defaults, allowed values and
weight order are checked against what the kernels actually read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pytest

import modeldoc
from modeldoc import profile
from modeldoc.evaluator import _kernel
from modeldoc.flatgraph import flatten
from modeldoc.profile import CATALOGUE, EVALUATOR, REQUIRED, TARGETS, TFJS, CatalogueError, Config, _catalogue
from tests.testutil import FIXTURES, ROOT


def _table(target: str) -> Mapping[str, Any]:
    if target == EVALUATOR:
        from modeldoc.evaluator._registry import BUILDERS
        return BUILDERS
    if target == TFJS:
        from modeldoc.tfjs._support import LAYERS, WRAPPERS
        return {**LAYERS, **dict.fromkeys(WRAPPERS)}
    pytest.importorskip("onnx")
    from modeldoc.onnx._support import TABLE
    return TABLE


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_has_exactly_the_catalogue_s_types(target: str) -> None:
    table = _table(target)
    assert profile.mismatch(target, table) == []
    assert set(table) == profile.types_for(target)


@pytest.mark.parametrize("target", TARGETS)
def test_a_catalogue_type_without_a_kernel_is_an_error(target: str) -> None:
    table = dict(_table(target))
    for layer_type in sorted(profile.types_for(target)):
        without = {k: v for k, v in table.items() if k != layer_type}
        with pytest.raises(CatalogueError, match=f"without a kernel: {layer_type}$"):
            profile.kernels(target, without)


@pytest.mark.parametrize("target", TARGETS)
def test_a_kernel_without_a_catalogue_entry_is_an_error(target: str) -> None:
    table = dict(_table(target))
    with pytest.raises(CatalogueError, match="no entry at all: Frobnicate"):
        profile.kernels(target, {**table, "Frobnicate": None})
    other = sorted(t for t, e in CATALOGUE.items() if target not in e.targets)
    assert other, "every type is on every target: the test below would test nothing"
    with pytest.raises(CatalogueError, match=f"does not give this target: {other[0]}$"):
        profile.kernels(target, {**table, other[0]: None})


def test_every_entry_is_complete() -> None:
    for name, entry in CATALOGUE.items():
        assert entry.type == name and entry.targets and entry.targets <= set(TARGETS)
        assert entry.dtype in profile.DTYPE_RULES
        # A type of the core profile is one the evaluator implements, and the reverse.
        assert (entry.section is not None) == (EVALUATOR in entry.targets), name
        names = [m.name for m in entry.members]
        assert len(names) == len(set(names)), name
        for w in entry.weights:
            assert all(entry.member(m) is not None for m, _ in w.when), (name, w.name)


# Values for the members Keras has no default for, so that a config of defaults is a whole config.
SAMPLES: dict[str, Any] = {
    "units": 2, "filters": 2, "kernel_size": 1, "input_dim": 3, "output_dim": 2, "target_shape": [-1],
    "dims": [1], "n": 2, "num_heads": 1, "key_dim": 2, "height": 1, "width": 1, "newshape": [-1],
}
SAMPLE_BY_TYPE: dict[tuple[str, str], Any] = {
    ("Activation", "activation"): "relu", ("Rescaling", "scale"): 0.5, ("CustomScaleLayer", "scale"): 0.5,
    ("Bidirectional", "layer"): {"class_name": "LSTM", "config": {"units": 2}},
    ("TimeDistributed", "layer"): {"class_name": "Dense", "config": {"units": 2}},
}


def _defaults(entry: profile.LayerType) -> dict[str, Any]:
    """A config holding every member: its catalogue default, or a sample where Keras has none."""
    config = {}
    for m in entry.members:
        config[m.name] = SAMPLE_BY_TYPE.get((entry.type, m.name), SAMPLES.get(m.name)) if m.required else m.default
    return config


class _Recording(Config):
    """A Config that notes which members a builder reads and with which default."""

    def __init__(self, config: dict[str, Any], layer_type: str) -> None:
        super().__init__(config, "/model/layers/0", layer_type)
        self.read: dict[str, Any] = {}

    def raw(self, member: str, default: Any = profile.FROM_CATALOGUE) -> Any:
        self.read.setdefault(member, default)
        return super().raw(member, default)

    def require(self, member: str, allowed: Any, why: str = "") -> None:
        self.read.setdefault(member, profile.FROM_CATALOGUE)
        super().require(member, allowed, why)

    def required(self, *members: str) -> None:
        for member in members:
            self.read.setdefault(member, REQUIRED)
        super().required(*members)

    def optional_number(self, member: str) -> float | None:
        self.read.setdefault(member, None)
        return super().optional_number(member)


def _build(layer_type: str, config: dict[str, Any]) -> _Recording:
    from modeldoc.evaluator._registry import BUILDERS
    cfg = _Recording(config, layer_type)
    BUILDERS[layer_type](cfg)
    return cfg


EVALUATOR_TYPES = sorted(profile.types_for(EVALUATOR))


@pytest.mark.parametrize("layer_type", EVALUATOR_TYPES)
def test_the_catalogue_s_defaults_are_values_the_evaluator_accepts(layer_type: str) -> None:
    cfg = _build(layer_type, _defaults(CATALOGUE[layer_type]))
    assert cfg.findings == []


@pytest.mark.parametrize("layer_type", EVALUATOR_TYPES)
def test_the_evaluator_reads_the_catalogue_s_members_with_its_defaults(layer_type: str) -> None:
    entry = CATALOGUE[layer_type]
    cfg = _build(layer_type, _defaults(entry))
    read = {m: d for m, d in cfg.read.items() if m != "dtype"}
    assert sorted(set(read) - {m.name for m in entry.members}) == [], "members read but not in the catalogue"
    unread = [m.name for m in entry.members if m.name not in read and not m.values.startswith("ignored")]
    assert unread == [], "catalogue members the evaluator does not read"
    for member, default in read.items():
        m = entry.member(member)
        assert m is not None
        if not m.required and default is not profile.FROM_CATALOGUE:
            assert default == m.default, (member, default, m.default)
    # Absent members read as the catalogue's defaults: the same findings as with every default written out.
    required = {m.name: v for m, v in zip(entry.members, _defaults(entry).values()) if m.required}
    assert _build(layer_type, required).findings == []


ONLY = [(t, m.name) for t in EVALUATOR_TYPES for m in CATALOGUE[t].members if m.only]


@pytest.mark.parametrize(("layer_type", "member"), ONLY)
def test_a_value_outside_only_is_refused_at_the_member(layer_type: str, member: str) -> None:
    config = {**_defaults(CATALOGUE[layer_type]), member: "not-an-allowed-value"}
    cfg = _build(layer_type, config)
    assert [(f.code, f.pointer) for f in cfg.findings] == [("EVAL_UNSUPPORTED", f"/model/layers/0/config/{member}")]


@pytest.mark.parametrize("layer_type", [t for t in EVALUATOR_TYPES if CATALOGUE[t].required_members()])
def test_an_absent_required_member_is_refused_at_the_member(layer_type: str) -> None:
    entry = CATALOGUE[layer_type]
    for m in entry.required_members():
        config = {k: v for k, v in _defaults(entry).items() if k != m.name}
        pointers = {f.pointer for f in _build(layer_type, config).findings}
        assert f"/model/layers/0/config/{m.name}" in pointers


ZOO = sorted((FIXTURES / "valid").glob("keras-zoo-*-base64.json"))


@pytest.mark.parametrize("path", ZOO, ids=[p.stem for p in ZOO])
def test_the_evaluator_takes_weights_in_the_catalogue_s_order(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every weight each kernel takes, by position, is the one the catalogue names there."""
    taken: dict[tuple[str, int], str] = {}
    weight, skip = _kernel.Ctx.weight, _kernel.Ctx.skip

    def record(fn: Any) -> Any:
        def wrapped(self: _kernel.Ctx, role: str, shape: tuple[int, ...]) -> Any:
            taken[(self.pointer, self.offset + self._next)] = role
            return fn(self, role, shape)
        return wrapped

    monkeypatch.setattr(_kernel.Ctx, "weight", record(weight))
    monkeypatch.setattr(_kernel.Ctx, "skip", record(skip))
    doc = modeldoc.load(path)
    assert doc.test_vectors
    vector = doc.test_vectors[0]
    modeldoc.evaluate(doc, {name: doc.tensors[tensor] for name, tensor in vector.inputs.items()})
    checked = 0
    for call in flatten(doc).layers():
        want = profile.weight_names(call.layer.type, call.layer.config)
        got = [taken.get((call.pointer, k)) for k in range(len(call.layer.weights))]
        assert got == want, call.path
        checked += len(want)
    assert checked or "activations" in path.name or "shapes" in path.name


# Layer types with weights that no keras-zoo fixture holds: (type, config, weight shapes, number of inputs).
UNZOOED = [
    ("SeparableConv1D", {"filters": 2, "kernel_size": 1}, [(1, 2, 1), (1, 2, 2), (2,)], 1),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 1}, [(1, 2, 2), (2,)], 1),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, [(), ()], 2),
    ("AdditiveAttention", {}, [(2,)], 2),
    ("GroupNormalization", {"groups": 1}, [(2,), (2,)], 1),
]


@pytest.mark.parametrize(("layer_type", "config", "shapes", "n_inputs"), UNZOOED, ids=[u[0] for u in UNZOOED])
def test_the_other_weighted_kernels_take_weights_in_the_catalogue_s_order(
        layer_type: str, config: dict[str, Any], shapes: list[tuple[int, ...]], n_inputs: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[str] = []
    weight = _kernel.Ctx.weight

    def record(self: _kernel.Ctx, role: str, shape: tuple[int, ...]) -> Any:
        taken.append(role)
        return weight(self, role, shape)

    monkeypatch.setattr(_kernel.Ctx, "weight", record)
    names = [f"w{k}" for k in range(len(shapes))]
    inputs = [modeldoc.Input(f"x{k}", "float32", [None, 3, 2]) for k in range(n_inputs)]
    graph = modeldoc.Graph([modeldoc.Layer("l", layer_type, config, names)], inputs,
                           [modeldoc.Node("l", [i.name for i in inputs], ["y"])], ["y"])
    tensors = {n: np.full(s, 0.5, np.float32) for n, s in zip(names, shapes)}
    doc = modeldoc.Document(graph, tensors, producer=modeldoc.Producer(framework="keras"))
    modeldoc.evaluate(doc, {i.name: np.ones((1, 3, 2), np.float32) for i in inputs})
    assert taken == profile.weight_names(layer_type, config)
    assert len(taken) == len(shapes)


def test_weight_names_follow_the_config() -> None:
    assert profile.weight_names("GRU", {"units": 2, "use_bias": False}) == ["kernel", "recurrent_kernel"]
    assert profile.weight_names("Attention", {"use_scale": True, "score_mode": "concat"}) == [
        "scale", "concat_score_weight"]
    assert profile.weight_names("Normalization", {"mean": 0.5, "variance": 2.0}) == []
    assert profile.weight_names("Normalization", {}) == ["mean", "variance", "count"]
    lstm = {"class_name": "LSTM", "config": {"units": 2, "use_bias": False}}
    assert profile.weight_names("Bidirectional", {"layer": lstm}) == ["kernel", "recurrent_kernel"] * 2
    assert profile.weight_names("TimeDistributed", {"layer": {"class_name": "Dense", "config": {}}}) == [
        "kernel", "bias"]


def test_one_config_reader_refuses_with_the_caller_s_code_at_the_member() -> None:
    config = {"units": "two", "use_bias": 1, "padding": "reflect", "a/b": None}
    for code in ("EVAL_UNSUPPORTED", "ONNX_UNSUPPORTED"):
        cfg = Config(config, "/model/layers/3", "Dense", code=code)
        cfg.integer("units", minimum=1)
        cfg.flag("use_bias")
        cfg.choice("padding", "valid", ("valid", "same"))
        cfg.required("a/b", "kernel_size")
        assert [(f.code, f.pointer) for f in cfg.findings] == [
            (code, "/model/layers/3/config/units"), (code, "/model/layers/3/config/use_bias"),
            (code, "/model/layers/3/config/padding"), (code, "/model/layers/3/config/kernel_size")]
        assert all("\n" not in f.message for f in cfg.findings)


def test_the_catalogue_imports_no_framework() -> None:
    import subprocess
    import sys
    code = ("import sys, modeldoc.profile; print([m for m in ('keras', 'tensorflow', 'onnx', 'onnxruntime') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _generate() -> Any:
    import importlib
    import sys
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module("generate")


def test_spec_md_holds_the_tables_the_catalogue_generates() -> None:
    spec = (ROOT / "spec.md").read_bytes()
    assert _generate().spec_with_codes()["spec.md"] == spec


def test_a_catalogue_change_changes_the_generated_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """What --check compares: a default changed in the catalogue shows in spec.md's table of its section."""
    generate = _generate()
    before = generate.spec_with_codes()["spec.md"].decode()
    entry = CATALOGUE["LeakyReLU"]
    changed = profile.LayerType(entry.type, entry.section, (profile.Member("negative_slope", 0.25),), entry.weights,
                                entry.dtype, entry.targets)
    monkeypatch.setitem(_catalogue.CATALOGUE, "LeakyReLU", changed)
    after = generate.spec_with_codes()["spec.md"].decode()
    assert "`negative_slope` (`0.3`)" in before and "`negative_slope` (`0.25`)" in after
    assert before.replace("`negative_slope` (`0.3`)", "`negative_slope` (`0.25`)") == after


def test_data_format_null_is_refused_and_upsampling1d_has_no_interpolation() -> None:
    """Two places where the evaluator now follows spec.md 15.1 and 15.9 as the generated tables state them."""
    conv = _build("Conv2D", {"filters": 1, "kernel_size": 1, "data_format": None})
    assert [f.pointer for f in conv.findings] == ["/model/layers/0/config/data_format"]
    assert _build("UpSampling1D", {"interpolation": "bilinear"}).findings == []
    assert [f.pointer for f in _build("UpSampling2D", {"interpolation": "bilinear"}).findings] == [
        "/model/layers/0/config/interpolation"]


def test_the_weight_order_tests_cover_every_evaluator_type_with_weights() -> None:
    import json
    in_zoo: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for key in ("type", "class_name"):
                if isinstance(x.get(key), str):
                    in_zoo.add(x[key])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path in ZOO:
        walk(json.loads(path.read_text("utf-8"))["model"])
    weighted = {t for t in EVALUATOR_TYPES if CATALOGUE[t].weights}
    assert sorted(weighted - in_zoo - {u[0] for u in UNZOOED}) == []
