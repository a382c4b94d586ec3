"""voiceflow model toolkit: segmentation models, data simulation, training, ONNX export.

PyTorch is used here only; the voiceflow library runs the exported ONNX files through
ONNX Runtime and learns every shape it needs from the `voiceflow.*` metadata (see
`models/README.md` and DESIGN.md section 4).
"""

from models.common import MODEL_TYPES, POWERSET_CLASSES, SAMPLE_RATE, WINDOW_SAMPLES, create_model

__all__ = ["MODEL_TYPES", "POWERSET_CLASSES", "SAMPLE_RATE", "WINDOW_SAMPLES", "create_model"]
