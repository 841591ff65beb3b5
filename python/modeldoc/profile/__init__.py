"""The layer catalogue of the core profile: one entry per layer type, read by every target.

Each entry (:class:`LayerType`) gives the config members with Keras' defaults
and allowed values, the weights in order with their shapes as a rule, the
dtype rule, the spec.md section that defines the type, and the targets that
implement it (``evaluator``, ``onnx``, ``tfjs``). The evaluator and the
exporters check their kernel tables against it at import (:func:`kernels`),
read weight order from it (:func:`weight_names`) and read configs through one
:class:`Config`. spec.md's per-layer tables of section 15 are generated from
it. Pure data: importing it imports no framework.

>>> from modeldoc.profile import CATALOGUE, weight_names
>>> CATALOGUE["Dense"].section, sorted(CATALOGUE["Dense"].targets)
('15.4', ['evaluator', 'onnx', 'tfjs'])
>>> weight_names("LSTM", {"units": 4})
['kernel', 'recurrent_kernel', 'bias']
"""

from ._catalogue import CATALOGUE, CatalogueError, default, kernels, mismatch, types_for, weight_names
from ._config import FROM_CATALOGUE, POLICY_DTYPES, Config
from ._model import DTYPE_RULES, EVALUATOR, ONNX, REQUIRED, TARGETS, TFJS, LayerType, Member, Weight

__all__ = ["CATALOGUE", "DTYPE_RULES", "EVALUATOR", "FROM_CATALOGUE", "ONNX", "POLICY_DTYPES", "REQUIRED", "TARGETS",
           "TFJS", "CatalogueError", "Config", "LayerType", "Member", "Weight", "default", "kernels", "mismatch",
           "types_for", "weight_names"]
