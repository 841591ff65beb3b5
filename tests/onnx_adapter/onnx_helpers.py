"""Shared helpers of the ONNX export tests: Keras-built documents, made once per test run."""

from __future__ import annotations

import functools
import os
import warnings

import modeldoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TEST_VECTORS = 2


@functools.lru_cache(maxsize=None)
def zoo_doc(name: str) -> modeldoc.Document:
    """The zoo model ``name`` exported by modeldoc.keras with two test vectors that Keras computed."""
    from modeldoc.keras import from_keras
    from modeldoc.keras._zoo import build

    return from_keras(build(name), test_vectors=TEST_VECTORS)


@functools.lru_cache(maxsize=None)
def extra_doc(name: str) -> modeldoc.Document:
    """A model of onnx_extra_models exported the same way."""
    from modeldoc.keras import from_keras

    from onnx_extra_models import build_extra

    with warnings.catch_warnings():  # Keras warns that rms_scaling (used by "norms") is deprecated
        warnings.simplefilter("ignore", UserWarning)
        return from_keras(build_extra(name), test_vectors=TEST_VECTORS)


# Zoo models the exporter refuses, with a word of the reason its finding gives (their keras-zoo fixtures too).
ZOO_REFUSED = {"applications": "type 'Rescaling' has no ONNX mapping"}
