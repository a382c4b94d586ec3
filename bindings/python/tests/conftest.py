"""Runs the tests against the source tree: bindings/python/src and target/release's
libvoiceflow.so (VOICEFLOW_LIB), unless the environment already says otherwise."""

import os
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_WAV = ROOT / "examples" / "data" / "conversation.wav"
#: The example's sample rate (checked by the pcm fixture).
RATE = 16000

os.environ.setdefault(
    "VOICEFLOW_LIB", str(ROOT / "target" / "release" / "libvoiceflow.so")
)
sys.path.insert(0, str(ROOT / "bindings" / "python" / "src"))

import voiceflow  # noqa: E402  (needs the path set above)


@pytest.fixture(scope="session")
def model() -> voiceflow.Model:
    with voiceflow.Model() as m:
        yield m


@pytest.fixture(scope="session")
def pcm() -> np.ndarray:
    """The example conversation: 16 kHz mono int16."""
    with wave.open(str(EXAMPLE_WAV)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def diarize(model, chunks, sample_rate=RATE, **push_args) -> list:
    """Pushes each chunk, polling after each; flushes; returns every segment."""
    with voiceflow.Session(model) as session:
        segments = []
        for chunk in chunks:
            session.push(chunk, sample_rate, **push_args)
            segments += session.poll()
        segments += session.flush()
        assert session.pending == 0
        return segments


def chunked(samples, size: int) -> list:
    return [samples[i : i + size] for i in range(0, len(samples), size)]


@pytest.fixture(scope="session")
def reference(model, pcm) -> list:
    """The segments of int16 numpy chunks of 100 ms (the same-answer convention)."""
    segments = diarize(model, chunked(pcm, 1600))
    assert len(segments) >= 5
    return segments


@pytest.fixture(scope="session")
def excerpt(pcm) -> np.ndarray:
    """The example's first 20 s (two voices): enough for the layout and type tests,
    which compare pushes of the same audio, at a third of the cost."""
    return pcm[: RATE * 20]


@pytest.fixture(scope="session")
def excerpt_reference(model, excerpt) -> list:
    """The excerpt's segments from int16 numpy chunks of 100 ms."""
    segments = diarize(model, chunked(excerpt, 1600))
    assert len({s.speaker for s in segments}) >= 2
    return segments
