"""voiceflow.read_audio: the library's own decoders, from Python."""

import numpy as np
import pytest
import voiceflow

from conftest import EXAMPLE_WAV, ROOT

FIXTURES = ROOT / "tests" / "data" / "audio"


def test_wav_decodes_to_the_pcm_samples(pcm):
    samples, rate = voiceflow.read_audio(EXAMPLE_WAV)
    assert rate == 16000
    assert samples.dtype == np.float32 and samples.shape == (len(pcm), 1)
    np.testing.assert_array_equal(samples[:, 0], pcm.astype(np.float32) / 32768.0)


def test_stereo_keeps_its_rate_and_channels():
    samples, rate = voiceflow.read_audio(str(FIXTURES / "stereo_44k.wav"))
    assert rate == 44100 and samples.shape == (22050, 2)


def offline(model, samples, rate) -> list:
    """The CLI's way: the whole file in offline mode."""
    with voiceflow.Session(model, voiceflow.Config(mode="offline")) as session:
        session.push(samples, sample_rate=rate)
        return session.flush()


def test_an_mp3_diarizes_like_the_wav(model):
    wav, _ = voiceflow.read_audio(EXAMPLE_WAV)
    mp3, rate = voiceflow.read_audio(ROOT / "examples" / "data" / "conversation.mp3")
    assert rate == 16000 and mp3.shape[1] == 1
    # Gapless decoding: the MP3 lines up with the WAV, give or take a frame.
    assert abs(len(mp3) - len(wav)) < 1152
    from_wav = offline(model, wav, 16000)
    from_mp3 = offline(model, mp3, rate)
    assert len({s.speaker for s in from_mp3}) == len({s.speaker for s in from_wav}) == 3
    assert len(from_mp3) == len(from_wav)
    for a, b in zip(from_wav, from_mp3):
        assert a.speaker == b.speaker
        assert abs(a.start - b.start) < 0.15 and abs(a.end - b.end) < 0.15


def test_non_audio_and_missing_files_raise_io_errors(tmp_path):
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio\n" * 100)
    with pytest.raises(voiceflow.VoiceflowIOError, match="voiceflow reads WAV"):
        voiceflow.read_audio(notes)
    with pytest.raises(voiceflow.VoiceflowIOError, match="missing.flac"):
        voiceflow.read_audio(tmp_path / "missing.flac")
    with pytest.raises(voiceflow.VoiceflowIOError, match="Opus"):
        voiceflow.read_audio(FIXTURES / "opus.ogg")


def test_an_m4a_decodes_like_the_other_formats():
    samples, rate = voiceflow.read_audio(FIXTURES / "conversation_25s.m4a")
    assert rate == 16000 and samples.dtype == np.float32 and samples.shape[1] == 1
    # 25 s, plus AAC's 1024 priming samples and the last frame's padding.
    assert 25 * 16000 + 1024 <= len(samples) < 25 * 16000 + 3072
