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
import warnings
import zipfile
from typing import Any

from ..errors import ModelDocError
from ..reader import read_file_bounded
from ..writer import atomic_path
from ._allowlist import Resolver
from ._errors import refuse
from ._import import build
from ._legacy import model_class, modernize

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_CONFIG_BYTES = 256 * 2**20


def load_keras_file(path: str, *, safe: bool = True, custom_objects: dict[str, Any] | None = None,
                    architecture: str | None = None) -> Any:
    """The Keras model stored at ``path`` (``.keras`` zip or legacy ``.h5``), built through the allowlist.

    A weights-only HDF5 file (``save_weights``) has no architecture: ``architecture`` names a file that
    supplies it (``model.to_json()`` text, or a ``.keras`` archive, whose config is used).
    """
    resolver = Resolver(custom_objects, safe=safe)
    kind = _kind(path)
    if kind == "hdf5":
        return _load_h5(path, resolver, architecture)
    if architecture is not None:
        refuse("KERAS_INVALID_INPUT", "", f"--model is for weights-only .h5 files; {path!r} holds its own model")
    if kind == "zip":
        return _load_zip(path, resolver)
    refuse("KERAS_INVALID_INPUT", "", f"{path!r} is neither a .keras (zip) nor a legacy .h5 (HDF5) file"
           + _what_it_is(path))


def _what_it_is(path: str) -> str:
    """'; this is ...' for a file of another known format (a JSON architecture, a tfjs model), else ''."""
    from ..foreign import describe

    try:
        head = read_file_bounded(path, MAX_CONFIG_BYTES)
    except ModelDocError:
        return ""
    tree = None
    if len(head) <= MAX_CONFIG_BYTES and head.lstrip()[:1] == b"{":
        try:
            tree = json.loads(head)
        except (ValueError, RecursionError):
            pass
    hint = describe(head[:64], tree)
    return f"; {hint}" if hint else ""


def _kind(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ModelDocError.of("IO_UNREADABLE", "", f"cannot read {path!r}: {e.strerror}") from None
    if head == HDF5_SIGNATURE:
        return "hdf5"
    return "zip" if zipfile.is_zipfile(path) else None


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
    if model_class(config) is None:
        refuse("KERAS_INVALID_INPUT", "/class_name", f"{what} is not a Functional or Sequential model config")
    clean = resolver.clean(modernize(config))
    return build(clean, resolver, resolver.safe, "")


def _zip_config(archive: zipfile.ZipFile, path: str) -> Any:
    names = set(archive.namelist())
    if "config.json" not in names or "model.weights.h5" not in names:
        refuse("KERAS_INVALID_INPUT", "", f"{path!r} lacks config.json or model.weights.h5")
    if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
        refuse("KERAS_INVALID_INPUT", "", "config.json is larger than 256 MiB")
    return parse_config(archive.read("config.json"), "config.json")


def _load_zip(path: str, resolver: Resolver) -> Any:
    from keras.src.saving.saving_lib import DiskIOStore, H5IOStore

    if not path.endswith(".keras"):
        refuse("KERAS_INVALID_INPUT", "", f"{path!r} is a zip file; Keras model archives are named *.keras")
    with zipfile.ZipFile(path) as archive:
        model = model_from_config(_zip_config(archive, path), resolver, "config.json")
        # Weights and assets (lookup vocabularies) only: these stores read tensors and files, not config.
        weights = H5IOStore("model.weights.h5", archive=archive, mode="r")
        has_assets = any(n.startswith("assets/") for n in archive.namelist())
        assets = DiskIOStore("assets", archive=archive, mode="r") if has_assets else None
        try:
            _fill_state(model, weights, assets, path)
        finally:
            weights.close()
            if assets is not None:
                assets.close()
    return model


def _fill_state(model: Any, weights: Any, assets: Any, path: str) -> None:
    from keras.src.saving.saving_lib import _load_state

    try:
        with warnings.catch_warnings():  # e.g. an optimizer's state that is not loaded: not the user's concern
            warnings.simplefilter("ignore")
            _load_state(model, weights_store=weights, assets_store=assets, inner_path="", visited_saveables=set())
    except Exception as e:  # Keras reports a mismatch between config and weights in many ways
        refuse("KERAS_MISMATCH", "", f"the weights in {path!r} do not fit its model: {type(e).__name__}: {str(e)[:200]}")


def _architecture(path: str, resolver: Resolver) -> Any:
    """The model an architecture file describes: ``model.to_json()`` text or a ``.keras`` archive."""
    kind = _kind(path)
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            return model_from_config(_zip_config(archive, path), resolver, "config.json")
    if kind == "hdf5":
        import h5py

        with h5py.File(path, "r") as h5:
            config = _h5_model_config(h5)
        if config is None:
            refuse("KERAS_INVALID_INPUT", "", f"--model {path!r} holds weights only, no architecture")
        return model_from_config(config, resolver, "model_config")
    text = read_file_bounded(path, MAX_CONFIG_BYTES)
    if len(text) > MAX_CONFIG_BYTES:
        refuse("KERAS_INVALID_INPUT", "", f"{path!r} is larger than 256 MiB")
    config = parse_config(text, path)
    if isinstance(config, dict) and isinstance(config.get("modelTopology"), dict):  # a tfjs Layers model.json
        config = config["modelTopology"]
        config = config.get("model_config", config)  # the tf.keras converter wraps it once more
    return model_from_config(config, resolver, path)


def _h5_model_config(f: Any) -> Any | None:
    """The parsed ``model_config`` attribute of an open HDF5 file; None for a weights-only file."""
    raw = f.attrs.get("model_config")
    if raw is None:
        return None
    return parse_config(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw), "model_config")


def _load_h5(path: str, resolver: Resolver, architecture: str | None) -> Any:
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "r") as f:
        config = _h5_model_config(f)
        if config is not None and architecture is not None:
            refuse("KERAS_INVALID_INPUT", "", f"--model is for weights-only .h5 files; {path!r} holds its own model")
        if config is None and architecture is None:
            refuse("KERAS_INVALID_INPUT", "", f"{path!r} holds weights only (no model_config); give the "
                   "architecture with --model ARCH (model.to_json() text, a .keras or full .h5 model, or a tfjs "
                   "model.json)")
        if config is None:
            model = _architecture(str(architecture), resolver)
        else:
            model = model_from_config(config, resolver, "model_config")
        if config is None and "layer_names" not in f.attrs and "model_weights" not in f:
            f.close()  # a Keras 3 .weights.h5: the store below opens it itself
            from keras.src.saving.saving_lib import H5IOStore

            store = H5IOStore(path, mode="r")
            try:
                _fill_state(model, store, None, path)
            finally:
                store.close()
            return model
        group = f["model_weights"] if "model_weights" in f else f
        try:
            # Reads each layer's weight arrays by topological order; never reads model_config.
            legacy_h5_format.load_weights_from_hdf5_group(group, model)
        except Exception as e:
            refuse("KERAS_MISMATCH", "", f"the weights in {path!r} do not fit its model: {type(e).__name__}: "
                   f"{str(e)[:200]}")
    return model


def save_keras_atomic(model: Any, path: str) -> None:
    """``model.save`` to a temporary ``.keras`` beside ``path``, then rename: the target is old or complete."""
    if not path.endswith(".keras"):
        raise ModelDocError.of("WRITE_FAILED", "", f"{path!r}: a Keras model file must be named *.keras")
    with atomic_path(path, suffix=".keras") as tmp:  # Keras insists on the .keras suffix
        model.save(tmp)

