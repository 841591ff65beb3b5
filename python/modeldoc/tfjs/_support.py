"""What maps between Keras 3 layer configs and the TensorFlow.js Layers format, and what does not.

One table, read in both directions: for each layer type, the config members
that mean the same on both sides (tfjs-layers reads Keras' snake_case JSON and
camel-cases it itself), the members renamed, the Keras members that tfjs does
not have and so must hold their default. The weight names and their order are
the catalogue's (``modeldoc.profile.weight_names``), and the types that map are
checked against the catalogue's ``tfjs`` targets at import (:data:`TYPES`).
:data:`TFJS_UNSUPPORTED` lists, in one place,
every Keras feature the exporter refuses and why; docs/tfjs.md is written
from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..profile import TFJS, kernels

# Weight and input dtypes tfjs-layers computes with. float64 and int64 are refused, never narrowed.
TFJS_DTYPES = ("float32", "int32", "bool")
# Bytes per value in a tfjs weight file, stored and quantized dtypes.
DTYPE_BYTES = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2}
QUANTIZED_DTYPES = ("uint8", "uint16", "float16")

# Keras 3 activation name (or ModelDoc's hard_sigmoid_keras2, spec.md 15.3) -> tfjs name (the same function;
# checked by the Node tests). tfjs' hard_sigmoid is Keras 2's: clip(0.2 * x + 0.5, 0, 1), in that order.
ACTIVATIONS_OUT = {
    "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "elu": "elu", "selu": "selu",
    "softplus": "softplus", "softsign": "softsign", "linear": "linear", "relu6": "relu6", "silu": "swish",
    "swish": "swish", "mish": "mish", "gelu": "gelu", "log_softmax": "log_softmax",
    "hard_sigmoid_keras2": "hard_sigmoid",
}
# The name Keras writes as the function's config for ModelDoc's registered hard_sigmoid_keras2 (spec.md 15.3).
ACTIVATION_ALIASES = {"modeldoc>hard_sigmoid_keras2": "hard_sigmoid_keras2"}
# Activations that Keras 3 cannot resolve from a bare name, in the form Keras writes them (as from_keras does):
# ModelDoc's registered function, which to-keras rebuilds.
ACTIVATION_OBJECTS = {
    "hard_sigmoid_keras2": {"module": "builtins", "class_name": "function", "config": "modeldoc>hard_sigmoid_keras2",
                            "registered_name": "function"},
}
# tfjs reads an activation name by camel-casing it (``log_softmax`` -> ``logSoftmax``) and looking the
# result up among the activation classes tfjs-layers 4.22 registers. Each class -> the Keras 3 activation
# computing the same function (tfjs' swish has alpha 1: x * sigmoid(x), Keras 3's silu; tfjs' gelu is
# the exact erf form, as Keras 3's gelu activation).
ACTIVATIONS_IN = {
    "elu": "elu", "selu": "selu", "relu": "relu", "relu6": "relu6", "linear": "linear", "sigmoid": "sigmoid",
    "softplus": "softplus", "softsign": "softsign", "tanh": "tanh", "softmax": "softmax",
    "logSoftmax": "log_softmax", "gelu": "gelu", "mish": "mish", "swish": "silu",
    "hardSigmoid": "hard_sigmoid_keras2",  # Keras 2's function, not Keras 3's relu6(x+3)/6
}
# Registered tfjs activations with no identical Keras 3 activation, and why (none since hardSigmoid maps to
# ModelDoc's hard_sigmoid_keras2).
ACTIVATIONS_DIFFERENT: dict[str, str] = {}

# Layer types that tfjs-layers 4.22 cannot hold, with the reason measured in its source and in Node
# (docs/tfjs.md). The exporter names the reason in its refusal.
REFUSED_LAYERS: dict[str, str] = {
    "GroupNormalization": "tfjs-layers 4.22 has no GroupNormalization class",
    "Normalization": "tfjs-layers 4.22 has no Normalization class",
    "Attention": "tfjs-layers 4.22 has no Attention class",
    "AdditiveAttention": "tfjs-layers 4.22 has no AdditiveAttention class",
    "MultiHeadAttention": "the tfjs-layers 4.22 bundle does not register its MultiHeadAttention ('Unknown layer: "
        "MultiHeadAttention'), and that class takes value as a call keyword tensor, which inbound nodes cannot carry",
    "CenterCrop": "tfjs-layers 4.22's CenterCrop overwrites its input's shape when the model is built (the model "
        "then refuses every input), and shifts the crop one column right when the input is one column wider",
    "Resizing": "tfjs-layers 4.22's Resizing drops the batch axis from its output shape (predict throws 'x must be "
        "rank 3 or 4') and resizes with align_corners=True, not Keras' half-pixel centers",
    "LayerScale": "tfjs-layers 4.22 has no LayerScale class (ConvNeXt's per-channel scale)",
    "Identity": "tfjs-layers 4.22 has no Identity layer",
}
# Keras records Python arithmetic and keras.ops calls (x + 3.0, ops.mean) as operation layers ("ops.*").
REFUSED_OPS = ("tfjs-layers 4.22 has no layer for a Keras operation, and the Layers format has no node that "
               "computes one")
MASK_DIFFERENT = ("tfjs-layers 4.22 would compute it with another mask, or none, than Keras: its recurrent layers "
                  "repeat the previous state at masked steps where Keras outputs 0 (zero_output_for_mask, which "
                  "Bidirectional sets with return_sequences), GlobalAveragePooling1D ignores the mask, Softmax "
                  "throws on it, merge layers pass on the first input's mask (Keras: the OR of all), and ELU, "
                  "LeakyReLU and others drop it where Keras carries it")

TFJS_UNSUPPORTED: dict[str, str] = {
    "float64 / int64 tensors": "tfjs-layers has no 64-bit dtypes; ModelDoc never narrows them silently",
    "int8, uint8, int16, uint16, uint32, uint64, float16, bfloat16 inputs or weights":
        "tfjs-layers computes in float32, int32 and bool only",
    "activation hard_sigmoid (Keras 3's)": "Keras 3 computes relu6(x + 3) / 6, tfjs 0.2 * x + 0.5 (clipped): "
        "different functions (tfjs' is Keras 2's, hard_sigmoid_keras2, which maps)",
    "activations exponential, leaky_relu, hard_silu / hard_swish, celu, glu, ... (any not in ACTIVATIONS_OUT)":
        "tfjs-layers 4.22 registers no activation of that name (its activations: elu, hardSigmoid, linear, relu, "
        "relu6, selu, sigmoid, softmax, softplus, softsign, tanh, swish, mish, gelu, logSoftmax)",
    "gelu approximate=True (ops.nn.Gelu)": "tfjs' gelu is the exact erf form only; the tanh approximation is a Keras "
        "operation, which tfjs has no layer for",
    "GRU reset_after=True (the Keras 3 default)": "tfjs GRUCell throws for reset_after",
    "ELU alpha != 1": "tfjs-layers implements only alpha = 1",
    "ReLU negative_slope != 0 or threshold != 0": "the tfjs ReLU layer has max_value only",
    "Conv groups != 1": "tfjs convolutions have no groups: tfjs-layers 4.22 ignores the member and then cannot "
        "load the grouped kernel ('weights are not set')",
    "Conv1D padding='causal'": "tfjs-layers 4.22 throws 'CAUSAL padding ... not implemented' when it predicts",
    "Conv2DTranspose output_padding or dilation_rate != 1": "not in tfjs Conv2DTranspose",
    "LayerNormalization rms_scaling=True": "not in tfjs LayerNormalization",
    "BatchNormalization renorm=True": "not in tfjs BatchNormalization",
    "Reshape target_shape with -1": "tfjs-layers 4.22 leaves the -1 unresolved when it builds the model, so a "
        "following Flatten or Dense cannot load",
    "Global pooling keepdims=True where no earlier layer fixes the channel count, or inside TimeDistributed":
        "tfjs-layers 4.22's global pooling layers ignore keepdims (output [null, c], not [null, 1, 1, c]), and the "
        "Reshape written after them to keep the axes needs c (tfjs leaves a -1 unresolved)",
    "Keras quantized layers (quantization_config, LoRA)": "no tfjs equivalent",
    "dtype policies other than float32 (mixed_float16, ...)": "tfjs-layers computes in float32",
    "Bidirectional of a layer other than LSTM, GRU, SimpleRNN": "the recurrent layers ModelDoc maps to tfjs",
    "Bidirectional with a backward_layer that is not the forward layer with go_backwards flipped":
        "tfjs-layers ignores backward_layer and builds the backward layer from the forward one",
    "TimeDistributed of a merge layer, a model or a layer returning states": "tfjs' TimeDistributed calls one "
        "layer on one tensor per step",
    "other layers not in LAYERS (Subtract, ZeroPadding1D, Conv1DTranspose, Conv3D, Cropping1D, UpSampling1D, "
    "...)": "tfjs-layers 4.22 has no such layer class, or its Layers-format loader does not read it",
    **{f"{kind} layer": reason for kind, reason in REFUSED_LAYERS.items()},
    "Keras operation layers (ops.numpy.Add, ops.nn.Relu6, ...)": REFUSED_OPS,
    "a masked input reaching a layer that reads it otherwise in tfjs": MASK_DIFFERENT,
    "call arguments other than the inputs and masks tfjs computes itself (keyword tensors, initial states, "
    "other masks)": "the Layers format's inbound nodes cannot carry them; tfjs attaches only the masks of "
        "Embedding(mask_zero) and Masking, and an explicit mask argument is dropped only where it is that mask",
}


@dataclass(frozen=True)
class LayerSpec:
    """How one layer type maps. ``keys``: same name and meaning on both sides; ``renamed``: Keras
    name -> tfjs name; ``keras_defaults``: Keras-only members and the one value tfjs implements;
    ``tfjs_defaults``: tfjs-only members and the one value Keras implements. tfjs names and orders the
    weights as Keras does, so their names come from the catalogue."""

    keys: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    keras_defaults: dict[str, Any] = field(default_factory=dict)
    tfjs_defaults: dict[str, Any] = field(default_factory=dict)


_REGS = ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")
_INITS = ("kernel_initializer", "bias_initializer")
_CONV = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias",
         *_INITS, *_REGS)
_POOL = ("pool_size", "strides", "padding", "data_format")
_RNN = ("units", "activation", "use_bias", *_INITS, "recurrent_initializer", *_REGS, "recurrent_regularizer",
        "recurrent_constraint", "dropout", "recurrent_dropout", "return_sequences", "return_state", "go_backwards",
        "stateful", "unroll")
_QUANT = {"quantization_config": None, "lora_rank": None, "lora_alpha": None}

LAYERS: dict[str, LayerSpec] = {
    "Dense": LayerSpec(("units", "activation", "use_bias", *_INITS, *_REGS), keras_defaults=_QUANT),
    "Conv1D": LayerSpec(_CONV, keras_defaults={"groups": 1}),
    "Conv2D": LayerSpec(_CONV, keras_defaults={"groups": 1}),
    "Conv2DTranspose": LayerSpec(tuple(k for k in _CONV if k != "dilation_rate"),
                                 keras_defaults={"output_padding": None, "dilation_rate": [1, 1]}),
    "DepthwiseConv2D": LayerSpec(("kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                  "depth_multiplier", "activation", "use_bias", "depthwise_initializer",
                                  "bias_initializer", "depthwise_regularizer", "bias_regularizer",
                                  "activity_regularizer", "depthwise_constraint", "bias_constraint")),
    "SeparableConv2D": LayerSpec(("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                  "depth_multiplier", "activation", "use_bias", "depthwise_initializer",
                                  "pointwise_initializer", "bias_initializer", "depthwise_regularizer",
                                  "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
                                  "depthwise_constraint", "pointwise_constraint", "bias_constraint")),
    "MaxPooling1D": LayerSpec(_POOL),
    "MaxPooling2D": LayerSpec(_POOL),
    "AveragePooling1D": LayerSpec(_POOL),
    "AveragePooling2D": LayerSpec(_POOL),
    "GlobalAveragePooling1D": LayerSpec(("data_format",), keras_defaults={"keepdims": False}),
    "GlobalMaxPooling1D": LayerSpec(("data_format",), keras_defaults={"keepdims": False}),
    "GlobalAveragePooling2D": LayerSpec(("data_format",), keras_defaults={"keepdims": False}),
    "GlobalMaxPooling2D": LayerSpec(("data_format",), keras_defaults={"keepdims": False}),
    "BatchNormalization": LayerSpec(
        ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
         "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
         "beta_constraint", "gamma_constraint"),
        keras_defaults={"renorm": False, "renorm_clipping": None}),
    "LayerNormalization": LayerSpec(
        ("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer",
         "gamma_regularizer", "beta_constraint", "gamma_constraint"),
        keras_defaults={"rms_scaling": False}),
    "Embedding": LayerSpec(("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
                            "activity_regularizer", "embeddings_constraint", "mask_zero"),
                           keras_defaults=_QUANT),
    "LSTM": LayerSpec((*_RNN, "recurrent_activation", "unit_forget_bias")),
    "GRU": LayerSpec((*_RNN, "recurrent_activation"), keras_defaults={"reset_after": False}),
    "SimpleRNN": LayerSpec(_RNN),
    "Dropout": LayerSpec(("rate", "noise_shape", "seed")),
    "SpatialDropout1D": LayerSpec(("rate", "seed")),
    "GaussianNoise": LayerSpec(("stddev", "seed")),
    "GaussianDropout": LayerSpec(("rate",)),
    "AlphaDropout": LayerSpec(("rate", "noise_shape", "seed")),
    "Flatten": LayerSpec(("data_format",)),
    "Reshape": LayerSpec(("target_shape",)),
    "Permute": LayerSpec(("dims",)),
    "RepeatVector": LayerSpec(("n",)),
    "ZeroPadding2D": LayerSpec(("padding", "data_format")),
    "Cropping2D": LayerSpec(("cropping", "data_format")),
    "UpSampling2D": LayerSpec(("size", "data_format", "interpolation")),
    "Activation": LayerSpec(("activation",)),
    "ReLU": LayerSpec(("max_value",), keras_defaults={"negative_slope": 0.0, "threshold": 0.0}),
    "LeakyReLU": LayerSpec(renamed={"negative_slope": "alpha"}),
    "ELU": LayerSpec(("alpha",)),
    "Softmax": LayerSpec(("axis",)),
    "PReLU": LayerSpec(("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes")),
    "Masking": LayerSpec(("mask_value",)),
    # tfjs computes x * scale + offset in float32 (a list scale broadcasts over the channels), as Keras does.
    "Rescaling": LayerSpec(("scale", "offset")),
    "Add": LayerSpec(),
    "Multiply": LayerSpec(),
    "Average": LayerSpec(),
    "Maximum": LayerSpec(),
    "Minimum": LayerSpec(),
    "Concatenate": LayerSpec(("axis",)),
    "Dot": LayerSpec(("axes", "normalize")),
}

# Layers wrapping one layer (its config in the member "layer"); the table maps the wrapped layer.
WRAPPERS = ("Bidirectional", "TimeDistributed")
RECURRENT = ("LSTM", "GRU", "SimpleRNN")
# tfjs-layers 4.22's VALID_BIDIRECTIONAL_MERGE_MODES, and null: the two directions as two outputs (Keras 3
# has the same five and computes them alike; ave is 0.5 * (forward + backward) in both).
MERGE_MODES = ("concat", "sum", "mul", "ave", None)

# The catalogue (modeldoc.profile) says which types tfjs maps; this stops the import if LAYERS disagrees.
TYPES = frozenset(kernels(TFJS, {**LAYERS, **dict.fromkeys(WRAPPERS)}))

MERGE_LAYERS = ("Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot")

# Members either side may carry that do not change what a loaded model computes.
IGNORED_KERAS = ("name", "trainable", "dtype", "seed", "synchronized", "renorm_momentum", "zero_output_for_mask",
                 "use_cudnn", "input_length", "sparse")
IGNORED_TFJS = ("name", "trainable", "dtype", "batch_input_shape", "batch_size", "input_dtype", "implementation",
                "input_length", "input_dim", "input_shape")

# Values tfjs implements only in one form: (layer type, member) -> the value.
ONLY_VALUES = {("ELU", "alpha"): 1.0}
# Values tfjs reads but cannot compute: (layer type, member) -> the values refused.
REFUSED_VALUES = {("Conv1D", "padding"): ("causal",)}

# Keras initializer class -> tfjs class, with the config members tfjs reads.
INITIALIZERS = {
    "Zeros": ("Zeros", ()), "Ones": ("Ones", ()), "Constant": ("Constant", ("value",)),
    "RandomUniform": ("RandomUniform", ("minval", "maxval", "seed")),
    "RandomNormal": ("RandomNormal", ("mean", "stddev", "seed")),
    "TruncatedNormal": ("TruncatedNormal", ("mean", "stddev", "seed")),
    "Identity": ("Identity", ("gain",)), "Orthogonal": ("Orthogonal", ("gain", "seed")),
    "VarianceScaling": ("VarianceScaling", ("scale", "mode", "distribution", "seed")),
    "GlorotUniform": ("GlorotUniform", ("seed",)), "GlorotNormal": ("GlorotNormal", ("seed",)),
    "HeUniform": ("HeUniform", ("seed",)), "HeNormal": ("HeNormal", ("seed",)),
    "LecunUniform": ("LeCunUniform", ("seed",)), "LecunNormal": ("LeCunNormal", ("seed",)),
}
INITIALIZERS_IN = {v[0]: (k, v[1]) for k, v in INITIALIZERS.items()}
# An initializer written as a string: tfjs camel-cases it and maps these names to classes
# (tfjs-layers' INITIALIZER_IDENTIFIER_REGISTRY_SYMBOL_MAP); any other string must be a class name.
INITIALIZER_STRINGS = {
    "constant": "Constant", "glorotNormal": "GlorotNormal", "glorotUniform": "GlorotUniform", "heNormal": "HeNormal",
    "heUniform": "HeUniform", "identity": "Identity", "leCunNormal": "LeCunNormal", "leCunUniform": "LeCunUniform",
    "ones": "Ones", "orthogonal": "Orthogonal", "randomNormal": "RandomNormal", "randomUniform": "RandomUniform",
    "truncatedNormal": "TruncatedNormal", "varianceScaling": "VarianceScaling", "zeros": "Zeros",
}

CONSTRAINTS = {"MaxNorm": ("max_value", "axis"), "MinMaxNorm": ("min_value", "max_value", "rate", "axis"),
               "NonNeg": (), "UnitNorm": ("axis",)}
