"""The sequence-model layers of the core profile (spec.md 15.12 to 15.14), kept apart from the main registry."""

from __future__ import annotations

from ._attention import build_additive_attention, build_attention, build_group_norm, build_multi_head_attention
from ._kernel import Builder
from ._masking import ANY, NOT_EQUAL, build_any, build_global_average_1d, build_masking, build_not_equal
from ._wrappers import build_bidirectional, build_time_distributed


def sequence_builders(lookup: dict[str, Builder]) -> dict[str, Builder]:
    """Builders by type; the wrappers look their wrapped layer up in ``lookup`` (the whole registry)."""
    return {
        "Masking": build_masking,
        NOT_EQUAL: build_not_equal,
        ANY: build_any,
        # Replaces the plain one: with a mask it averages over the unmasked steps only.
        "GlobalAveragePooling1D": build_global_average_1d,
        "Bidirectional": build_bidirectional(lookup.get),
        "TimeDistributed": build_time_distributed(lookup.get),
        "MultiHeadAttention": build_multi_head_attention,
        "Attention": build_attention,
        "AdditiveAttention": build_additive_attention,
        "GroupNormalization": build_group_norm,
    }
