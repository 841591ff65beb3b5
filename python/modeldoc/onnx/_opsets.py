"""The opsets export offers (no onnx import here: the package's namespace reads these at import)."""

from __future__ import annotations

MIN_OPSET = 17  # the lowest opset whose op forms the build uses (Squeeze/Unsqueeze axes as inputs, Resize)
DEFAULT_OPSET = 17
