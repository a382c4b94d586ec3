"""Export, contract and parity tests. Bounds (on the synthetic example conversation in
examples/data; the export report measures the same on real speech):
  fp32 ONNX vs PyTorch: log-probabilities within 1e-3 (clipped at -20), frame decisions agree >= 99.9 %
  int8 QDQ vs fp32 ONNX: frame decisions agree >= 98 %, speaker activity at 0.5 agrees >= 98.5 %,
                         mean |activity difference| <= 0.01 (1.1.1 measures 98.7 %, 99.2 %, 0.006;
                         1.1.0's MinMax, every-Conv int8 measured 97.0 %, 98.3 %, 0.012)
"""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from models import create_model, export_onnx
from models.common import powerset_matrix
from models.onnx_utils import contract_frames, read_metadata, session

MODELS = Path(__file__).resolve().parents[1]
REQUIRED = {
    "voiceflow.kind": "segmentation",
    "voiceflow.sample_rate": "16000",
    "voiceflow.window_samples": "80000",
    "voiceflow.speakers": "3",
    "voiceflow.output": "powerset",
    "voiceflow.max_overlap": "2",
}


def check_file(path: Path) -> dict:
    meta = read_metadata(path)
    for k, v in REQUIRED.items():
        assert meta.get(k) == v, (k, meta.get(k))
    for k in ("frame_step_samples", "frame_offset_samples", "frame_length_samples", "name", "version"):
        assert f"voiceflow.{k}" in meta, k
    s = session(path)
    assert [i.name for i in s.get_inputs()] == ["waveform"]
    assert [o.name for o in s.get_outputs()] == ["scores"]
    y = s.run(["scores"], {"waveform": np.zeros((2, 1, 80000), np.float32)})[0]
    assert y.shape == (2, contract_frames(meta), 7)
    return meta


def activities(log_probs: np.ndarray) -> np.ndarray:
    return np.exp(log_probs) @ powerset_matrix()


@pytest.fixture(scope="module")
def random_checkpoint(tmp_path_factory):
    torch.manual_seed(1)
    m = create_model("fast-cnn")
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm1d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("ck") / "random.pt"
    torch.save({"model": m.state_dict(), "step": 0}, path)
    return path


def test_fp32_export_metadata_and_parity(tmp_path, random_checkpoint):
    out = tmp_path / "fast.onnx"
    assert export_onnx.main(["--model-type", "fast-cnn", "--checkpoint", str(random_checkpoint), "--out", str(out),
                             "--no-bench", "--onset", "0.5", "--offset", "0.35", "--tau-active", "0.45"]) == 0
    meta = check_file(out)
    assert meta["voiceflow.precision"] == "fp32"
    assert (meta["voiceflow.onset"], meta["voiceflow.offset"], meta["voiceflow.tau_active"]) == ("0.5", "0.35", "0.45")
    report = json.loads(out.with_suffix(".export.json").read_text())
    assert report["parity"]["max_abs_diff_log_prob"] < 1e-3
    assert report["parity"]["frame_decision_agreement"] >= 0.999
    # no BatchNormalization left: it is folded into the convolutions
    assert not any(n.op_type == "BatchNormalization" for n in onnx.load(str(out)).graph.node)


@pytest.mark.parametrize("bad", [["--onset", "1.2"], ["--tau-active", "0"], ["--onset", "0.3", "--offset", "0.4"]])
def test_bad_recommended_settings_are_refused(tmp_path, random_checkpoint, bad):
    out = tmp_path / "never.onnx"
    with pytest.raises(SystemExit, match="onset|offset|tau-active"):
        export_onnx.main(["--checkpoint", str(random_checkpoint), "--out", str(out), "--no-bench", *bad])
    assert not out.exists()


def test_fp16_export_runs(tmp_path, random_checkpoint):
    out = tmp_path / "fast.fp16.onnx"
    assert export_onnx.main(["--checkpoint", str(random_checkpoint), "--out", str(out), "--quantize", "fp16",
                             "--no-bench"]) == 0
    assert check_file(out)["voiceflow.precision"] == "fp16"
    report = json.loads(out.with_suffix(".export.json").read_text())
    assert report["parity"]["frame_decision_agreement"] >= 0.99


def test_committed_models_meet_the_contract():
    for name in ("fast_cnn.onnx", "fast_cnn.int8.onnx"):
        meta = check_file(MODELS / name)
        assert meta["voiceflow.name"] == "voiceflow-fast-cnn"
    assert read_metadata(MODELS / "fast_cnn.int8.onnx")["voiceflow.precision"] == "int8"
    report = json.loads((MODELS / "fast_cnn.export.json").read_text())
    assert report["contract"]["frames"] == 248


def _compare(a: Path, b: Path) -> dict:
    w = export_onnx.example_windows()
    x = w[:, None, :].astype(np.float32)
    ya = session(a, threads=2).run(["scores"], {"waveform": x})[0]
    yb = session(b, threads=2).run(["scores"], {"waveform": x})[0]
    aa, ab = activities(ya), activities(yb)
    return {"decision": float(np.mean(ya.argmax(-1) == yb.argmax(-1))),
            "activity": float(np.mean((aa > 0.5) == (ab > 0.5))),
            "mean_abs": float(np.mean(np.abs(aa - ab)))}


def test_committed_int8_parity_within_bounds():
    r = _compare(MODELS / "fast_cnn.onnx", MODELS / "fast_cnn.int8.onnx")
    assert r["decision"] >= 0.98 and r["activity"] >= 0.985 and r["mean_abs"] <= 0.01, r


def test_int8_quantization_path(tmp_path):
    """Re-quantises the committed fp32 model (calibrated on the example speech) and checks it."""
    q = tmp_path / "q.onnx"
    export_onnx.quantize_int8(MODELS / "fast_cnn.onnx", q, export_onnx.example_windows(4))
    m = onnx.load(str(q))
    ops = {n.op_type for n in m.graph.node}
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    convs = [n for n in m.graph.node if n.op_type == "Conv"]
    floats = {i.name for i in m.graph.initializer}
    # the raw-waveform convolution and the head stay float; every other one reads int8 weights
    assert [c.input[1] in floats for c in convs] == [True] + [False] * (len(convs) - 3) + [True, True]
    r = _compare(MODELS / "fast_cnn.onnx", q)
    assert r["decision"] >= 0.98 and r["activity"] >= 0.985 and r["mean_abs"] <= 0.01, r


def test_training_continues_from_an_exported_file(tmp_path, random_checkpoint):
    """`load_fused_onnx` gives a model that computes what the fp32 file computes, and stays
    so in training mode once its BatchNorms are frozen (a shipped model can be fine-tuned)."""
    from models.fast_cnn import FastDiarizationModel, freeze_batch_norm

    out = tmp_path / "fast.onnx"
    assert export_onnx.main(["--checkpoint", str(random_checkpoint), "--out", str(out), "--no-bench",
                             "--no-parity"]) == 0
    m = FastDiarizationModel()
    meta = m.load_fused_onnx(out)
    assert meta["voiceflow.name"] == "voiceflow-fast-cnn"
    x = export_onnx.example_windows(2)[:, None, :].astype(np.float32)
    want = session(out).run(["scores"], {"waveform": x})[0]
    m.train()
    freeze_batch_norm(m)
    with torch.no_grad():
        got = m(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(np.maximum(got, -20) - np.maximum(want, -20))) < 1e-3
    norms = [b for b in m.modules() if isinstance(b, torch.nn.BatchNorm1d)]
    stats = [b.running_mean.clone() for b in norms]
    m(torch.from_numpy(x)).mean().backward()  # a training pass leaves frozen statistics alone
    assert all(torch.equal(s, b.running_mean) for s, b in zip(stats, norms, strict=True))
    with pytest.raises(ValueError, match="no fp32 weights"):
        FastDiarizationModel(channels=128).load_fused_onnx(out)


def test_the_export_report_measures_agreement_with_a_teacher(tmp_path):
    out = tmp_path / "student.onnx"
    shipped = MODELS / "fast_cnn.onnx"
    assert export_onnx.main(["--checkpoint", str(shipped), "--out", str(out), "--no-bench", "--no-parity",
                             "--teacher", str(shipped), "--version", "9.9.9", "--powerset-decoding", "hard"]) == 0
    meta = read_metadata(out)
    assert (meta["voiceflow.version"], meta["voiceflow.powerset_decoding"]) == ("9.9.9", "hard")
    report = json.loads(out.with_suffix(".export.json").read_text())
    teacher = report["teacher"]
    assert teacher["teacher"] == f"voiceflow-fast-cnn {read_metadata(shipped)['voiceflow.version']}"
    # the hermetic tests have no shared data: the example conversation, a file re-exported from its teacher
    assert teacher["example_conversation"]["windows"] > 0
    assert teacher["example_conversation"]["agreement"] > 0.999
    assert "shared data not found" in teacher["note"]
