"""A segmentation model in ONNX as a distillation teacher (`models.train --teacher`).

The teacher is any file that meets the engine's segmentation contract with powerset
output over the same classes as the student (3 local speakers, at most 2 at once), for
example the set-up's pyannote segmentation-3.0 (`.voiceflow/models/segmentation-3.0.onnx`).
It runs through ONNX Runtime on the student's own windows, and its posteriors are moved
onto the student's frame grid: both grids place frame j at `offset + j*step + length/2`
(the contract), so each student frame takes the teacher's distribution interpolated
linearly between the two teacher frames around its centre. A mixture of two powerset
distributions is again one, so the targets stay valid probabilities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.common import MAX_OVERLAP, SAMPLE_RATE, SPEAKERS

REQUIRED = {
    "voiceflow.kind": "segmentation",
    "voiceflow.output": "powerset",
    "voiceflow.speakers": str(SPEAKERS),
    "voiceflow.max_overlap": str(MAX_OVERLAP),
    "voiceflow.sample_rate": str(SAMPLE_RATE),
}


class TeacherError(ValueError):
    """The file is not a usable teacher (wrong contract, unreadable)."""


def frame_centres(geometry: dict[str, int], frames: int) -> np.ndarray:
    """Sample position of each frame's centre (the contract's convention)."""
    return geometry["frame_offset_samples"] + geometry["frame_step_samples"] * np.arange(frames) \
        + geometry["frame_length_samples"] / 2.0


def interpolation(teacher: dict[str, int], teacher_frames: int, student: dict[str, int]) -> tuple[np.ndarray, ...]:
    """(lower index, upper index, upper weight) per student frame: where its centre falls
    between two teacher frame centres (clamped to the first and last teacher frame)."""
    pos = (frame_centres(student, student["frames"]) - frame_centres(teacher, 1)[0]) / teacher["frame_step_samples"]
    pos = np.clip(pos, 0.0, teacher_frames - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, teacher_frames - 1)
    return lo, hi, (pos - lo).astype(np.float32)


class Teacher:
    """`Teacher(path, student_geometry)(waves [B, samples]) -> probabilities [B, frames, 7]`
    on the student's frames."""

    def __init__(self, path: Path, student_geometry: dict[str, int], threads: int = 1):
        import onnxruntime as ort

        self.path = Path(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - ORT raises several unrelated types
            raise TeacherError(f"{self.path}: cannot be loaded by ONNX Runtime: {e}") from e
        meta = self.session.get_modelmeta().custom_metadata_map
        wrong = {k: meta.get(k) for k, v in REQUIRED.items() if meta.get(k) != v}
        if wrong:
            raise TeacherError(f"{self.path}: not a powerset segmentation teacher for 3 local speakers at "
                               f"16 kHz; these contract keys differ from {REQUIRED}: {wrong}")
        try:
            self.geometry = {k: int(meta[f"voiceflow.{k}"]) for k in
                             ("frame_step_samples", "frame_offset_samples", "frame_length_samples")}
        except (KeyError, ValueError) as e:
            raise TeacherError(f"{self.path}: missing or bad frame geometry in its metadata: {e}") from e
        self.name = f"{meta.get('voiceflow.name', self.path.stem)} {meta.get('voiceflow.version', '')}".strip()
        self.input = self.session.get_inputs()[0].name
        self.student = student_geometry
        self._map: tuple[int, tuple[np.ndarray, ...]] | None = None

    def scores(self, waves: np.ndarray) -> np.ndarray:
        """The teacher's own output for [B, samples] or [B, 1, samples]: [B, its frames, 7]."""
        x = np.ascontiguousarray(waves.reshape(len(waves), 1, -1), dtype=np.float32)
        return self.session.run(None, {self.input: x})[0]

    def __call__(self, waves: np.ndarray) -> np.ndarray:
        # Powerset scores are log-probabilities (the contract); renormalised against rounding.
        probs = np.exp(self.scores(waves).astype(np.float64))
        probs /= np.maximum(probs.sum(axis=-1, keepdims=True), 1e-12)
        if self._map is None or self._map[0] != probs.shape[1]:
            self._map = (probs.shape[1], interpolation(self.geometry, probs.shape[1], self.student))
        lo, hi, w = self._map[1]
        out = probs[:, lo] * (1.0 - w)[None, :, None] + probs[:, hi] * w[None, :, None]
        return out.astype(np.float32)
