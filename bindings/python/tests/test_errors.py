"""Status codes map to exception classes; bad input is refused and consumes nothing."""

import math

import numpy as np
import pytest
import voiceflow
from voiceflow import _errors, _native

from conftest import RATE, chunked

STATUS_CLASSES = {
    -1: voiceflow.NullPointerError,
    -2: voiceflow.InvalidArgumentError,
    -3: voiceflow.InvalidConfigError,
    -4: voiceflow.RuntimeUnavailableError,
    -5: voiceflow.ModelError,
    -6: voiceflow.InferenceError,
    -7: voiceflow.InvalidAudioError,
    -8: voiceflow.UnsupportedSampleRateError,
    -9: voiceflow.InvalidStateError,
    -10: voiceflow.InternalError,
    -11: voiceflow.VoiceflowIOError,
    -12: voiceflow.DeviceUnavailableError,
    -13: voiceflow.LimitReachedError,
}


@pytest.mark.parametrize("status,cls", sorted(STATUS_CLASSES.items()))
def test_every_status_has_its_class(status, cls):
    error = _errors.error_for(status, "detail")
    assert type(error) is cls and isinstance(error, voiceflow.VoiceflowError)
    assert (
        error.status == status and error.message == "detail" and str(error) == "detail"
    )
    assert _native.status_text(status) != _native.status_text(-999)  # a specific text


def test_unknown_status_gives_the_base_class():
    error = _errors.error_for(-999, "what")
    assert type(error) is voiceflow.VoiceflowError and error.status == -999


def test_header_codes_match_the_classes():
    from conftest import ROOT

    header = (ROOT / "include" / "voiceflow.h").read_text()
    import re

    codes = {int(v) for v in re.findall(r"#define VF_ERR_\w+ (-\d+)", header)}
    assert codes == set(STATUS_CLASSES)


def test_unknown_config_key():
    with pytest.raises(voiceflow.InvalidArgumentError, match="no_such_key") as info:
        voiceflow.Config(no_such_key=1.0)
    assert isinstance(info.value, ValueError)


def test_invalid_config_value_is_reported_at_session_creation(model):
    config = voiceflow.Config(onset=2.0)
    with pytest.raises(voiceflow.InvalidConfigError, match="onset"):
        voiceflow.Session(model, config)
    with pytest.raises(voiceflow.InvalidConfigError, match="latency"):
        voiceflow.Session(model, {"latency": -1})


def test_model_errors():
    with pytest.raises(voiceflow.ModelError, match="/nonexistent/emb.onnx"):
        voiceflow.Model(embedding="/nonexistent/emb.onnx")
    with pytest.raises(voiceflow.InvalidConfigError, match="intra_threads"):
        voiceflow.Model(threads=1000)
    with pytest.raises(TypeError):
        voiceflow.Model(threads="2")
    with pytest.raises(TypeError):
        voiceflow.Session("not a model")


def test_rejected_pushes_consume_nothing(model, pcm, reference):
    """Every kind of bad push fails with its class; the stream still gives the reference."""
    bad_pushes = [
        (
            dict(samples=np.array([0.0, math.nan], dtype=np.float32)),
            voiceflow.InvalidAudioError,
        ),
        (dict(samples=[0.5, math.inf]), voiceflow.InvalidAudioError),
        (
            dict(samples=np.zeros(160, np.int16), sample_rate=1000),
            voiceflow.UnsupportedSampleRateError,
        ),
        (
            dict(samples=np.zeros(160, np.int16), sample_rate=8000),
            voiceflow.UnsupportedSampleRateError,
        ),
        (
            dict(samples=np.zeros(3, np.int16), channels=2),
            voiceflow.InvalidArgumentError,
        ),
        (
            dict(samples=np.zeros((4, 2), np.int16), channels=3),
            voiceflow.InvalidArgumentError,
        ),
        (dict(samples=b"\x00\x01\x02"), voiceflow.InvalidArgumentError),
        (dict(samples=[1, 2, 40000]), voiceflow.InvalidArgumentError),
        (dict(samples=np.zeros((2, 2, 2), np.float32)), voiceflow.InvalidArgumentError),
        (
            dict(samples=np.zeros(4, np.int16), sample_rate=-1),
            voiceflow.InvalidArgumentError,
        ),
        (dict(samples=np.zeros(4, np.int32)), TypeError),
        (dict(samples=["a", "b"]), TypeError),
        (dict(samples=np.zeros(4, np.int16), sample_rate=16000.0), TypeError),
    ]
    with voiceflow.Session(model) as session:
        segments = []
        for i, chunk in enumerate(chunked(pcm, 1600)):
            if i % 40 == 5:
                for kwargs, cls in bad_pushes:
                    with pytest.raises(cls):
                        session.push(**{"sample_rate": RATE, **kwargs})
            session.push(chunk, RATE)
            segments += session.poll()
        segments += session.flush()
        with pytest.raises(voiceflow.InvalidStateError):
            session.push(np.zeros(16, np.int16), RATE)
    assert segments == reference


def test_push_needs_the_sample_rate(model, pcm):
    """No rate is assumed: leaving it out is a TypeError, and nothing is consumed."""
    with voiceflow.Session(model) as session:
        with pytest.raises(TypeError, match="sample_rate"):
            session.push(pcm[:RATE])
        with pytest.raises(TypeError, match="sample_rate"):
            session.push(pcm[:RATE], channels=1)
        with pytest.raises(TypeError, match="sample_rate"):
            session.push(pcm[:RATE], sample_rate=None)
        # Nothing reached the library: the first rate it sees may still be any rate
        # (a stream's rate cannot change once set).
        session.push(pcm[: RATE // 2], 8000)
        with pytest.raises(voiceflow.UnsupportedSampleRateError):
            session.push(pcm[:RATE], RATE)


def test_closed_objects_raise_invalid_state(model):
    session = voiceflow.Session(model)
    session.close()
    session.close()  # idempotent
    assert session.closed
    for call in (
        lambda: session.push(b"", RATE),
        session.poll,
        session.flush,
        lambda: session.pending,
    ):
        with pytest.raises(voiceflow.InvalidStateError, match="closed"):
            call()
    config = voiceflow.Config()
    config.close()
    with pytest.raises(voiceflow.InvalidStateError):
        config.set("latency", 1.0)
    with pytest.raises(voiceflow.InvalidStateError):
        voiceflow.Session(model, config)
