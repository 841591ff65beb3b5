"""Optional extras: a command whose framework is not installed says how to install it (a usage error).

``pip install modeldoc`` brings the core only; the Keras and ONNX commands need the extras
``modeldoc[keras]`` and ``modeldoc[onnx]``. A missing one is the user's setup, not a bug and not
bad input: ``modeldoc.cli.main`` prints the install line and exits 2.
"""

from __future__ import annotations

import importlib


class MissingExtra(Exception):
    """A command needs an optional extra that is not installed."""

    def __init__(self, command: str, extra: str, module: str) -> None:
        super().__init__(f"{command} needs the optional extra '{extra}' ({module} is not installed): "
                         f"pip install 'modeldoc[{extra}]'")
        self.extra = extra
        self.module = module


def require(command: str, extra: str, *modules: str) -> None:
    """Import ``modules`` (the command is about to use them); raise MissingExtra for the first missing one."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as e:  # a missing dependency of the module is the same setup problem
            raise MissingExtra(command, extra, e.name or name) from None
