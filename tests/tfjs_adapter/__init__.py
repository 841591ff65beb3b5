"""TensorFlow.js round trips (they skip without Keras, Node or interop/tfjs/node_modules: see conftest.py)."""
