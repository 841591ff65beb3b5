"""Shared test settings and helpers."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, settings

import modeldoc
from modeldoc.document import Document, Graph, Input, Layer, Node

# CI gets a fixed seed so a red run can be reproduced; locally hypothesis explores.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def doc_with(tensors: dict[str, np.ndarray]) -> Document:
    """A minimal valid document whose one layer holds ``tensors``."""
    graph = Graph(
        layers=[Layer("layer", "Constant", {}, list(tensors))],
        inputs=[Input("x", "float32", [None])],
        nodes=[Node("layer", ["x"], ["y"])],
        outputs=["y"],
    )
    return Document(graph, dict(tensors))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def codes(report: modeldoc.Report) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in report.errors]
