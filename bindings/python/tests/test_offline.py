"""Offline mode, the refined result of a streaming session, and max_offline_audio."""

import pytest
import voiceflow

from conftest import RATE, chunked


def push_all(session, samples) -> list:
    """Pushes 1 s chunks, polling after each; returns what poll() gave before flush."""
    live = []
    for chunk in chunked(samples, RATE):
        session.push(chunk, RATE)
        live += session.poll()
    return live


def test_offline_session_answers_only_at_flush(model, pcm):
    with voiceflow.Session(model, voiceflow.Config(mode="offline")) as session:
        assert push_all(session, pcm) == []
        assert session.pending == 0
        segments = session.flush()
        assert session.pending == 0 and session.poll() == []
    assert len(segments) >= 5
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert {s.speaker for s in segments} == {0, 1, 2}  # alice, bob, carol


def test_mode_accepts_names_and_numbers(model, pcm):
    with voiceflow.Session(model, {"mode": 1}) as by_number:
        by_number.push(pcm[: RATE * 10], RATE)
        assert by_number.poll() == []  # offline: nothing before flush
    with voiceflow.Config(mode="streaming", refine=False):
        pass
    with pytest.raises(voiceflow.InvalidArgumentError, match="batch"):
        voiceflow.Config(mode="batch")
    with pytest.raises(voiceflow.InvalidArgumentError, match="mode"):
        voiceflow.Config(mode=2)
    with pytest.raises(voiceflow.InvalidArgumentError, match="refine"):
        voiceflow.Config(refine=0.5)


def test_refining_session_gives_live_and_refined_segments(model, pcm):
    with voiceflow.Session(model, voiceflow.Config(refine=True)) as session:
        live = push_all(session, pcm)
        assert live  # streaming as usual
        assert session.pending_refined == 0 and session.poll_refined() == []
        live += session.flush()
        waiting = session.pending_refined
        refined = session.poll_refined()
        assert len(refined) == waiting >= 5
        assert session.pending_refined == 0 and session.poll_refined() == []
    assert {s.speaker for s in live} == {0, 1, 2}
    assert {s.speaker for s in refined} == {0, 1, 2}
    assert [s.start for s in refined] == sorted(s.start for s in refined)


def test_refined_result_needs_refine(model, pcm):
    for config in (None, {"mode": "offline"}):
        with voiceflow.Session(model, config) as session:
            with pytest.raises(voiceflow.InvalidStateError):
                session.poll_refined()
            session.push(pcm[:RATE], RATE)
            session.flush()
            with pytest.raises(voiceflow.InvalidStateError) as info:
                _ = session.pending_refined
            assert info.value.status == -9


def test_refine_with_offline_mode_is_a_config_error(model):
    config = voiceflow.Config(mode="offline", refine=True)  # each key alone is valid
    with config, pytest.raises(voiceflow.InvalidConfigError, match="refine"):
        voiceflow.Session(model, config)


def test_max_offline_audio_refuses_the_push_past_it(model, pcm):
    with voiceflow.Session(model, {"mode": "offline", "max_offline_audio": 5}) as s:
        with pytest.raises(voiceflow.LimitReachedError) as info:
            s.push(pcm[: RATE * 10], RATE)  # all or nothing: refused, nothing consumed
        assert info.value.status == -13 and info.value.message
        taken = 0
        for chunk in chunked(pcm[: RATE * 10], RATE):
            try:
                s.push(chunk, RATE)
            except voiceflow.LimitReachedError:
                break
            taken += 1
        assert taken == 5  # exactly 5 s fit
        with pytest.raises(voiceflow.LimitReachedError):
            s.push(pcm[: RATE // 10], RATE)  # still refused (0.1 s), the session usable
        segments = s.flush()  # the answer up to the limit
        assert s.poll() == []
    assert segments and all(seg.end <= 5.0 + 1e-6 for seg in segments)
