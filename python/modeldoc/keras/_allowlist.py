"""The explicit allowlist: every name in a Keras config is looked up here, and only here.

Keras' own loader resolves ``module`` and ``class_name`` strings from a file
into imports; that is how CVE-2024-3660, CVE-2025-1550, CVE-2025-8747 and
CVE-2025-9906 worked. The adapter never does: a name is either in one of the
tables below (fixed Keras classes and functions, fetched by attribute from one
public Keras namespace), or a custom object that the caller registered with
``keras.saving.register_keras_serializable`` or passed in ``custom_objects``,
looked up by its registered name. ``module`` is only used to tell the tables
apart ("Identity" is both a layer and an initializer); it is never imported.

:class:`Resolver` rewrites every serialized object of a config so that Keras
can resolve it only through ``custom_objects``: ``module`` is set to None and
``registered_name`` to a token that names the object already resolved here.
A name Keras would find no other way than by importing cannot reach Keras.
"""

from __future__ import annotations

from typing import Any

from ._errors import refuse
from ._functions import registered_functions

# One public namespace per kind; a name is fetched with getattr from it and nowhere else.
NAMESPACES = {
    "layer": "keras.layers",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "constraint": "keras.constraints",
    "dtype_policy": "keras.dtype_policies",
    "activation": "keras.activations",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "optimizer": "keras.optimizers",
    "schedule": "keras.optimizers.schedules",
}

LAYERS = (
    "Activation ActivityRegularization AdaptiveAveragePooling1D AdaptiveAveragePooling2D "
    "AdaptiveAveragePooling3D AdaptiveMaxPooling1D AdaptiveMaxPooling2D AdaptiveMaxPooling3D Add "
    "AdditiveAttention AlphaDropout Attention AugMix AutoContrast Average AveragePooling1D AveragePooling2D "
    "AveragePooling3D BatchNormalization Bidirectional CategoryEncoding CenterCrop Concatenate "
    "ContrastLimitedAdaptiveHistogramEqualization Conv1D Conv1DTranspose Conv2D Conv2DTranspose Conv3D "
    "Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D Cropping1D Cropping2D Cropping3D CutMix Dense "
    "DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense Embedding Equalization Flatten "
    "GRU GRUCell GaussianDropout GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D "
    "GlobalAveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization "
    "GroupQueryAttention HashedCrossing Hashing Identity InputLayer IntegerLookup LSTM LSTMCell "
    "LayerNormalization LeakyReLU Masking MaxNumBoundingBoxes MaxPooling1D MaxPooling2D MaxPooling3D Maximum "
    "MelSpectrogram Minimum MixUp MultiHeadAttention Multiply Normalization PReLU Permute Pipeline "
    "RMSNormalization RNN RandAugment RandomBrightness RandomColorDegeneration RandomColorJitter RandomContrast "
    "RandomCrop RandomElasticTransform RandomErasing RandomFlip RandomGaussianBlur RandomGrayscale RandomHue "
    "RandomInvert RandomPerspective RandomPosterization RandomRotation RandomSaturation RandomSharpness "
    "RandomShear RandomTranslation RandomZoom ReLU RepeatVector Rescaling Reshape Resizing ReversibleEmbedding "
    "STFTSpectrogram SeparableConv1D SeparableConv2D SimpleRNN SimpleRNNCell Softmax Solarization "
    "SpatialDropout1D SpatialDropout2D SpatialDropout3D SpectralNormalization StackedRNNCells StringLookup "
    "Subtract TextVectorization TimeDistributed UnitNormalization UpSampling1D UpSampling2D UpSampling3D "
    "ZeroPadding1D ZeroPadding2D ZeroPadding3D"
).split()

# Carry code or a reference to something outside the file; only with safe=False / --unsafe.
UNSAFE_LAYERS = {
    "Lambda": "a Lambda layer holds Python code (marshaled bytecode or a function reference)",
    "TFSMLayer": "a TFSMLayer loads an external SavedModel from a path in its config",
    "JaxLayer": "a JaxLayer wraps a Python function",
    "FlaxLayer": "a FlaxLayer wraps a Python module object",
    "TorchModuleWrapper": "a TorchModuleWrapper holds a pickled torch module",
}
ABSTRACT_LAYERS = {"Layer", "Wrapper"}

# Layer classes that ship inside keras.applications models but are not registered with Keras: the
# class name and the one fixed Keras module that defines it (taken from this table, never from a file).
APPLICATION_LAYERS = {
    "LayerScale": "keras.src.applications.convnext",
    "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
}

MODELS = ("Functional", "Sequential", "Model")

TABLES: dict[str, tuple[str, ...]] = {
    "layer": tuple(LAYERS),
    "initializer": tuple(
        "Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity LecunNormal LecunUniform Ones "
        "Orthogonal RandomNormal RandomUniform STFT TruncatedNormal VarianceScaling Zeros".split()
    ),
    "regularizer": ("L1", "L1L2", "L2", "OrthogonalRegularizer"),
    "constraint": ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"),
    "dtype_policy": tuple(
        "AWQDTypePolicy DTypePolicy DTypePolicyMap FloatDTypePolicy GPTQDTypePolicy Int4DTypePolicy "
        "QuantizedDTypePolicy QuantizedFloat8DTypePolicy".split()
    ),
    "loss": tuple(
        "BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy CategoricalFocalCrossentropy "
        "CategoricalGeneralizedCrossEntropy CategoricalHinge Circle CosineSimilarity Dice Hinge Huber "
        "KLDivergence LogCosh MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredError "
        "MeanSquaredLogarithmicError Poisson SparseCategoricalCrossentropy SquaredHinge Tversky".split()
    ),
    "metric": tuple(
        "AUC Accuracy BinaryAccuracy BinaryCrossentropy BinaryIoU CategoricalAccuracy CategoricalCrossentropy "
        "CategoricalHinge ConcordanceCorrelation CosineSimilarity F1Score FBetaScore FalseNegatives "
        "FalsePositives Hinge IoU KLDivergence LogCoshError Mean MeanAbsoluteError MeanAbsolutePercentageError "
        "MeanIoU MeanMetricWrapper MeanSquaredError MeanSquaredLogarithmicError OneHotIoU OneHotMeanIoU "
        "PearsonCorrelation Poisson Precision PrecisionAtRecall R2Score Recall RecallAtPrecision "
        "RootMeanSquaredError SensitivityAtSpecificity SparseCategoricalAccuracy SparseCategoricalCrossentropy "
        "SparseTopKCategoricalAccuracy SpecificityAtSensitivity SquaredHinge Sum TopKCategoricalAccuracy "
        "TrueNegatives TruePositives".split()
    ),
    "optimizer": tuple(
        "Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion LossScaleOptimizer Nadam RMSprop SGD".split()
    ),
    "schedule": tuple(
        "CosineDecay CosineDecayRestarts ExponentialDecay InverseTimeDecay PiecewiseConstantDecay "
        "PolynomialDecay".split()
    ),
}

FUNCTIONS: dict[str, tuple[str, ...]] = {
    "activation": tuple(
        "celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear "
        "log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign "
        "sparse_plus sparse_sigmoid sparsemax squareplus swish tanh tanh_shrink threshold".split()
    ),
    "loss": tuple(
        "binary_crossentropy binary_focal_crossentropy categorical_crossentropy categorical_focal_crossentropy "
        "categorical_generalized_cross_entropy categorical_hinge circle cosine_similarity ctc dice hinge huber "
        "kl_divergence log_cosh mean_absolute_error mean_absolute_percentage_error mean_squared_error "
        "mean_squared_logarithmic_error poisson sparse_categorical_crossentropy squared_hinge tversky".split()
    ),
    "metric": tuple(
        "binary_accuracy categorical_accuracy sparse_categorical_accuracy sparse_top_k_categorical_accuracy "
        "top_k_categorical_accuracy concordance_correlation pearson_correlation".split()
    ),
}

# Where a module string in a config says which table to use. Never imported.
MODULE_KIND = {ns: kind for kind, ns in NAMESPACES.items()} | {
    "keras.src.models.functional": "model",
    "keras.src.models.sequential": "model",
    "keras.models": "model",
    "keras": "keras",  # top-level exports: the models and the dtype policies
}

# Keras operations recorded in Functional graphs (``x + 1``, ``keras.ops.mean(x)``, a mask's
# ``not_equal``). Their ModelDoc type is "ops.<module>.<Class>". Ops that take a Python callable
# are not allowlisted.
OP_MODULES = ("core", "image", "linalg", "math", "nn", "numpy")
OPS_WITH_CALLABLES = {"Map", "Scan", "AssociativeScan", "Switch", "WhileLoop", "ForiLoop", "Cond", "VectorizedMap"}
OP_PREFIX = "keras.src.ops."

# Data-only markers of Keras' serializer; they build a tensor, array or slice, never resolve a name.
DATA_MARKERS = {"__keras_tensor__", "__numpy__", "__tensor__", "__bytes__", "__ellipsis__", "__slice__"}

TOKEN = "modeldoc.keras:"


def _keras() -> Any:
    import keras  # lazy: importing modeldoc.keras must not import a framework

    return keras


def builtin(kind: str, name: str) -> Any | None:
    """The Keras object ``name`` of table ``kind``, or None if the tables do not list it."""
    keras = _keras()
    if kind == "model":
        if name == "Functional":
            from keras.src.models.functional import Functional

            return Functional
        return {"Sequential": keras.Sequential, "Model": keras.Model}.get(name)
    if kind == "keras":
        return builtin("model", name) or builtin("dtype_policy", name)
    if name in TABLES.get(kind, ()) or name in FUNCTIONS.get(kind, ()):
        namespace: Any = keras
        for part in NAMESPACES[kind].split(".")[1:]:
            namespace = getattr(namespace, part)
        return getattr(namespace, name, None)
    return None


def application_layer(name: str, module: str | None = None) -> Any | None:
    """A layer class of APPLICATION_LAYERS, when ``module`` (if given) is the one the table names."""
    home = APPLICATION_LAYERS.get(name)
    if home is None or (module is not None and module != home):
        return None
    import importlib

    cls = getattr(importlib.import_module(home), name, None)  # a fixed Keras module from the table above
    return cls if isinstance(cls, type) and issubclass(cls, _keras().layers.Layer) else None


def op_class(module: str, name: str) -> Any | None:
    """A Keras operation class ``name`` defined in ``keras.src.ops.<module>`` (a fixed set of modules)."""
    if module not in OP_MODULES or name in OPS_WITH_CALLABLES or name.startswith("_"):
        return None
    import keras.src.ops.core
    import keras.src.ops.image
    import keras.src.ops.linalg
    import keras.src.ops.math
    import keras.src.ops.nn
    import keras.src.ops.numpy
    from keras.src.ops.operation import Operation

    namespace = {"core": keras.src.ops.core, "image": keras.src.ops.image, "linalg": keras.src.ops.linalg,
                 "math": keras.src.ops.math, "nn": keras.src.ops.nn, "numpy": keras.src.ops.numpy}[module]
    obj = vars(namespace).get(name)
    layer = _keras().layers.Layer
    ok = isinstance(obj, type) and issubclass(obj, Operation) and not issubclass(obj, layer)
    return obj if ok and obj.__module__ == namespace.__name__ else None


def op_type(module: str, name: str) -> str:
    """The ModelDoc type of a Keras operation: ``ops.numpy.NotEqual``."""
    return "ops." + module[len(OP_PREFIX):] + "." + name


def builtin_any(name: str, *, functions: bool = False) -> tuple[str, Any] | None:
    """Search the tables in a fixed order (configs without ``module``: legacy files, ModelDoc types)."""
    kinds = ["model", *NAMESPACES] if not functions else list(FUNCTIONS)
    for kind in kinds:
        if functions and name not in FUNCTIONS[kind]:
            continue
        if not functions and kind != "model" and name not in TABLES.get(kind, ()):
            continue
        obj = builtin(kind, name)
        if obj is not None:
            return kind, obj
    return None


class Resolver:
    """Resolves names through the tables and the caller's custom objects; collects what it resolved.

    ``objects`` is what to hand Keras as ``custom_objects``: token -> object.
    """

    def __init__(self, custom_objects: dict[str, Any] | None = None, *, safe: bool = True) -> None:
        self.custom_objects = dict(custom_objects or {})
        self.safe = safe
        self.objects: dict[str, Any] = {}

    # --- names ---------------------------------------------------------------------------

    def registered(self, name: str | None) -> Any | None:
        """A custom object by registered name: ``custom_objects`` first, then Keras' registry."""
        if not name:
            return None
        if name in self.custom_objects:
            return self.custom_objects[name]
        own = registered_functions().get(name)  # ModelDoc's own functions (Keras 2 behaviour)
        if own is not None:
            return own
        keras = _keras()
        # get_registered_object reads dicts only (the registry and active scopes); it imports nothing.
        return keras.saving.get_registered_object(name)

    def _token(self, kind: str, name: str, obj: Any) -> str:
        token = f"{TOKEN}{kind}:{name}"
        self.objects[token] = obj
        return token

    def layer_class(self, type_name: Any, where: tuple[str | int, ...]) -> tuple[Any, str]:
        """The class for a ModelDoc layer ``type`` (a Keras class name or a registered name)."""
        if not isinstance(type_name, str) or not type_name:
            refuse("KERAS_INVALID_INPUT", where, "a layer type must be a non-empty string")
        self._refuse_unsafe_layer(type_name, where)
        if type_name.startswith("ops.") and type_name.count(".") == 2:
            _, module, name = type_name.split(".")
            op = op_class(module, name)
            if op is None:
                refuse("KERAS_UNKNOWN_CLASS", where, f"operation type {type_name!r} is not on the allowlist")
            return op, self._token("op", type_name, op)
        cls = builtin("model", type_name) or (builtin("layer", type_name) if type_name in LAYERS else None) \
            or application_layer(type_name)
        if cls is None and type_name in UNSAFE_LAYERS:  # only reached with safe=False
            cls = getattr(_keras().layers, type_name, None)
        kind = "builtin"
        if cls is None:
            cls, kind = self.registered(type_name), "custom"
        if cls is None or not _is_layer_class(cls):
            refuse(
                "KERAS_UNKNOWN_CLASS",
                where,
                f"layer type {type_name!r} is not a Keras layer on the allowlist nor a registered custom layer "
                "(register it with keras.saving.register_keras_serializable or pass custom_objects)",
            )
        return cls, self._token(kind, type_name, cls)

    def _refuse_unsafe_layer(self, name: str, where: tuple[str | int, ...]) -> None:
        if name in UNSAFE_LAYERS and self.safe:
            refuse("KERAS_UNSAFE", where, f"refused: {UNSAFE_LAYERS[name]}; pass safe=False (CLI: --unsafe) "
                   "only for a file you trust")
        if name in ABSTRACT_LAYERS:
            refuse("KERAS_UNKNOWN_CLASS", where, f"{name} is an abstract Keras base class, not a layer to rebuild")

    # --- whole configs -------------------------------------------------------------------

    def clean(self, value: Any, where: tuple[str | int, ...] = ()) -> Any:
        """A copy of a Keras config in which every serialized object resolves only through ``objects``."""
        if isinstance(value, list):
            return [self.clean(v, (*where, i)) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if "class_name" in value:
            return self._object(value, where)
        out = {}
        for k, v in value.items():
            if isinstance(v, str) and k.endswith("activation"):
                self._activation_name(v, (*where, k))
            out[k] = self.clean(v, (*where, k))
        return out

    def _activation_name(self, name: str, where: tuple[str | int, ...]) -> None:
        # Keras looks activation strings up in custom objects, then in its fixed table.
        if name in FUNCTIONS["activation"] or self.registered(name) is not None:
            return
        refuse("KERAS_UNKNOWN_CLASS", where, f"activation {name!r} is not on the allowlist nor registered")

    def _object(self, obj: dict[str, Any], where: tuple[str | int, ...]) -> dict[str, Any]:
        cn = obj["class_name"]
        at = (*where, "class_name")
        if not isinstance(cn, str):
            refuse("KERAS_INVALID_INPUT", at, "class_name must be a string")
        if cn == "__lambda__":
            if self.safe:
                refuse("KERAS_UNSAFE", at, "refused: marshaled Python bytecode (a lambda) would run on load; "
                       "pass safe=False (CLI: --unsafe) only for a file you trust")
            return dict(obj)
        if cn in DATA_MARKERS:
            return {k: (self.clean(v, (*where, k)) if k == "config" else v) for k, v in obj.items()}
        if cn.startswith("__"):
            refuse("KERAS_UNKNOWN_CLASS", at, f"serialized marker {cn!r} is not supported (it resolves classes by module)")
        module = obj.get("module")
        registered_name = obj.get("registered_name")
        if module is not None and not isinstance(module, str):
            refuse("KERAS_INVALID_INPUT", (*where, "module"), "module must be a string or null")
        if cn == "function":
            return self._function(obj, module, registered_name, where)
        if module in (None, "keras.layers"):
            self._refuse_unsafe_layer(cn, at)
        kind, resolved = self._class(cn, module, registered_name)
        if resolved is None:
            refuse(
                "KERAS_UNKNOWN_CLASS",
                at,
                f"{cn!r} (module {module!r}) is not on the Keras allowlist nor a registered custom object; "
                "ModelDoc never imports a module named in a config",
            )
        out = {k: self.clean(v, (*where, k)) for k, v in obj.items() if k not in ("module", "registered_name")}
        out["module"] = None
        out["registered_name"] = self._token(kind, cn, resolved)
        return out

    def _class(self, cn: str, module: str | None, registered_name: Any) -> tuple[str, Any | None]:
        if module and module.startswith(OP_PREFIX):
            return "op", op_class(module[len(OP_PREFIX):], cn)
        if cn in APPLICATION_LAYERS and (module is None or module == APPLICATION_LAYERS[cn]):
            return "layer", application_layer(cn, module)
        kind = MODULE_KIND.get(module) if module else None
        if kind is not None:
            if kind == "layer" and cn in UNSAFE_LAYERS and not self.safe:
                return kind, getattr(_keras().layers, cn, None)
            if kind == "layer" and cn not in LAYERS:
                return kind, None
            return kind, builtin(kind, cn)
        custom = self.registered(registered_name if isinstance(registered_name, str) else cn)
        if custom is not None:
            return "custom", custom
        if module is None and cn in UNSAFE_LAYERS and not self.safe:
            return "layer", getattr(_keras().layers, cn, None)
        if module is None:
            found = builtin_any(cn)
            if found is not None:
                return found
        return "custom", None

    def _function(self, obj: dict[str, Any], module: str | None, registered_name: Any,
                  where: tuple[str | int, ...]) -> dict[str, Any]:
        name = obj.get("config")
        if not isinstance(name, str):
            refuse("KERAS_INVALID_INPUT", (*where, "config"), "a serialized function's config must be its name")
        fn: Any = None
        kind = "function"
        if module is None or module == "builtins" or MODULE_KIND.get(module) in FUNCTIONS:
            found = builtin_any(name, functions=True)
            if found is not None:
                kind, fn = found
        if fn is None:
            fn = self.registered(registered_name if isinstance(registered_name, str) else None) or self.registered(name)
            kind = "custom"
        if fn is None or not callable(fn):
            refuse(
                "KERAS_UNKNOWN_CLASS",
                (*where, "config"),
                f"function {name!r} (module {module!r}) is not on the allowlist nor registered; "
                "ModelDoc never imports or calls a function named in a config",
            )
        token = self._token(kind, name, fn)
        return {"module": None, "class_name": "function", "config": token, "registered_name": token}


def _is_layer_class(obj: Any) -> bool:
    keras = _keras()
    return isinstance(obj, type) and issubclass(obj, keras.layers.Layer)
