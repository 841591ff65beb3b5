"""ModelDoc: neural-network models as validated, versioned JSON or MessagePack.

The public API is what this module exports; every other module is private.
See spec.md for the format.

>>> import modeldoc
>>> doc = modeldoc.example_document()
>>> data = modeldoc.dumps(doc, encoding="list")
>>> modeldoc.validate(data).ok
True
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .digest import reader_report
from .document import FORMAT_VERSION, Document, Graph, Input, Layer, Node, Producer, TestVector
from .errors import Finding, ModelDocError
from .examples import example_document
from .lazy import LazyDocument, open
from .limits import Limits
from .reader import Report, load, loads, validate
from .writer import dumps, save, write

if TYPE_CHECKING:
    from .evaluator import evaluate

__all__ = [
    "FORMAT_VERSION",
    "Document",
    "Finding",
    "Graph",
    "Input",
    "Layer",
    "LazyDocument",
    "Limits",
    "ModelDocError",
    "Node",
    "Producer",
    "Report",
    "TestVector",
    "__version__",
    "dumps",
    "evaluate",
    "example_document",
    "load",
    "loads",
    "open",
    "reader_report",
    "save",
    "validate",
    "write",
]


def __getattr__(name: str) -> Any:
    # The evaluator (about 15 ms of imports) loads on first use, not with every `import modeldoc`.
    if name == "evaluate":
        from .evaluator import evaluate

        return evaluate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
