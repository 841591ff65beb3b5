"""Catalogue entries of spec.md 15.3 to 15.10, and the types only an exporter maps.

Each entry says once: the config members with Keras' defaults, the weights in
order, the dtype rule, the spec.md section, and the targets that implement
the type. To add a target to a type, add it to that entry's ``targets`` line.
"""

from __future__ import annotations

from ._model import EVALUATOR, ONNX, REQUIRED, TFJS, LayerType, Member, Weight

ALL = (EVALUATOR, ONNX, TFJS)
ENTRIES: list[LayerType] = []


def layer(type_: str, section: str | None, targets: tuple[str, ...], members: tuple[Member, ...] = (),
          weights: tuple[Weight, ...] = (), dtype: str = "policy") -> None:
    """Add one entry (a type may be added once)."""
    ENTRIES.append(LayerType(type_, section, members, weights, dtype, frozenset(targets)))


ACTIVATION = Member("activation", "linear", "a name or function object of 15.3")
USE_BIAS = Member("use_bias", True)
DATA_FORMAT = Member("data_format", "channels_last", only=("channels_last",))
NO_QUANTIZATION = (Member("quantization_config", None, only=(None,)), Member("lora_rank", None, only=(None, 0)))


def bias(shape: str) -> Weight:
    return Weight("bias", shape, (("use_bias", True),))


# --- 15.3 activation layers -------------------------------------------------------------------------------
layer("Activation", "15.3", ALL,
      (Member("activation", REQUIRED, "a name or function object of the table above"),))
layer("ReLU", "15.3", ALL,
      (Member("max_value", None, "null or a number"), Member("negative_slope", 0.0), Member("threshold", 0.0)))
layer("LeakyReLU", "15.3", ALL, (Member("negative_slope", 0.3),))
layer("ELU", "15.3", ALL, (Member("alpha", 1.0),))
layer("Softmax", "15.3", ALL, (Member("axis", -1, "an integer or a list"),))
layer("PReLU", "15.3", ALL, (Member("shared_axes", None, "an axis >= 1 or a list of them"),),
      (Weight("alpha", "the input shape without the batch axis, 1 on each shared axis"),))

# --- 15.4 Dense and Embedding ------------------------------------------------------------------------------
layer("Dense", "15.4", ALL,
      (Member("units", REQUIRED), ACTIVATION, USE_BIAS, *NO_QUANTIZATION),
      (Weight("kernel", "(in, units)"), bias("(units,)")))
layer("Embedding", "15.4", ALL,
      (Member("input_dim", REQUIRED), Member("output_dim", REQUIRED),
       Member("mask_zero", False, "true makes a mask, 15.12"), Member("sparse", False, only=(False,)),
       *NO_QUANTIZATION),
      (Weight("embeddings", "(input_dim, output_dim)"),), dtype="embedding")

# --- 15.5 convolutions -------------------------------------------------------------------------------------
PER_AXIS = "an integer or one per spatial axis"


def geometry(padding: tuple[str, ...] = ("valid", "same")) -> tuple[Member, ...]:
    return (Member("kernel_size", REQUIRED, PER_AXIS), Member("strides", 1, PER_AXIS),
            Member("dilation_rate", 1, PER_AXIS), Member("padding", "valid", only=padding), USE_BIAS, ACTIVATION,
            DATA_FORMAT)


def convolutions(rank: str, section: str | None, targets: tuple[str, ...],
                 transpose_targets: tuple[str, ...]) -> None:
    causal = ("valid", "same", "causal") if rank == "1D" else ("valid", "same")
    layer(f"Conv{rank}", section, targets, (Member("filters", REQUIRED), *geometry(causal), Member("groups", 1)),
          (Weight("kernel", "(k..., in / groups, filters)"), bias("(filters,)")))
    layer(f"Conv{rank}Transpose", section, transpose_targets,
          (Member("filters", REQUIRED), *geometry(),
           Member("output_padding", None, "null, or an integer >= 0 or one per spatial axis")),
          (Weight("kernel", "(k..., filters, in)"), bias("(filters,)")))


convolutions("1D", "15.5", (EVALUATOR, ONNX, TFJS), (EVALUATOR, ONNX))
convolutions("2D", "15.5", (EVALUATOR, ONNX, TFJS), (EVALUATOR, ONNX, TFJS))
convolutions("3D", None, (ONNX,), (ONNX,))
layer("DepthwiseConv1D", "15.5", (EVALUATOR, ONNX),
      (*geometry(), Member("depth_multiplier", 1)), (Weight("depthwise_kernel", "(k..., in, M)"), bias("(in · M,)")))
layer("DepthwiseConv2D", "15.5", (EVALUATOR, ONNX, TFJS),
      (*geometry(), Member("depth_multiplier", 1)), (Weight("depthwise_kernel", "(k..., in, M)"), bias("(in · M,)")))
SEPARABLE_WEIGHTS = (Weight("depthwise_kernel", "(k..., in, M)"), Weight("pointwise_kernel", "(1..., in · M, filters)"),
                     bias("(filters,)"))
layer("SeparableConv1D", "15.5", (EVALUATOR, ONNX),
      (Member("filters", REQUIRED), *geometry(), Member("depth_multiplier", 1)), SEPARABLE_WEIGHTS)
layer("SeparableConv2D", "15.5", (EVALUATOR, ONNX, TFJS),
      (Member("filters", REQUIRED), *geometry(), Member("depth_multiplier", 1)), SEPARABLE_WEIGHTS)

# --- 15.6 pooling ------------------------------------------------------------------------------------------
POOL = (Member("pool_size", 2, PER_AXIS), Member("strides", None, "null means pool_size; else " + PER_AXIS),
        Member("padding", "valid", only=("valid", "same")), DATA_FORMAT)
GLOBAL = (Member("keepdims", False), DATA_FORMAT)
layer("MaxPooling1D", "15.6", ALL, POOL)
layer("MaxPooling2D", "15.6", ALL, POOL)
layer("MaxPooling3D", None, (ONNX,), POOL)
layer("AveragePooling1D", "15.6", ALL, POOL)
layer("AveragePooling2D", "15.6", ALL, POOL)
layer("AveragePooling3D", None, (ONNX,), POOL)
layer("GlobalMaxPooling1D", "15.6", ALL, GLOBAL)
layer("GlobalMaxPooling2D", "15.6", ALL, GLOBAL)
layer("GlobalMaxPooling3D", None, (ONNX,), GLOBAL)
layer("GlobalAveragePooling1D", "15.6", ALL, GLOBAL)
layer("GlobalAveragePooling2D", "15.6", ALL, GLOBAL)
layer("GlobalAveragePooling3D", None, (ONNX,), GLOBAL)

# --- 15.7 normalization ------------------------------------------------------------------------------------
NORM_FLAGS = (Member("epsilon", 0.001), Member("center", True), Member("scale", True))
layer("BatchNormalization", "15.7", ALL,
      (Member("axis", -1, "one integer"), *NORM_FLAGS, Member("renorm", False, only=(False,))),
      (Weight("gamma", "(n,)", (("scale", True),)),
       Weight("beta", "(n,)", (("center", True),)), Weight("moving_mean", "(n,)"), Weight("moving_variance", "(n,)")))
layer("LayerNormalization", "15.7", ALL,
      (Member("axis", -1, "an integer or a list"), *NORM_FLAGS, Member("rms_scaling", False, only=(False,))),
      (Weight("gamma", "the sizes of the normalized axes in increasing axis order", (("scale", True),)),
       Weight("beta", "as gamma", (("center", True), ("rms_scaling", False)))))

# --- 15.8 merge --------------------------------------------------------------------------------------------
layer("Add", "15.8", ALL)
layer("Subtract", "15.8", (EVALUATOR, ONNX))
layer("Multiply", "15.8", ALL)
layer("Average", "15.8", ALL)
layer("Maximum", "15.8", ALL)
layer("Minimum", "15.8", ALL)
layer("Concatenate", "15.8", ALL, (Member("axis", -1),), dtype="concatenate")
layer("Dot", None, (TFJS,), (Member("axes", REQUIRED), Member("normalize", False)), dtype="export-only")

# --- 15.9 shape and identity layers ------------------------------------------------------------------------
layer("Dropout", "15.9", ALL, dtype="moves")
layer("SpatialDropout1D", "15.9", ALL, dtype="moves")
layer("GaussianNoise", "15.9", ALL, dtype="moves")
layer("GaussianDropout", "15.9", ALL, dtype="moves")
layer("AlphaDropout", "15.9", ALL, dtype="moves")
layer("SpatialDropout2D", "15.9", (EVALUATOR, ONNX), dtype="moves")
layer("SpatialDropout3D", "15.9", (EVALUATOR, ONNX), dtype="moves")
layer("ActivityRegularization", "15.9", (EVALUATOR, ONNX), dtype="moves")
layer("Identity", "15.9", (EVALUATOR, ONNX), dtype="moves")
layer("InputLayer", None, (ONNX,), dtype="export-only")
layer("Flatten", "15.9", ALL, (DATA_FORMAT,), dtype="moves")
layer("Reshape", "15.9", ALL,
      (Member("target_shape", REQUIRED, "integers >= 0, at most one -1 for the size that fits"),), dtype="moves")
layer("Permute", "15.9", ALL, (Member("dims", REQUIRED, "a permutation of 1..rank-1"),), dtype="moves")
layer("RepeatVector", "15.9", ALL, (Member("n", REQUIRED),), dtype="moves")
layer("ZeroPadding1D", "15.9", (EVALUATOR, ONNX),
      (Member("padding", 1, "an integer p (p before and after), or one (before, after) pair, written "
              "[before, after] or [[before, after]]"), DATA_FORMAT), dtype="moves")
PADDING_2D = ("an integer p (p on all four sides), or a list of one item per spatial axis, each an integer (the same "
              "before and after) or a (before, after) pair")
layer("ZeroPadding2D", "15.9", ALL, (Member("padding", 1, PADDING_2D), DATA_FORMAT), dtype="moves")
layer("ZeroPadding3D", None, (ONNX,), (Member("padding", 1, PADDING_2D), DATA_FORMAT), dtype="moves")
layer("Cropping1D", "15.9", (EVALUATOR, ONNX),
      (Member("cropping", [1, 1], "the forms of ZeroPadding1D's padding"), DATA_FORMAT), dtype="moves")
layer("Cropping2D", "15.9", ALL,
      (Member("cropping", 0, "the forms of ZeroPadding2D's padding"), DATA_FORMAT), dtype="moves")
layer("Cropping3D", None, (ONNX,), (Member("cropping", 0, PADDING_2D), DATA_FORMAT), dtype="moves")
NEAREST = Member("interpolation", "nearest", only=("nearest",))
layer("UpSampling1D", "15.9", (EVALUATOR, ONNX), (Member("size", 2), DATA_FORMAT), dtype="moves")
layer("UpSampling2D", "15.9", ALL, (Member("size", 2, PER_AXIS), NEAREST, DATA_FORMAT), dtype="moves")
layer("UpSampling3D", None, (ONNX,), (Member("size", 2, PER_AXIS), DATA_FORMAT), dtype="moves")

# --- 15.10 recurrent layers --------------------------------------------------------------------------------


def recurrent(type_: str, gates: int, extra: tuple[Member, ...] = (), bias_shape: str = "") -> None:
    g = "" if gates == 1 else f"{gates}·"
    gated = (Member("recurrent_activation", "sigmoid"),) if gates > 1 else ()
    members = (Member("units", REQUIRED), Member("activation", "tanh"), *gated, USE_BIAS,
               Member("return_sequences", False), Member("return_state", False), Member("go_backwards", False),
               Member("zero_output_for_mask", False, "it only matters with a mask, 15.12"),
               Member("stateful", False, only=(False,)), Member("time_major", False, only=(False,)), *extra)
    layer(type_, "15.10", ALL, members,
          (Weight("kernel", f"(in, {g}units)"), Weight("recurrent_kernel", f"(units, {g}units)"),
           bias(bias_shape or f"({g}units,)")))


recurrent("SimpleRNN", 1)
recurrent("LSTM", 4)
recurrent("GRU", 3, (Member("reset_after", True),), "(3·units,), or (2, 3·units) with reset_after")
