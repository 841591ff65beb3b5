"""ModelDoc: neural-network models as validated, versioned JSON or MessagePack.

The public API is what this module exports; every other module is private.
See spec.md for the format.

>>> import modeldoc
>>> doc = modeldoc.example_document()
>>> data = modeldoc.dumps(doc, encoding="list")
>>> modeldoc.validate(data).ok
True
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# Each public name and the module that defines it. `import modeldoc` imports none of them (nor
# numpy): a name's module loads on its first use, so a command line that only parses its
# arguments, or a program that imports modeldoc and never calls it, does not pay for them.
_HOMES = {
    "FORMAT_VERSION": "document",
    "Document": "document",
    "Finding": "errors",
    "Graph": "document",
    "Input": "document",
    "Layer": "document",
    "LazyDocument": "lazy",
    "Limits": "limits",
    "ModelDocError": "errors",
    "Node": "document",
    "Producer": "document",
    "Report": "reader",
    "TestVector": "document",
    "dumps": "writer",
    "evaluate": "evaluator",
    "example_document": "examples",
    "load": "reader",
    "loads": "reader",
    "open": "lazy",
    "reader_report": "digest",
    "save": "writer",
    "validate": "reader",
    "write": "writer",
}

if TYPE_CHECKING:
    from .digest import reader_report
    from .document import FORMAT_VERSION, Document, Graph, Input, Layer, Node, Producer, TestVector
    from .errors import Finding, ModelDocError
    from .evaluator import evaluate
    from .examples import example_document
    from .lazy import LazyDocument, open
    from .limits import Limits
    from .reader import Report, load, loads, validate
    from .writer import dumps, save, write

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


# Hidden from type checkers, which take the public names from the imports above: a visible module __getattr__
# would let them accept any attribute of modeldoc (a misspelt name included) as Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value  # later look-ups are ordinary attribute reads
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
