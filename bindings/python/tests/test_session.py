"""Pushing every accepted kind of input gives the same segments; zero-copy; lifetimes."""

import threading

import numpy as np
import pytest
import voiceflow
from voiceflow._api import _as_samples

from conftest import RATE, chunked, diarize


def test_reference_is_plausible(reference):
    assert [s.start for s in reference] == sorted(s.start for s in reference)
    assert all(s.start < s.end for s in reference)
    assert {s.speaker for s in reference} == {0, 1, 2}  # three voices
    assert all(isinstance(s, voiceflow.Segment) for s in reference)


def test_float32_bytes_and_lists_give_the_same_segments(model, excerpt, excerpt_reference):
    audio, expected = excerpt, excerpt_reference
    as_float = audio.astype(np.float32) / 32768.0
    assert diarize(model, chunked(as_float, 1600)) == expected
    assert diarize(model, [c.tobytes() for c in chunked(audio, 1600)]) == expected
    assert (
        diarize(model, [bytearray(c.tobytes()) for c in chunked(audio, 3200)])
        == expected
    )
    assert diarize(model, [c.tolist() for c in chunked(audio, 16000)]) == expected
    assert diarize(model, [c.tolist() for c in chunked(as_float, 16000)]) == expected
    assert diarize(model, chunked(as_float.astype(np.float64), 4000)) == expected


def test_layouts_give_the_same_segments(model, excerpt, excerpt_reference):
    audio, expected = excerpt, excerpt_reference
    stereo = np.stack([audio, audio], axis=1)  # (frames, 2): channels inferred
    assert diarize(model, chunked(stereo, 1600)) == expected
    assert diarize(model, chunked(stereo.reshape(-1), 3200), channels=2) == expected
    strided = stereo[:, 0]  # not contiguous: converted
    assert not strided.flags.c_contiguous
    assert diarize(model, chunked(strided, 1600)) == expected
    big_endian = audio.astype(">i2")
    assert diarize(model, chunked(big_endian, 1600)) == expected
    assert diarize(model, [audio]) == expected  # one push
    assert diarize(model, chunked(audio, 317)) == expected  # odd chunks


def test_native_arrays_are_passed_without_copying(pcm):
    as_float = pcm.astype(np.float32)
    for array in (pcm, as_float, np.stack([pcm, pcm], axis=1)):
        out, _ = _as_samples(array, None)
        assert out is array or np.shares_memory(out, array)
    data = pcm[:100].tobytes()
    out, _ = _as_samples(data, None)
    assert not out.flags.owndata and out.base is not None
    copied, _ = _as_samples(pcm[::2], None)
    assert copied.flags.c_contiguous


def test_resampled_input_gives_segments(model, pcm):
    """48 kHz input is resampled by the library (the example upsampled by repetition)."""
    upsampled = np.repeat(pcm[: 16000 * 20], 3)
    segments = diarize(model, chunked(upsampled, 4800), sample_rate=48000)
    assert segments and segments[0].start < 2.0


def test_context_managers_iteration_and_pending(model, pcm):
    with voiceflow.Config(latency=2.0).set("num_speakers", 3) as config:
        session = voiceflow.Session(model, config)
    assert config.closed  # the session keeps its own copy
    with session:
        session.push(pcm[: RATE * 20], RATE)
        waiting = session.pending
        assert waiting > 0
        assert len(list(session)) == waiting
        assert session.pending == 0 and session.poll() == []
        rest = session.flush()  # flush() returns what became final
        assert rest and session.pending == 0
    assert session.closed


def test_session_outlives_a_closed_model(pcm, reference):
    model = voiceflow.Model()
    session = voiceflow.Session(model)
    model.close()
    with pytest.raises(voiceflow.InvalidStateError):
        voiceflow.Session(model)
    with session:
        segments = []
        for chunk in chunked(pcm, 1600):
            session.push(chunk, RATE)
            segments += session.poll()
        segments += session.flush()
    assert segments == reference


def test_sessions_on_one_model_in_threads(model, pcm):
    part = pcm[: 16000 * 25]
    expected = diarize(model, chunked(part, 1600))
    results = [None] * 3

    def run(i: int) -> None:
        results[i] = diarize(model, chunked(part, 800 + 400 * i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3
