"""ONNX export tests (they skip without onnx and onnxruntime)."""
