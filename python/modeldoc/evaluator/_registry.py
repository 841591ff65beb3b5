"""The evaluator's kernels by layer type, checked against the catalogue (modeldoc.profile) at import.

Which types the evaluator supports is the catalogue's word: a type whose entry
names the evaluator needs a builder here, and a builder of a type whose entry
does not name it stops the import (``profile.CatalogueError``).
"""

from __future__ import annotations

from ..profile import EVALUATOR, kernels
from ._activations import build_activation, build_elu, build_leaky_relu, build_prelu, build_relu, build_softmax
from ._conv import build_conv, build_depthwise, build_separable, build_transpose
from ._dense import build_dense, build_embedding
from ._kernel import Builder
from ._merge import build_concatenate, build_merge
from ._norm import build_batch_norm, build_layer_norm
from ._ops import OPS
from ._pool import build_global, build_pool
from ._preprocess import PREPROCESSING
from ._recurrent import build_gru, build_lstm, build_simple_rnn
from ._registry_seq import sequence_builders
from ._shape import (
                     IDENTITIES,
                     build_cropping,
                     build_flatten,
                     build_identity,
                     build_permute,
                     build_repeat_vector,
                     build_reshape,
                     build_upsampling,
                     build_zero_padding,
)

_BUILDERS: dict[str, Builder] = {
    "Dense": build_dense,
    "Embedding": build_embedding,
    "Activation": build_activation,
    "ReLU": build_relu,
    "LeakyReLU": build_leaky_relu,
    "ELU": build_elu,
    "PReLU": build_prelu,
    "Softmax": build_softmax,
    "Conv1D": build_conv(1),
    "Conv2D": build_conv(2),
    "Conv1DTranspose": build_transpose(1),
    "Conv2DTranspose": build_transpose(2),
    "DepthwiseConv1D": build_depthwise(1),
    "DepthwiseConv2D": build_depthwise(2),
    "SeparableConv1D": build_separable(1),
    "SeparableConv2D": build_separable(2),
    "MaxPooling1D": build_pool(1, "max"),
    "MaxPooling2D": build_pool(2, "max"),
    "AveragePooling1D": build_pool(1, "average"),
    "AveragePooling2D": build_pool(2, "average"),
    "GlobalMaxPooling1D": build_global(1, "max"),
    "GlobalMaxPooling2D": build_global(2, "max"),
    "GlobalAveragePooling1D": build_global(1, "average"),
    "GlobalAveragePooling2D": build_global(2, "average"),
    "BatchNormalization": build_batch_norm,
    "LayerNormalization": build_layer_norm,
    "Add": build_merge("Add"),
    "Subtract": build_merge("Subtract"),
    "Multiply": build_merge("Multiply"),
    "Average": build_merge("Average"),
    "Maximum": build_merge("Maximum"),
    "Minimum": build_merge("Minimum"),
    "Concatenate": build_concatenate,
    "Flatten": build_flatten,
    "Reshape": build_reshape,
    "Permute": build_permute,
    "RepeatVector": build_repeat_vector,
    "ZeroPadding1D": build_zero_padding(1),
    "ZeroPadding2D": build_zero_padding(2),
    "Cropping1D": build_cropping(1),
    "Cropping2D": build_cropping(2),
    "UpSampling1D": build_upsampling(1),
    "UpSampling2D": build_upsampling(2),
    "SimpleRNN": build_simple_rnn,
    "LSTM": build_lstm,
    "GRU": build_gru,
    **{name: build_identity for name in IDENTITIES},
    **PREPROCESSING,  # spec.md 15.15
    **OPS,
}
_BUILDERS.update(sequence_builders(_BUILDERS))
BUILDERS = kernels(EVALUATOR, _BUILDERS)
