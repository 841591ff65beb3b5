"""Catalogue entries of spec.md 15.12 to 15.15: masks, wrappers, attention, preprocessing and operations."""

from __future__ import annotations

from ._layers import DATA_FORMAT, USE_BIAS, layer
from ._model import EVALUATOR, ONNX, REQUIRED, TFJS, Member, Weight

# --- 15.12 masks -------------------------------------------------------------------------------------------
layer("Masking", "15.12", (EVALUATOR, ONNX, TFJS), (Member("mask_value", 0.0, "a number"),))
layer("ops.numpy.NotEqual", "15.12", (EVALUATOR, ONNX), dtype="mask")
layer("ops.numpy.Any", "15.12", (EVALUATOR, ONNX),
      (Member("axis", None, "null: all axes; an integer or a list"), Member("keepdims", False)), dtype="mask")

# --- 15.13 wrappers: their weights are the wrapped layers' (see weights.weight_names) ----------------------
layer("Bidirectional", "15.13", (EVALUATOR, ONNX, TFJS),
      (Member("layer", REQUIRED, "a SimpleRNN, LSTM or GRU layer object"),
       Member("backward_layer", None, "null: the layer with go_backwards flipped; else one of the same type"),
       Member("merge_mode", "concat", only=("concat", "sum", "mul", "ave", None))))
layer("TimeDistributed", "15.13", (EVALUATOR, ONNX, TFJS),
      (Member("layer", REQUIRED, "a layer object of a type 15.13 allows"),))

# --- 15.14 attention and group normalization ---------------------------------------------------------------
layer("MultiHeadAttention", "15.14", (EVALUATOR, ONNX),
      (Member("num_heads", REQUIRED), Member("key_dim", REQUIRED), Member("value_dim", None, "null means key_dim"),
       USE_BIAS, Member("output_shape", None, only=(None,)), Member("sliding_window", None, only=(None,)),
       Member("use_gate", False, only=(False,)), Member("attention_axes", None, only=(None, 1, [1]))),
      (Weight("query/kernel", "(D, N, K)"), Weight("query/bias", "(N, K)", (("use_bias", True),)),
       Weight("key/kernel", "(Dk, N, K)"), Weight("key/bias", "(N, K)", (("use_bias", True),)),
       Weight("value/kernel", "(Dv, N, V)"), Weight("value/bias", "(N, V)", (("use_bias", True),)),
       Weight("attention_output/kernel", "(N, V, D)"), Weight("attention_output/bias", "(D,)", (("use_bias", True),))))
layer("Attention", "15.14", (EVALUATOR, ONNX),
      (Member("use_scale", False), Member("score_mode", "dot", only=("dot", "concat"))),
      (Weight("scale", "()", (("use_scale", True),)), Weight("concat_score_weight", "()", (("score_mode", "concat"),))))
layer("AdditiveAttention", "15.14", (EVALUATOR, ONNX), (Member("use_scale", True),),
      (Weight("scale", "(dim,)", (("use_scale", True),)),))
layer("GroupNormalization", "15.14", (EVALUATOR, ONNX),
      (Member("groups", 32), Member("axis", -1, "-1 or an integer >= 1"), Member("epsilon", 0.001),
       Member("center", True), Member("scale", True)),
      (Weight("gamma", "(c,)", (("scale", True),)), Weight("beta", "(c,)", (("center", True),))))

# --- 15.15 preprocessing and scale layers ------------------------------------------------------------------
CONSTANT = "a constant"
layer("Rescaling", "15.15", (EVALUATOR, TFJS), (Member("scale", REQUIRED, CONSTANT), Member("offset", 0.0, CONSTANT)))
_STATS = (("mean", None), ("variance", None))
layer("Normalization", "15.15", (EVALUATOR,),
      (Member("axis", -1, "an integer, a list of distinct integers, or null for none: the kept axes"),
       Member("invert", False), Member("mean", None, "or a constant, with variance"),
       Member("variance", None, "or a constant of mean's shape")),
      (Weight("mean", "the sizes of the kept axes in increasing axis order", _STATS),
       Weight("variance", "as mean", _STATS), Weight("count", "() of any dtype (not read)", _STATS)))
_HEIGHT_WIDTH = (Member("height", REQUIRED, "an integer >= 1"), Member("width", REQUIRED, "an integer >= 1"))
layer("CenterCrop", "15.15", (EVALUATOR,), (*_HEIGHT_WIDTH, DATA_FORMAT))
layer("Resizing", "15.15", (EVALUATOR,),
      (*_HEIGHT_WIDTH, Member("interpolation", "bilinear", only=("bilinear", "nearest", "bicubic", "area")),
       DATA_FORMAT, Member("crop_to_aspect_ratio", False, only=(False,)),
       Member("pad_to_aspect_ratio", False, only=(False,)), Member("antialias", False, only=(False,))), dtype="moves")
layer("LayerScale", "15.15", (EVALUATOR,),
      (Member("init_values", None, "ignored: it only sets up the weight"),
       Member("projection_dim", None, "ignored: it only sets up the weight")),
      (Weight("gamma", "(in,)"),))
layer("CustomScaleLayer", "15.15", (EVALUATOR,), (Member("scale", REQUIRED, "a number"),))

# --- 15.15 operations --------------------------------------------------------------------------------------
layer("ops.numpy.Add", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Subtract", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Multiply", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.TrueDivide", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Divide", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Maximum", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Minimum", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Relu", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Relu6", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Sigmoid", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.HardSigmoid", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.HardSilu", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Silu", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Softplus", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Softsign", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.LogSigmoid", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Selu", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.HardTanh", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.TanhShrink", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Tanh", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.numpy.Exp", "15.15", (EVALUATOR,), dtype="operation")
layer("ops.nn.Gelu", "15.15", (EVALUATOR,), (Member("approximate", True, "as `keras.ops.gelu`"),), dtype="operation")
layer("ops.numpy.Mean", "15.15", (EVALUATOR,),
      (Member("axis", None, "null: all axes; an integer or a list of distinct integers"), Member("keepdims", False)),
      dtype="operation")
layer("ops.numpy.Concatenate", "15.15", (EVALUATOR,), (Member("axis", 0, "as `keras.ops.concatenate`"),), dtype="operation-moves")
layer("ops.numpy.Reshape", "15.15", (EVALUATOR,),
      (Member("newshape", REQUIRED, "integers >= 0, at most one -1; includes the batch axis"),),
      dtype="operation-moves")

