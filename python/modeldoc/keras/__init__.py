"""The Keras adapter: Keras models to ModelDoc documents and back, bit-exact, with no code execution.

>>> import keras, numpy as np, modeldoc, modeldoc.keras
>>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> doc = modeldoc.keras.from_keras(m)
>>> m2 = modeldoc.keras.to_keras(modeldoc.loads(modeldoc.dumps(doc, encoding="msgpack")))
>>> x = np.ones((1, 3), "float32")
>>> bool(np.array_equal(m.predict(x, verbose=0), m2.predict(x, verbose=0)))
True

Importing this package imports neither TensorFlow nor Keras; the functions do,
when called. See docs/keras.md for what maps, what is refused and why.
``modeldoc.keras.zoo`` builds example models for testing converters and readers.
"""

from __future__ import annotations

from ._export import from_keras
from ._import import to_keras

__all__ = ["from_keras", "to_keras"]
