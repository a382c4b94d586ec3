"""Checks of the model files made by scripts/setup.sh (run with .voiceflow/venv/bin/python -m pytest).

The models live in $VOICEFLOW_HOME/models (default <repo>/.voiceflow/models); run `make setup`
(bash scripts/setup.sh) first.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

SCRIPTS = Path(__file__).resolve().parents[1]
ROOT = SCRIPTS.parent


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


convert_ge2e = _load_script("convert_ge2e")
setup_models = _load_script("setup_models")

VF_HOME = Path(os.environ.get("VOICEFLOW_HOME", ROOT / ".voiceflow"))
MODELS = VF_HOME / "models"
SR = 16000


def _model_path(name: str) -> Path:
    path = MODELS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make setup` (bash scripts/setup.sh) first")
    return path


def _session(name: str) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(str(_model_path(name)), so, providers=["CPUExecutionProvider"])


def _metadata(name: str) -> dict[str, str]:
    model = onnx.load(str(_model_path(name)), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props if p.key.startswith("voiceflow.")}


@pytest.fixture(scope="module")
def ge2e() -> ort.InferenceSession:
    return _session("ge2e.onnx")


@pytest.fixture(scope="module")
def ge2e_weights() -> dict[str, np.ndarray]:
    wheel = VF_HOME / "downloads" / "Resemblyzer-0.1.4-py3-none-any.whl"
    if not wheel.is_file():
        pytest.fail(f"{wheel} is missing: run `make setup` first")
    return convert_ge2e.load_weights(wheel)


@pytest.fixture(scope="module")
def testseg() -> ort.InferenceSession:
    return _session("test_segmentation.onnx")


# ---- metadata / interface ----------------------------------------------------------------------


def test_silero_metadata_and_io():
    assert _metadata("silero_vad.onnx") == {
        "voiceflow.kind": "vad",
        "voiceflow.sample_rate": "16000",
        "voiceflow.chunk_samples": "512",
        "voiceflow.context_samples": "64",
        "voiceflow.state_size": "128",
        "voiceflow.name": "silero-vad",
        "voiceflow.version": "6.2.3",
        "voiceflow.license": "MIT",
    }
    sess = _session("silero_vad.onnx")
    assert [i.name for i in sess.get_inputs()] == ["input", "h", "c"]
    assert [o.name for o in sess.get_outputs()] == ["speech_probs", "hn", "cn"]
    assert sess.get_inputs()[0].shape[1] == 576
    # Silence: probabilities in [0, 1] and low; the LSTM state comes back with the right shape.
    state = np.zeros((1, 1, 128), np.float32)
    x = np.zeros((4, 576), np.float32)
    probs, hn, cn = sess.run(None, {"input": x, "h": state, "c": state})
    assert probs.shape == (4,) and hn.shape == (1, 1, 128) and cn.shape == (1, 1, 128)
    assert np.all((probs >= 0) & (probs <= 1))
    assert probs.max() < 0.5


def test_ge2e_metadata_and_io(ge2e):
    assert _metadata("ge2e.onnx") == {
        "voiceflow.kind": "embedding",
        "voiceflow.sample_rate": "16000",
        "voiceflow.embedding_dim": "256",
        "voiceflow.window_samples": "25440",
        "voiceflow.min_samples": "8000",
        "voiceflow.name": "resemblyzer-ge2e",
        "voiceflow.version": "0.1.4",
        "voiceflow.license": "Apache-2.0",
        "voiceflow.input": "waveform",
    }
    (inp,) = ge2e.get_inputs()
    (out,) = ge2e.get_outputs()
    assert inp.name == "waveform" and len(inp.shape) == 2
    assert out.name == "embedding" and out.shape[1] == 256


def test_segmentation_metadata_and_io(testseg):
    assert _metadata("test_segmentation.onnx") == {
        "voiceflow.kind": "segmentation",
        "voiceflow.sample_rate": "16000",
        "voiceflow.window_samples": "80000",
        "voiceflow.frame_step_samples": "270",
        "voiceflow.frame_offset_samples": "0",
        "voiceflow.frame_length_samples": "991",
        "voiceflow.speakers": "3",
        "voiceflow.output": "powerset",
        "voiceflow.max_overlap": "2",
        "voiceflow.name": "voiceflow-test-bandsplit",
        "voiceflow.version": "1",
    }
    (inp,) = testseg.get_inputs()
    (out,) = testseg.get_outputs()
    assert inp.name == "waveform" and inp.shape[1:] == [1, 80000]
    assert out.name == "scores" and out.shape[1:] == [293, 7]


# ---- GE2E --------------------------------------------------------------------------------------


def _voice(f0: float, formants: tuple[float, ...], seed: int, n: int = 25440) -> np.ndarray:
    """Harmonic-rich synthetic vowel: vibrato pulse-like source shaped by formant resonances."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    f0t = f0 * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(4.0, 5.0) * t + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * np.cumsum(f0t) / SR
    x = np.zeros(n)
    for k in range(1, int(7600 / f0)):
        amp = sum(1.0 / (1.0 + ((k * f0 - f) / 80.0) ** 2) for f in formants) / np.sqrt(k)
        x += amp * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    x += 0.01 * x.std() * rng.standard_normal(n)
    return (0.1 * x / np.abs(x).max()).astype(np.float32)


def test_ge2e_parity_with_numpy_reference(ge2e, ge2e_weights):
    rng = np.random.default_rng(7)
    n = 8000
    t = np.arange(n) / SR
    x = np.stack(
        [
            0.2 * np.sin(2 * np.pi * 180 * t) + 0.05 * rng.standard_normal(n),
            0.05 * rng.standard_normal(n),
        ]
    ).astype(np.float32)
    got = ge2e.run(["embedding"], {"waveform": x})[0]
    ref = convert_ge2e.reference_embed(ge2e_weights, x)
    assert got.shape == (2, 256)
    assert np.max(np.abs(got - ref)) < 1e-4


def test_ge2e_embeddings_are_unit_norm(ge2e):
    rng = np.random.default_rng(3)
    x = np.stack(
        [
            np.zeros(25440, np.float32),  # silence: gain is capped, output stays finite
            (1e-6 * rng.standard_normal(25440)).astype(np.float32),
            (0.5 * rng.standard_normal(25440)).astype(np.float32),
            _voice(120, (700, 1200, 2600), seed=1),
        ]
    )
    emb = ge2e.run(["embedding"], {"waveform": x})[0]
    assert np.all(np.isfinite(emb))
    assert np.all(emb >= 0)  # ReLU before the normalisation
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_ge2e_volume_normalisation_makes_quiet_input_equivalent(ge2e):
    # Increase-only gain to -30 dBFS: inputs at -40 and -70 dBFS RMS both end up at -30 dBFS.
    v = _voice(150, (600, 1700, 2700), seed=5)
    v = v / np.sqrt(np.mean(v**2))
    emb = ge2e.run(["embedding"], {"waveform": np.stack([0.01 * v, 0.000316 * v])})[0]
    assert float(emb[0] @ emb[1]) > 0.9999


def test_ge2e_same_voice_closer_than_different_voice(ge2e):
    a1, a2 = _voice(110, (730, 1090, 2440), seed=1), _voice(110, (730, 1090, 2440), seed=2)
    b1, b2 = _voice(220, (270, 2290, 3010), seed=3), _voice(220, (270, 2290, 3010), seed=4)
    e = ge2e.run(["embedding"], {"waveform": np.stack([a1, a2, b1, b2])})[0]
    same_a, same_b = float(e[0] @ e[1]), float(e[2] @ e[3])
    cross = max(float(e[0] @ e[2]), float(e[0] @ e[3]), float(e[1] @ e[2]), float(e[1] @ e[3]))
    assert same_a > cross + 0.2, (same_a, cross)
    assert same_b > cross + 0.2, (same_b, cross)


def test_ge2e_accepts_varied_lengths(ge2e):
    for n in (400, 8000, 25440, 40000):
        x = (0.1 * np.random.default_rng(n).standard_normal((1, n))).astype(np.float32)
        emb = ge2e.run(["embedding"], {"waveform": x})[0]
        assert emb.shape == (1, 256) and np.all(np.isfinite(emb))


# ---- synthetic segmentation model ----------------------------------------------------------------

FRAMES, STEP, LENGTH = 293, 270, 991


def _classes(sess, wav: np.ndarray) -> np.ndarray:
    scores = sess.run(["scores"], {"waveform": wav.reshape(-1, 1, 80000).astype(np.float32)})[0]
    assert scores.shape[1:] == (FRAMES, 7)
    np.testing.assert_allclose(np.exp(scores).sum(-1), 1.0, atol=1e-4)
    return scores.argmax(-1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("silence", 0), ("low", 1), ("high", 2), ("both", 4), ("quiet_low", 0), ("mid_gap", 0)],
)
def test_segmentation_decisions(testseg, name, expected):
    tone = setup_models.tone
    wav = {
        "silence": np.zeros(80000, np.float32),
        "low": tone(500.0),
        "high": tone(2800.0),
        "both": tone(450.0) + tone(3000.0),
        "quiet_low": tone(500.0, amp=0.002),  # below the -40 dBFS threshold
        "mid_gap": tone(1300.0),  # between the bands: nobody
    }[name]
    classes = _classes(testseg, wav)
    assert np.all(classes == expected), np.unique(classes)


def test_segmentation_is_decisive_and_never_uses_speaker_2(testseg):
    tone = setup_models.tone
    wav = np.stack([np.zeros(80000, np.float32), tone(600.0), tone(2200.0), tone(350.0) + tone(3400.0)])
    scores = testseg.run(["scores"], {"waveform": wav[:, None]})[0]
    assert scores.max(-1).min() > -1e-3  # winning class has probability ~1
    assert scores[..., [3, 5, 6]].max() < -15


def test_segmentation_frame_timing(testseg):
    # Low tone in [1 s, 2 s), high tone in [3 s, 4 s): frames entirely inside a region must show
    # its speaker, frames entirely outside both must be silence.
    wav = np.zeros(80000, np.float32)
    wav[16000:32000] = setup_models.tone(500.0, n=16000)
    wav[48000:64000] = setup_models.tone(2800.0, n=16000)
    classes = _classes(testseg, wav)[0]
    start = np.arange(FRAMES) * STEP
    end = start + LENGTH
    inside_low = (start >= 16000) & (end <= 32000)
    inside_high = (start >= 48000) & (end <= 64000)
    outside = (end <= 16000) | ((start >= 32000) & (end <= 48000)) | (start >= 64000)
    assert inside_low.sum() > 50 and inside_high.sum() > 50 and outside.sum() > 100
    assert np.all(classes[inside_low] == 1)
    assert np.all(classes[inside_high] == 2)
    assert np.all(classes[outside] == 0)


def test_segmentation_batch_rows_independent(testseg):
    tone = setup_models.tone
    batch = np.stack([tone(500.0), np.zeros(80000, np.float32)])
    classes = _classes(testseg, batch)
    assert np.all(classes[0] == 1) and np.all(classes[1] == 0)


def test_onnxruntime_library_installed():
    lib = VF_HOME / "onnxruntime" / "libonnxruntime.so"
    assert lib.is_symlink() and os.readlink(lib) == "libonnxruntime.so.1.32.0"
    assert lib.resolve().is_file() and lib.resolve().stat().st_size > 1_000_000
    assert (VF_HOME / "onnxruntime" / "libonnxruntime_providers_shared.so").is_file()


def test_embedding_test_model_separates_the_two_bands():
    meta = _metadata("test_embedding.onnx")
    assert meta["voiceflow.kind"] == "embedding"
    assert meta["voiceflow.embedding_dim"] == "2"
    sess = _session("test_embedding.onnx")
    t = np.arange(16000) / 16000
    low = (0.2 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    high = (0.2 * np.sin(2 * np.pi * 2800 * t)).astype(np.float32)
    emb = sess.run(["embedding"], {"waveform": np.stack([low, high, low + high])})[0]
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert emb[0, 0] > 0.99 and emb[1, 1] > 0.99
    assert abs(emb[2, 0] - emb[2, 1]) < 0.1
