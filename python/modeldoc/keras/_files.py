"""Reading Keras files (.keras and legacy .h5) without letting Keras interpret their config.

``keras.saving.load_model`` deserializes the config it finds in the file, and
for legacy HDF5 files it ignores ``safe_mode`` altogether (CVE-2025-9905). So
the adapter reads the config itself (``config.json`` in the zip, the
``model_config`` attribute in HDF5), runs it through the allowlist, builds the
model from the cleaned config, and only then lets Keras read the weights, with
functions that read tensors and never look at the config.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

from ..errors import ModelDocError
from ..writer import atomic_path
from ._allowlist import Resolver
from ._errors import refuse
from ._import import build

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_CONFIG_BYTES = 256 * 2**20


def load_keras_file(path: str, *, safe: bool = True, custom_objects: dict[str, Any] | None = None) -> Any:
    """The Keras model stored at ``path`` (``.keras`` zip or legacy ``.h5``), built through the allowlist."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ModelDocError.of("IO_UNREADABLE", "", f"cannot read {path!r}: {e.strerror}") from None
    if head == HDF5_SIGNATURE:
        return _load_h5(path, safe, custom_objects)
    if zipfile.is_zipfile(path):
        return _load_zip(path, safe, custom_objects)
    refuse("KERAS_INVALID_INPUT", "", f"{path!r} is neither a .keras (zip) nor a legacy .h5 (HDF5) file")


def parse_config(text: bytes | str, what: str) -> Any:
    """JSON text of a Keras config; duplicate keys and overly deep nesting are errors, not surprises."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                refuse("KERAS_INVALID_INPUT", "", f"{what} has the key {k!r} twice")
            out[k] = v
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError) as e:
        if isinstance(e, ModelDocError):
            raise
        refuse("KERAS_INVALID_INPUT", "", f"{what} is not valid JSON: {type(e).__name__}: {str(e)[:200]}")


def model_from_config(config: Any, resolver: Resolver, what: str) -> Any:
    """Build a model from a Keras model config, every name resolved by ``resolver`` first."""
    if not isinstance(config, dict) or config.get("class_name") not in ("Functional", "Sequential", "Model"):
        refuse("KERAS_INVALID_INPUT", "/class_name", f"{what} is not a Functional or Sequential model config")
    clean = resolver.clean(config)
    return build(clean, resolver, resolver.safe, "")


def _load_zip(path: str, safe: bool, custom_objects: dict[str, Any] | None) -> Any:
    from keras.src.saving.saving_lib import DiskIOStore, H5IOStore, _load_state  # type: ignore[import-untyped]

    if not path.endswith(".keras"):
        refuse("KERAS_INVALID_INPUT", "", f"{path!r} is a zip file; Keras model archives are named *.keras")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "config.json" not in names or "model.weights.h5" not in names:
            refuse("KERAS_INVALID_INPUT", "", f"{path!r} lacks config.json or model.weights.h5")
        if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
            refuse("KERAS_INVALID_INPUT", "", "config.json is larger than 256 MiB")
        config = parse_config(archive.read("config.json"), "config.json")
        model = model_from_config(config, Resolver(custom_objects, safe=safe), "config.json")
        # Weights and assets (lookup vocabularies) only: these stores read tensors and files, not config.
        weights = H5IOStore("model.weights.h5", archive=archive, mode="r")
        assets = DiskIOStore("assets", archive=archive, mode="r") if any(n.startswith("assets/") for n in names) else None
        try:
            _load_state(model, weights_store=weights, assets_store=assets, inner_path="", visited_saveables=set())
        except Exception as e:  # Keras reports a mismatch between config and weights in many ways
            refuse("KERAS_MISMATCH", "", f"the weights in {path!r} do not fit its config: {type(e).__name__}: {str(e)[:200]}")
        finally:
            weights.close()
            if assets is not None:
                assets.close()
    return model


def _load_h5(path: str, safe: bool, custom_objects: dict[str, Any] | None) -> Any:
    import h5py  # type: ignore[import-untyped]
    from keras.src.legacy.saving import legacy_h5_format  # type: ignore[import-untyped]

    with h5py.File(path, "r") as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            refuse("KERAS_INVALID_INPUT", "", f"{path!r} holds weights only (no model_config); nothing to rebuild")
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        config = parse_config(text, "model_config")
        model = model_from_config(config, Resolver(custom_objects, safe=safe), "model_config")
        group = f["model_weights"] if "model_weights" in f else f
        try:
            # Reads each layer's weight arrays by topological order; never reads model_config.
            legacy_h5_format.load_weights_from_hdf5_group(group, model)
        except Exception as e:
            refuse("KERAS_MISMATCH", "", f"the weights in {path!r} do not fit its config: {type(e).__name__}: {str(e)[:200]}")
    return model


def save_keras_atomic(model: Any, path: str) -> None:
    """``model.save`` to a temporary ``.keras`` beside ``path``, then rename: the target is old or complete."""
    if not path.endswith(".keras"):
        raise ModelDocError.of("WRITE_FAILED", "", f"{path!r}: a Keras model file must be named *.keras")
    with atomic_path(path, suffix=".keras") as tmp:  # Keras insists on the .keras suffix
        model.save(tmp)

