"""Input/output structures of a Keras model config, as flat lists plus a placeholder skeleton.

Keras writes a model's inputs and outputs as a structure (list, dict, nesting)
whose leaves are ``[layer_name, node_index, tensor_index]``. ModelDoc graphs
have flat, ordered inputs and outputs; the skeleton keeps the structure, with
leaf *i* replaced by the integer *i*. Dicts flatten in sorted key order, as
Keras' own ``tree.flatten`` does, so flat position *i* is the *i*-th tensor
Keras returns.
"""

from __future__ import annotations

from typing import Any, Callable


def is_ref(x: Any) -> bool:
    return (
        isinstance(x, list) and len(x) == 3 and isinstance(x[0], str)
        and isinstance(x[1], int) and isinstance(x[2], int)
    )


def flatten_refs(struct: Any) -> tuple[list[list[Any]], Any]:
    """The leaves of ``struct`` in Keras order, and the skeleton with leaf indexes in their place."""
    leaves: list[list[Any]] = []

    def walk(x: Any) -> Any:
        if is_ref(x):
            leaves.append(x)
            return len(leaves) - 1
        if isinstance(x, dict):
            return {k: walk(x[k]) for k in sorted(x)}
        if isinstance(x, list):
            return [walk(v) for v in x]
        raise ValueError(f"unexpected item {x!r} in a model's input or output structure")

    skeleton = walk(struct)
    return leaves, skeleton


def is_flat(skeleton: Any, n: int) -> bool:
    return bool(skeleton == list(range(n)))


def fill(skeleton: Any, leaf: Callable[[int], Any]) -> Any:
    """The skeleton with each leaf index *i* replaced by ``leaf(i)``."""
    if isinstance(skeleton, bool):
        raise ValueError("a structure leaf must be an integer")
    if isinstance(skeleton, int):
        return leaf(skeleton)
    if isinstance(skeleton, dict):
        return {k: fill(v, leaf) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [fill(v, leaf) for v in skeleton]
    raise ValueError(f"unexpected item {skeleton!r} in a structure")
