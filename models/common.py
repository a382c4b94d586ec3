"""Shared constants of the segmentation contract, the powerset encoding and the factory."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 5 * SAMPLE_RATE  # 5 s window
SPEAKERS = 3  # local speakers per window
MAX_OVERLAP = 2  # at most this many at once (powerset)
MODEL_TYPES = ("fast-cnn", "sophisticated")


def powerset_classes(speakers: int = SPEAKERS, max_overlap: int = MAX_OVERLAP) -> list[tuple[int, ...]]:
    """Speaker subsets in class order: silence, then by size, then lexicographically.

    Must match `powerset_classes` in src/models/contract.rs.
    """
    out: list[tuple[int, ...]] = [()]
    for size in range(1, min(max_overlap, speakers) + 1):
        out.extend(itertools.combinations(range(speakers), size))
    return out


POWERSET_CLASSES = powerset_classes()
NUM_CLASSES = len(POWERSET_CLASSES)  # 7


def powerset_matrix() -> np.ndarray:
    """[classes, speakers] 0/1 membership matrix."""
    m = np.zeros((NUM_CLASSES, SPEAKERS), np.float32)
    for c, members in enumerate(POWERSET_CLASSES):
        for k in members:
            m[c, k] = 1.0
    return m


def multilabel_to_powerset(labels: np.ndarray) -> np.ndarray:
    """[..., speakers] 0/1 -> [...] class index; frames with more than MAX_OVERLAP active
    speakers keep the MAX_OVERLAP lowest-index ones."""
    lab = labels.astype(bool)
    index = {members: c for c, members in enumerate(POWERSET_CLASSES)}
    flat = lab.reshape(-1, lab.shape[-1])
    out = np.empty(len(flat), np.int64)
    for i, row in enumerate(flat):
        members = tuple(int(k) for k in np.flatnonzero(row)[:MAX_OVERLAP])
        out[i] = index[members]
    return out.reshape(lab.shape[:-1])


def powerset_lookup() -> np.ndarray:
    """Table from the 3-bit multilabel code (bit k = speaker k) to the powerset class.
    Codes with 3 active speakers map to {0, 1} (clipped to MAX_OVERLAP)."""
    table = np.zeros(2**SPEAKERS, np.int64)
    for code in range(2**SPEAKERS):
        bits = np.array([(code >> k) & 1 for k in range(SPEAKERS)])
        table[code] = multilabel_to_powerset(bits[None])[0]
    return table


def data_dir(arg: str | None = None) -> Path:
    """The shared data folder: --data, else $VOICEFLOW_DATA, else ../shared/data."""
    if arg:
        return Path(arg)
    env = os.environ.get("VOICEFLOW_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def segmentation_metadata(window_samples: int, geometry: dict[str, int], name: str) -> dict[str, str]:
    """The engine's `segmentation` contract keys for a powerset model (see the README)."""
    return {
        "voiceflow.kind": "segmentation",
        "voiceflow.sample_rate": str(SAMPLE_RATE),
        "voiceflow.window_samples": str(window_samples),
        "voiceflow.frame_step_samples": str(geometry["frame_step_samples"]),
        "voiceflow.frame_offset_samples": str(geometry["frame_offset_samples"]),
        "voiceflow.frame_length_samples": str(geometry["frame_length_samples"]),
        "voiceflow.speakers": str(SPEAKERS),
        "voiceflow.output": "powerset",
        "voiceflow.max_overlap": str(MAX_OVERLAP),
        "voiceflow.name": name,
    }


def create_model(model_type: str, **kwargs):
    """Factory: `fast-cnn` -> FastDiarizationModel, `sophisticated` ->
    SophisticatedProductionGradeDiarizationModel."""
    if model_type == "fast-cnn":
        from models.fast_cnn import FastDiarizationModel

        return FastDiarizationModel(**kwargs)
    if model_type == "sophisticated":
        from models.wav2vec2 import SophisticatedProductionGradeDiarizationModel

        return SophisticatedProductionGradeDiarizationModel(**kwargs)
    raise ValueError(f"unknown model type {model_type!r}; expected one of {', '.join(MODEL_TYPES)}")


def load_checkpoint(model, path: Path) -> dict:
    """Loads weights into `model` from `path`: an exported fp32 .onnx of the fast CNN (its
    BatchNorms are folded, see `load_fused_onnx`: train it with BatchNorm frozen), a .pt of
    models.train, a wav2vec2-base encoder state dict (sophisticated model) or a plain state
    dict. Returns what was loaded, for reports."""
    info: dict = {"checkpoint": str(path)}
    if path.suffix == ".onnx":
        if not hasattr(model, "load_fused_onnx"):
            raise SystemExit(f"--checkpoint {path}: only the fast CNN loads weights from an .onnx file")
        meta = model.load_fused_onnx(path)
        info["checkpoint_model"] = f"{meta.get('voiceflow.name')} {meta.get('voiceflow.version')}"
        return info
    import torch

    state = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(state, dict) and "model" in state:
        model.load_state_dict(state["model"])
        info["checkpoint_step"] = state.get("step")
    elif hasattr(model, "load_encoder_state"):
        model.load_encoder_state(state)
        info["encoder_only"] = True
    else:
        model.load_state_dict(state)
    return info


def count_parameters(model, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
