"""from-keras, to-keras and upgrade on real files; upgrade inputs built with the two legacy recipes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.keras_adapter.keras_helpers import ENCODINGS, QUIET, keras, outputs, perturb, rand, weights

pytestmark = QUIET

import modeldoc
import modeldoc.keras as mk
from modeldoc.cli import main

L = keras.layers


def small_model() -> Any:
    m = keras.Sequential([keras.Input((6, 6, 1), name="image"), L.Conv2D(2, 3, name="conv"),
                          L.BatchNormalization(name="bn"), L.Flatten(name="flatten"), L.Dense(3, name="head")])
    perturb(m)
    return m


def run(*argv: str) -> int:
    return main(list(argv))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_from_keras_file_then_to_keras(tmp_path: Path, suffix: str, capsys: Any) -> None:
    m = small_model()
    src = tmp_path / f"model{suffix}"
    m.save(src)
    x = rand(2, 6, 6, 1)
    for encoding in ENCODINGS:
        doc_path = tmp_path / f"model.{encoding}"
        assert run("from-keras", str(src), str(doc_path), "--encoding", encoding, "--test-vectors", "1") == 0
        assert modeldoc.validate(doc_path).ok
        out = tmp_path / f"back-{encoding}.keras"
        assert run("to-keras", str(doc_path), str(out)) == 0, capsys.readouterr().err
        back = keras.models.load_model(out)  # a plain .keras that Keras itself loads
        assert weights(back) == weights(m)
        assert outputs(back, x) == outputs(m, x)
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_cli_errors_are_one_line(tmp_path: Path, capsys: Any) -> None:
    assert run("from-keras", str(tmp_path / "missing.keras"), str(tmp_path / "o.json")) == 2
    (tmp_path / "junk.keras").write_bytes(b"not a model")
    assert run("from-keras", str(tmp_path / "junk.keras"), str(tmp_path / "o.json")) == 1
    doc = tmp_path / "d.json"
    modeldoc.save(mk.from_keras(small_model()), doc)
    assert run("to-keras", str(doc), str(tmp_path / "out.h5")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KERAS_INVALID_INPUT" in err and "*.keras" in err


# --- upgrade: the two hand-rolled shapes, written exactly as a user would --------------------------


def legacy_weights(model: Any) -> dict[str, Any]:
    return {f"layer_{i}_weight_{j}": w.tolist() for i, layer in enumerate(model.layers)
            for j, w in enumerate(layer.get_weights())}


def recipe_1(model: Any) -> dict[str, Any]:
    return {"model_config": [{"name": layer.name, "class": layer.__class__.__name__, "config": layer.get_config()}
                             for layer in model.layers],
            "weights": legacy_weights(model)}


def recipe_2(model: Any) -> dict[str, Any]:
    return {"model_json": model.to_json(), "weights": legacy_weights(model)}


def functional_model() -> Any:
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    m = keras.Model([a, b], L.Dense(2, name="out")(L.Concatenate(name="cat")([L.Dense(3, name="d")(a), b])))
    perturb(m)
    return m


@pytest.mark.parametrize("recipe", [recipe_1, recipe_2])
def test_upgrade_sequential(tmp_path: Path, recipe: Any) -> None:
    m = small_model()
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(recipe(m)))
    out = tmp_path / "model.msgpack"
    argv = ["upgrade", str(legacy), str(out), "--encoding", "msgpack"]
    # recipe_1's layer configs (Keras 3 get_config) carry no input shape: the weights decide it here,
    # since only a 6x6 image makes the Flatten feed the Dense kernel's 32 rows.
    assert run(*argv) == 0
    doc = modeldoc.load(out)
    assert doc.model.layers[0].model is not None and doc.model.layers[0].model.inputs[0].shape == [None, 6, 6, 1]
    back = mk.to_keras(doc)
    x = rand(2, 6, 6, 1)
    assert [b for _, b in weights(back)] == [b for _, b in weights(m)]
    assert outputs(back, x) == outputs(m, x)


def test_upgrade_functional_model_json(tmp_path: Path) -> None:
    m = functional_model()
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(recipe_2(m)))
    assert run("upgrade", str(legacy), str(tmp_path / "m.json")) == 0
    back = mk.to_keras(modeldoc.load(tmp_path / "m.json"))
    x = [rand(2, 4), rand(2, 4, seed=1)]
    assert weights(back) == weights(m) and outputs(back, x) == outputs(m, x)


def test_upgrade_refuses_weights_it_cannot_place(tmp_path: Path, capsys: Any) -> None:
    m = functional_model()
    legacy = recipe_2(m)
    legacy["weights"]["layer_9_weight_0"] = [1.0]
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(legacy))
    assert run("upgrade", str(path), str(tmp_path / "m.json")) == 1
    assert "KERAS_MISMATCH" in capsys.readouterr().err
    del legacy["weights"]["layer_9_weight_0"]
    legacy["weights"]["layer_2_weight_0"] = np.zeros((5, 3)).tolist()
    path.write_text(json.dumps(legacy))
    assert run("upgrade", str(path), str(tmp_path / "m.json")) == 1
    assert not (tmp_path / "m.json").exists()


def test_cli_and_adapter_import_no_framework() -> None:
    import subprocess
    import sys

    code = ("import sys, modeldoc.cli, modeldoc.keras, modeldoc.keras.cli\n"
            "modeldoc.cli.build_parser()\n"
            "print([m for m in ('tensorflow', 'keras', 'h5py') if m in sys.modules])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_outputs_follow_the_extension_force_and_stdin(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    import io
    import sys

    m = small_model()
    src = tmp_path / "m.keras"
    m.save(src)
    assert run("from-keras", str(src), str(tmp_path / "a.msgpack")) == 0
    assert modeldoc.validate(tmp_path / "a.msgpack").container == "msgpack"
    assert run("from-keras", str(src), str(tmp_path / "b.json"), "--encoding", "msgpack") == 2
    assert not (tmp_path / "b.json").exists() and "USAGE" in capsys.readouterr().err
    assert run("from-keras", str(src), str(tmp_path / "a.msgpack")) == 2  # exists
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(src.read_bytes())))
    assert run("from-keras", "-", str(tmp_path / "c.json")) == 0
    assert modeldoc.load(tmp_path / "c.json") == modeldoc.load(tmp_path / "a.msgpack")
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(recipe_1(m)))
    assert run("upgrade", str(legacy), str(tmp_path / "u.msgpack")) == 0
    assert modeldoc.validate(tmp_path / "u.msgpack").container == "msgpack"
    assert run("upgrade", str(legacy), str(tmp_path / "u.json"), "--encoding", "msgpack") == 2
    existing = tmp_path / "old.keras"
    existing.write_bytes(b"old")
    assert run("to-keras", str(tmp_path / "c.json"), str(existing)) == 2 and existing.read_bytes() == b"old"
    assert run("to-keras", str(tmp_path / "c.json"), str(existing), "--force") == 0
    assert weights(keras.models.load_model(existing)) == weights(m)
