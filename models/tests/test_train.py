import json
from pathlib import Path

import numpy as np
import torch

from models import train


def test_training_smoke_20_steps_and_resume(tmp_path):
    out = tmp_path / "run"
    args = ["--model-type", "fast-cnn", "--synthetic-data", "--steps", "20", "--batch-size", "2", "--val-every", "10",
            "--val-windows", "4", "--out", str(out), "--warmup", "5"]
    assert train.main(args) == 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [10, 20]
    assert all(np.isfinite(r["train_loss"]) and np.isfinite(r["val"]["loss"]) for r in log)
    assert log[-1]["train_loss"] < 1.95  # below the uniform 7-class cross-entropy (ln 7)
    ck = torch.load(out / "last.pt", weights_only=False)
    assert ck["step"] == 20 and (out / "best.pt").exists()
    # resume: continues from step 20
    assert train.main(args[:4] + ["22"] + args[5:]) == 0
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 22


def test_fine_tuning_from_the_shipped_onnx_model(tmp_path, capsys):
    out = tmp_path / "ft"
    shipped = Path(__file__).resolve().parents[1] / "fast_cnn.onnx"
    assert train.main(["--synthetic-data", "--checkpoint", str(shipped), "--steps", "2", "--batch-size", "2",
                       "--val-every", "2", "--val-windows", "2", "--out", str(out), "--warmup", "1"]) == 0
    assert "BatchNorm frozen" in capsys.readouterr().out
    ck = torch.load(out / "last.pt", weights_only=False)
    # frozen statistics: still the identity the folded weights were loaded with
    assert torch.all(ck["model"]["blocks.0.dil.bn.running_mean"] == 0)
