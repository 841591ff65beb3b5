"""One test per known Keras attack class: a clear error, and the payload's marker file never appears.

Each payload, if run, touches a marker file. Where Keras itself would run it, a control shows
that (so the payload is real); then the adapter's path is shown to refuse it without running it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.keras_adapter.keras_helpers import QUIET, keras, rand
from tests.testutil import inner_model

pytestmark = QUIET

import modeldoc
import modeldoc.keras as mk
from modeldoc.cli import main


def touching_lambda(marker: Path) -> Any:
    """A lambda whose bytecode touches ``marker`` when Keras calls it (also while building a model)."""
    return eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")


def lambda_model(marker: Path) -> Any:
    x = keras.Input((3,))
    m = keras.Model(x, keras.layers.Dense(2)(keras.layers.Lambda(touching_lambda(marker), name="evil")(x)))
    marker.unlink()  # building the model ran the lambda once; start clean
    return m


def rewrite_keras_config(src: Path, dst: Path, edit: Any) -> None:
    """Copy a .keras archive, changing its config.json with ``edit(config)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(item, data)


def dense_keras_file(tmp_path: Path) -> Path:
    x = keras.Input((3,))
    m = keras.Model(x, keras.layers.Dense(2, name="dense")(x))
    path = tmp_path / "plain.keras"
    m.save(path)
    return path


def cli_refuses(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    return err


# --- CVE-2024-3660: marshaled Lambda bytecode -----------------------------------------------


def test_lambda_bytecode_in_keras_file_is_refused(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.keras"
    lambda_model(marker).save(path)
    err = cli_refuses(capsys, "from-keras", str(path), str(tmp_path / "out.json"))
    assert "KERAS_UNSAFE" in err and "Lambda" in err
    assert not marker.exists() and not (tmp_path / "out.json").exists()


def test_lambda_bytecode_in_document_is_refused_unless_unsafe(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    m = lambda_model(marker)
    with pytest.raises(modeldoc.ModelDocError) as e:
        mk.from_keras(m)  # writing code into a document needs consent too
    assert e.value.code == "KERAS_UNSAFE"
    doc_path = tmp_path / "evil.json"
    modeldoc.save(mk.from_keras(m, safe=False), doc_path)
    with pytest.raises(modeldoc.ModelDocError) as e:
        mk.to_keras(modeldoc.load(doc_path))
    assert e.value.code == "KERAS_UNSAFE" and "Lambda" in str(e.value)
    err = cli_refuses(capsys, "to-keras", str(doc_path), str(tmp_path / "out.keras"))
    assert "KERAS_UNSAFE" in err and "--unsafe" in err
    assert not marker.exists() and not (tmp_path / "out.keras").exists()
    # Control: the payload is real; with explicit consent it runs.
    mk.to_keras(modeldoc.load(doc_path), safe=False)
    assert marker.exists()


# --- CVE-2025-1550: arbitrary module and function named in a config ----------------------------


def _os_system_layer(config: dict[str, Any], marker: Path) -> None:
    layers = config["config"]["layers"]
    layers[1]["module"] = "os"
    layers[1]["class_name"] = "system"
    layers[1]["config"] = {"command": f"touch {marker}"}


def _builtins_eval_activation(config: dict[str, Any], marker: Path) -> None:
    layers = config["config"]["layers"]
    layers[1]["config"]["activation"] = {
        "module": "builtins", "class_name": "function", "registered_name": "exec",
        "config": f"__import__('pathlib').Path({str(marker)!r}).touch()",
    }


@pytest.mark.parametrize("edit", [_os_system_layer, _builtins_eval_activation])
def test_module_and_function_names_are_never_resolved(tmp_path: Path, capsys: Any, edit: Any) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.keras"
    rewrite_keras_config(dense_keras_file(tmp_path), evil, lambda c: edit(c, marker))
    err = cli_refuses(capsys, "from-keras", str(evil), str(tmp_path / "out.json"))
    assert "KERAS_UNKNOWN_CLASS" in err
    assert not marker.exists()


def test_hostile_document_names_are_never_resolved(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    x = keras.Input((3,))
    doc = mk.from_keras(keras.Model(x, keras.layers.Dense(2, name="dense")(x)))
    layer = inner_model(doc).layer("dense")
    for type_name, config in [
        ("os.system", {}),
        ("Dense", {"units": 2, "kernel_initializer": {"module": "subprocess", "class_name": "call",
                                                     "config": {"args": ["touch", str(marker)]}}}),
        ("Dense", {"units": 2, "activation": "keras.config.enable_unsafe_deserialization"}),
    ]:
        layer.type, layer.config = type_name, config
        with pytest.raises(modeldoc.ModelDocError) as e:
            mk.to_keras(modeldoc.loads(modeldoc.dumps(doc)))
        assert e.value.code == "KERAS_UNKNOWN_CLASS", e.value
        assert e.value.pointer.startswith("/model/layers/0/model/layers/0/")
    assert not marker.exists()


# --- CVE-2025-8747, CVE-2025-9906: a nested call that turns safe mode off or loads another model -----


def _unsafe_switch_then_lambda(config: dict[str, Any], lambda_entry: dict[str, Any]) -> None:
    layers = config["config"]["layers"]
    layers[1]["config"]["kernel_initializer"] = {
        "module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization",
        "registered_name": "enable_unsafe_deserialization"}
    layers.insert(2, lambda_entry)


def _nested_load_model(config: dict[str, Any], other: Path) -> None:
    layers = config["config"]["layers"]
    layers[1]["config"]["kernel_initializer"] = {
        "module": "keras.saving", "class_name": "function", "config": "load_model", "registered_name": None}
    layers[1]["config"]["kernel_regularizer"] = {
        "module": "keras.models", "class_name": "load_model",
        "config": {"filepath": str(other), "safe_mode": False}, "registered_name": None}


def test_safe_mode_cannot_be_switched_off_from_a_file(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    lambda_path = tmp_path / "lambda.keras"
    lambda_model(marker).save(lambda_path)
    with zipfile.ZipFile(lambda_path) as z:
        lambda_entry = next(e for e in json.loads(z.read("config.json"))["config"]["layers"]
                            if e["class_name"] == "Lambda")
    evil = tmp_path / "evil.keras"
    rewrite_keras_config(dense_keras_file(tmp_path), evil, lambda c: _unsafe_switch_then_lambda(c, lambda_entry))
    err = cli_refuses(capsys, "from-keras", str(evil), str(tmp_path / "out.json"))
    assert "KERAS_UNKNOWN_CLASS" in err and "enable_unsafe_deserialization" in err
    from keras.src.saving.serialization_lib import in_safe_mode

    assert in_safe_mode() in (None, True)
    assert not marker.exists()


def test_nested_load_model_is_refused(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    other = tmp_path / "lambda.keras"
    lambda_model(marker).save(other)
    evil = tmp_path / "evil.keras"
    rewrite_keras_config(dense_keras_file(tmp_path), evil, lambda c: _nested_load_model(c, other))
    err = cli_refuses(capsys, "from-keras", str(evil), str(tmp_path / "out.json"))
    assert "KERAS_UNKNOWN_CLASS" in err and "load_model" in err
    assert not marker.exists()


# --- CVE-2025-9905: legacy HDF5 path that ignores safe mode -----------------------------------


def test_legacy_h5_lambda_is_refused(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.h5"
    lambda_model(marker).save(path)  # Keras writes legacy HDF5 with the lambda's bytecode
    err = cli_refuses(capsys, "from-keras", str(path), str(tmp_path / "out.json"))
    assert "KERAS_UNSAFE" in err
    assert not marker.exists()


def test_legacy_json_lambda_is_refused_by_upgrade(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "pwned"
    m = lambda_model(marker)
    recipes = {
        "model_json": {"model_json": m.to_json(), "weights": {}},
        "model_config": {"model_config": [{"name": x.name, "class": type(x).__name__, "config": x.get_config()}
                                          for x in m.layers], "weights": {}},
    }
    for name, legacy in recipes.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(legacy))
        err = cli_refuses(capsys, "upgrade", str(path), str(tmp_path / "out.json"))
        assert "KERAS_UNSAFE" in err, name
    assert not marker.exists()


def test_refusals_name_what_cannot_be_represented() -> None:
    s = keras.Input((1,), dtype="string")
    m = keras.Model(s, keras.layers.StringLookup(vocabulary=["a", "b"])(s))
    with pytest.raises(modeldoc.ModelDocError) as e:
        mk.from_keras(m)
    assert e.value.code == "KERAS_UNSUPPORTED" and "strings" in str(e.value)
    ids = keras.Input((2,), dtype="int64")
    inv = keras.Model(ids, keras.layers.StringLookup(vocabulary=["a", "b"], invert=True)(ids))
    doc = mk.from_keras(inv)  # the model itself is fine
    assert mk.to_keras(doc).get_layer(inv.layers[-1].name).get_vocabulary() == ["[UNK]", "a", "b"]
    with pytest.raises(modeldoc.ModelDocError) as e:
        mk.from_keras(inv, test_vectors=1)  # its string outputs cannot be a tensor
    assert e.value.code == "KERAS_UNSUPPORTED"
    assert rand(1).shape == (1,)
