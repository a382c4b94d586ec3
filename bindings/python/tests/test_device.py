"""Model(device=..., allow_cpu_fallback=...): the library under test is built without the
`cuda` feature and runs a CPU-only ONNX Runtime, so CUDA is always unavailable here."""

import pytest
import voiceflow

from conftest import chunked, diarize


def test_cpu_with_threads_opens_on_the_cpu():
    with voiceflow.Model(device="cpu:2") as model:
        assert model.device == "cpu"
        assert model.device_fallback is None


def test_default_device_is_the_cpu(model):
    assert model.device == "cpu" and model.device_fallback is None


def test_cuda_without_fallback_is_device_unavailable():
    with pytest.raises(voiceflow.DeviceUnavailableError) as info:
        voiceflow.Model(device="cuda")
    assert info.value.status == -12
    assert "cuda:0 is unavailable" in info.value.message
    assert "fallback" in info.value.message


def test_cuda_with_fallback_runs_on_the_cpu_and_says_why(pcm, model):
    with voiceflow.Model(device="cuda", allow_cpu_fallback=True) as fallback:
        assert fallback.device == "cpu"
        reason = fallback.device_fallback
        assert reason is not None and "cuda" in reason.lower()
        first_20_s = chunked(pcm[: 20 * 16000], 1600)
        segments = diarize(fallback, first_20_s)
    assert segments and segments == diarize(model, first_20_s)


def test_best_may_fall_back_without_the_flag():
    with voiceflow.Model(device="best") as model:
        assert model.device == "cpu" and model.device_fallback


@pytest.mark.parametrize("device", ["gpu", "cpu:0", "cuda:-1", "", "cpu\0:2"])
def test_malformed_device_is_an_invalid_argument(device):
    with pytest.raises(voiceflow.InvalidArgumentError):
        voiceflow.Model(device=device)


def test_device_must_be_a_string():
    with pytest.raises(TypeError):
        voiceflow.Model(device=None)


def test_malformed_device_message_names_it():
    with pytest.raises(voiceflow.InvalidArgumentError, match='"gpu"'):
        voiceflow.Model(device="gpu")


def test_closed_model_has_no_device():
    model = voiceflow.Model()
    model.close()
    with pytest.raises(voiceflow.InvalidStateError):
        _ = model.device
    with pytest.raises(voiceflow.InvalidStateError):
        _ = model.device_fallback
