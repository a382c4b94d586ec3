import numpy as np
import pytest
import torch

from models import create_model
from models.common import POWERSET_CLASSES, count_parameters, multilabel_to_powerset, powerset_lookup
from models.losses import PERMUTATIONS, frame_errors, pit_powerset_loss


def test_powerset_class_order_matches_engine():
    assert POWERSET_CLASSES == [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]
    assert multilabel_to_powerset(np.array([[0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 1]])).tolist() == [0, 2, 5, 6]
    assert powerset_lookup()[0b111] == 4  # 3 speakers clip to the 2 lowest


def test_fast_cnn_parameter_count():
    n = count_parameters(create_model("fast-cnn"))
    assert 2.3e6 * 0.9 <= n <= 2.3e6 * 1.1, n


def test_sophisticated_parameter_counts(sophisticated):
    encoder = sum(p.numel() for p in sophisticated.wav2vec2.parameters())
    trainable = count_parameters(sophisticated, trainable_only=True)
    total = count_parameters(sophisticated)
    # wav2vec2-base (Hugging Face Wav2Vec2Model: 94,371,712 with weight-norm's extra 128 gains)
    assert encoder == 94_371_584, encoder
    assert not any(p.requires_grad for p in sophisticated.wav2vec2.parameters())
    assert 3.8e6 * 0.9 <= trainable <= 3.8e6 * 1.1, trainable
    assert 98.2e6 * 0.98 <= total <= 98.2e6 * 1.02, total


def test_unknown_model_type():
    with pytest.raises(ValueError, match="fast-cnn"):
        create_model("lstm")


@pytest.mark.parametrize("model_type", ["fast-cnn", "sophisticated"])
def test_output_shape_matches_contract(model_type, sophisticated):
    model = sophisticated if model_type == "sophisticated" else create_model(model_type).eval()
    meta = model.metadata()
    window = int(meta["voiceflow.window_samples"])
    step = int(meta["voiceflow.frame_step_samples"])
    frames = (window - int(meta["voiceflow.frame_offset_samples"]) - int(meta["voiceflow.frame_length_samples"])) \
        // step + 1
    assert window == 80000 and meta["voiceflow.speakers"] == "3" and meta["voiceflow.output"] == "powerset"
    assert 240 <= step <= 320  # frames every 15-20 ms
    x = torch.randn(1, 1, window) * 0.05
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, frames, 7)
    assert torch.allclose(y.exp().sum(-1), torch.ones(1, frames), atol=1e-4)


def test_fuse_keeps_outputs():
    torch.manual_seed(0)
    m = create_model("fast-cnn")
    for mod in m.modules():  # non-trivial BatchNorm statistics
        if isinstance(mod, torch.nn.BatchNorm1d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
    m.eval()
    fused = m.fuse()
    assert not any(isinstance(x, torch.nn.BatchNorm1d) for x in fused.modules())
    x = torch.randn(2, 1, 80000) * 0.1
    with torch.no_grad():
        assert torch.allclose(m(x), fused(x), atol=1e-3)


def test_pit_loss_is_permutation_invariant():
    torch.manual_seed(0)
    lp = torch.log_softmax(torch.randn(2, 50, 7), dim=-1)
    labels = (torch.rand(2, 50, 3) > 0.6).float()
    base = pit_powerset_loss(lp, labels)
    for perm in PERMUTATIONS:
        assert torch.allclose(pit_powerset_loss(lp, labels[..., list(perm)]), base)


def test_frame_errors_perfect_and_swapped():
    ref = np.zeros((1, 10, 3))
    ref[0, :5, 0] = 1
    ref[0, 5:, 1] = 1
    assert frame_errors(ref[..., [1, 0, 2]], ref)["der"] == 0.0
    hyp = ref.copy()
    hyp[0, :, 2] = 1  # a phantom speaker everywhere
    e = frame_errors(hyp, ref)
    assert e["fa"] == 1.0 and e["miss"] == 0.0
