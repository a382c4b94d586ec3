"""Voiceprints: made from audio, read from sessions, stored as bytes and JSON files, and
enrolled so that known speakers come out under their ids and names (the example
conversation's alice, bob and carol; tests/voiceprints.rs checks the same in Rust)."""

import copy
import json
import math
import pickle
import re
import struct

import numpy as np
import pytest
import voiceflow

from conftest import EXAMPLE_WAV, RATE, ROOT, chunked

#: The reference turns of the example: (speaker, start, end) in seconds.
TRUTH = [
    (f[7], float(f[3]), float(f[3]) + float(f[4]))
    for f in (
        line.split()
        for line in EXAMPLE_WAV.with_suffix(".rttm").read_text().splitlines()
    )
]

#: Enrolled out of order of appearance: carol is id 0, alice id 1; bob is unknown (2).
EXPECTED_IDS = {"carol": 0, "alice": 1, "bob": 2}


@pytest.fixture(scope="module")
def audio(pcm) -> np.ndarray:
    """The example as float32, as the library reads 16-bit PCM."""
    return pcm.astype(np.float32) / np.float32(32768.0)


def first_turn(audio, speaker: str) -> np.ndarray:
    _, start, end = next(t for t in TRUTH if t[0] == speaker)
    return audio[int(start * RATE) : int(end * RATE)]


@pytest.fixture(scope="module")
def voiceprints(model, audio) -> dict:
    """A named voiceprint of each speaker from its first reference turn (3 to 4.3 s)."""
    return {
        name: voiceflow.Voiceprint.from_audio(
            model, first_turn(audio, name), RATE, name=name
        )
        for name in ("alice", "bob", "carol")
    }


def turn_ids(segments) -> list:
    """For each reference turn: its speaker, and the id of the first segment covering
    more than half of it (None if none does)."""
    found = []
    for label, start, end in TRUTH:
        ids = [
            s.speaker
            for s in segments
            if min(s.end, end) - max(s.start, start) > 0.5 * (end - start)
        ]
        found.append((label, start, ids[0] if ids else None))
    return found


def assert_enrolled_ids(segments):
    for label, start, found in turn_ids(segments):
        assert found == EXPECTED_IDS[label], (label, start, segments)


def speech_of(segments, speaker: int) -> float:
    return sum(s.end - s.start for s in segments if s.speaker == speaker)


def assert_voiceprint_of(voiceprint, segments, speaker, name, model_of):
    assert voiceprint.name == name
    assert voiceprint.speech_seconds == pytest.approx(
        speech_of(segments, speaker), abs=1e-3
    )
    assert voiceprint.dim == model_of.dim and len(voiceprint.vector) == model_of.dim
    assert (voiceprint.model_name, voiceprint.model_version) == (
        model_of.model_name,
        model_of.model_version,
    )
    assert float(np.linalg.norm(voiceprint.vector)) == pytest.approx(1.0, abs=1e-3)


def test_header_constants():
    header = (ROOT / "include" / "voiceflow.h").read_text()
    for name in ("MAX_ENROLLED_SPEAKERS", "VOICEPRINT_FORMAT_VERSION"):
        match = re.search(rf"#define VF_{name} (\d+)", header)
        assert match and int(match.group(1)) == getattr(voiceflow, name), name


def test_a_voiceprint_from_audio(model, audio, voiceprints):
    carol = voiceprints["carol"]
    assert carol.name == "carol"
    # Carol's first turn is 3.0 s; the voiceprint has the speech found in it.
    assert 2.0 <= carol.speech_seconds <= 3.1
    assert carol.dim == 192 and carol.vector.dtype == np.float32
    assert float(np.linalg.norm(carol.vector)) == pytest.approx(1.0, abs=1e-3)
    assert carol.model_name.startswith("campplus") and carol.model_version
    assert "carol" in repr(carol)
    # int16 samples, or (frames, 1) float ones, give the same voiceprint.
    turn = first_turn(audio, "carol")
    as_int16 = (turn * 32768).astype(np.int16)
    from_int16 = voiceflow.Voiceprint.from_audio(model, as_int16, RATE, name="carol")
    assert from_int16 == carol
    from_2d = voiceflow.Voiceprint.from_audio(model, turn.reshape(-1, 1), RATE)
    assert from_2d.name is None and np.array_equal(from_2d.vector, carol.vector)
    # Different speakers, different voiceprints; alice and bob are far apart.
    alice, bob = voiceprints["alice"], voiceprints["bob"]
    assert alice != bob and alice != carol
    assert float(alice.vector @ bob.vector) < 0.5


def test_streaming_session_names_enrolled_speakers(model, pcm, voiceprints):
    """Enrolled carol then alice: carol id 0, alice id 1, bob (unknown) id 2, live and
    in the refined result; voiceprints per id while streaming and after flush."""
    carol, alice = voiceprints["carol"], voiceprints["alice"]
    config = voiceflow.Config(refine=True)
    assert config.enroll(carol) == 0
    assert config.enroll(alice) == 1
    with voiceflow.Session(model, config) as session:
        assert session.speaker_name(0) == "carol"
        assert session.speaker_name(1) == "alice"
        assert (
            session.speaker_name(2) is None and session.speaker_name(2**32 - 1) is None
        )
        with pytest.raises(voiceflow.InvalidArgumentError, match="no segment"):
            session.voiceprint(0)  # carol has not spoken yet
        segments = []
        checked_while_streaming = set()
        for i, chunk in enumerate(chunked(pcm, RATE // 10)):
            session.push(chunk, RATE)
            segments += session.poll()
            if i % 10 == 0:
                # Each id's voiceprint now has the speech of its segments so far.
                for speaker in {s.speaker for s in segments}:
                    now = session.voiceprint(speaker)
                    assert now.speech_seconds == pytest.approx(
                        speech_of(segments, speaker), abs=1e-3
                    )
                    checked_while_streaming.add(speaker)
        assert checked_while_streaming == {0, 1, 2}
        with pytest.raises(voiceflow.InvalidArgumentError):
            session.refined_voiceprint(0)  # the refined result comes at flush
        segments += session.flush()
        assert_enrolled_ids(segments)
        names = {0: "carol", 1: "alice", 2: None}
        assert {s.speaker for s in segments} == set(names)
        for speaker, name in names.items():
            assert_voiceprint_of(
                session.voiceprint(speaker), segments, speaker, name, carol
            )
        with pytest.raises(voiceflow.InvalidArgumentError, match="no segment"):
            session.voiceprint(9)

        # The refined result (the offline answer) knows them under the same ids.
        refined = session.poll_refined()
        assert_enrolled_ids(refined)
        for speaker, name in names.items():
            assert_voiceprint_of(
                session.refined_voiceprint(speaker), refined, speaker, name, carol
            )
        with pytest.raises(voiceflow.InvalidArgumentError):
            session.refined_voiceprint(9)

        # A session voiceprint is enrolled like any other: it knows its speaker again.
        bob = session.voiceprint(2)
        assert bob.name is None
        bob.name = "bob"
    with pytest.raises(voiceflow.InvalidStateError):
        session.voiceprint(0)
    assert bob.name == "bob" and bob.speech_seconds > 10  # it outlives the session
    first_20_s = pcm[: 20 * RATE]
    with voiceflow.Session(model, {"mode": "offline", "speakers": [bob]}) as later:
        later.push(first_20_s, RATE)
        later_segments = later.flush()
    bob_turns = [t for t in TRUTH if t[0] == "bob" and t[2] <= 20]
    assert bob_turns
    for _, start, end in bob_turns:
        covering = [s for s in later_segments if s.start < end and s.end > start]
        assert covering and max(covering, key=lambda s: s.end - s.start).speaker == 0


def test_offline_session_names_enrolled_speakers(model, pcm, voiceprints):
    carol, alice = voiceprints["carol"], voiceprints["alice"]
    config = voiceflow.Config(mode="offline", speakers=[carol, alice])
    with voiceflow.Session(model, config) as session:
        for chunk in chunked(pcm, RATE):
            session.push(chunk, RATE)
        with pytest.raises(voiceflow.InvalidArgumentError):
            session.voiceprint(0)  # an offline session answers at flush
        segments = session.flush()
        assert_enrolled_ids(segments)
        assert [session.speaker_name(i) for i in range(3)] == ["carol", "alice", None]
        for speaker, name in {0: "carol", 1: "alice", 2: None}.items():
            voiceprint = session.voiceprint(speaker)
            assert_voiceprint_of(voiceprint, segments, speaker, name, carol)
            # For an offline session the refined voiceprint is the same.
            assert session.refined_voiceprint(speaker) == voiceprint


def test_known_speaker_threshold(model, pcm, voiceprints):
    """The key reaches the engine: within a distance of almost 0 nobody is recognised,
    and the speakers are numbered after the enrolled ones."""
    first_20_s = pcm[: 20 * RATE]
    settings = {
        "mode": "offline",
        "speakers": [voiceprints["carol"], voiceprints["alice"]],
    }
    strict = voiceflow.Config(known_speaker_threshold=1e-6, **settings)
    with voiceflow.Session(model, strict) as session:
        session.push(first_20_s, RATE)
        segments = session.flush()
        assert session.speaker_name(0) == "carol"  # enrolled, though not recognised
    assert segments and {s.speaker for s in segments} == {2, 3, 4}
    with voiceflow.Session(model, settings) as session:
        session.push(first_20_s, RATE)
        assert {s.speaker for s in session.flush()} == {0, 1, 2}
    for bad in (-1.0, 3.0):
        with pytest.raises(
            voiceflow.InvalidConfigError, match="known_speaker_threshold"
        ):
            voiceflow.Session(model, {"known_speaker_threshold": bad})


def test_bytes_round_trip(voiceprints):
    alice = voiceprints["alice"]
    data = bytes(alice)
    assert data == alice.to_bytes() and data[:4] == b"VFVP"
    assert struct.unpack_from("<HH", data, 4) == (
        voiceflow.VOICEPRINT_FORMAT_VERSION,
        192,
    )
    for form in (data, bytearray(data), memoryview(data)):
        again = voiceflow.Voiceprint.from_bytes(form)
        assert again == alice and again is not alice
        assert again.name == "alice" and again.speech_seconds == alice.speech_seconds
        assert np.array_equal(again.vector, alice.vector)
        assert again.model_name == alice.model_name
        assert again.model_version == alice.model_version
    assert pickle.loads(pickle.dumps(alice)) == alice
    duplicate = copy.copy(alice)
    duplicate.name = "Alice Smith"  # a copy of its own
    assert alice.name == "alice" and duplicate != alice
    assert voiceflow.Voiceprint.from_bytes(bytes(duplicate)).name == "Alice Smith"
    duplicate.name = None
    assert voiceflow.Voiceprint.from_bytes(bytes(duplicate)).name is None
    assert len(bytes(duplicate)) == len(data) - len("alice")


def test_json_file_round_trip(voiceprints, tmp_path):
    alice = copy.copy(voiceprints["alice"])
    alice.name = "Alice Smith"
    path = tmp_path / "alice.json"
    alice.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "voiceflow.voiceprint"
    assert doc["version"] == voiceflow.VOICEPRINT_FORMAT_VERSION
    assert doc["name"] == "Alice Smith" and doc["dim"] == 192 == len(doc["vector"])
    assert doc["model"] == {"name": alice.model_name, "version": alice.model_version}
    loaded = voiceflow.Voiceprint.load(path)
    assert loaded == alice
    assert voiceflow.Voiceprint.load(str(path)) == alice  # str paths too
    alice.name = None
    alice.save(path)  # replaces the file
    assert json.loads(path.read_text())["name"] is None
    assert voiceflow.Voiceprint.load(path).name is None


def test_bad_files_are_refused(voiceprints, tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(voiceflow.VoiceflowIOError, match="missing.json"):
        voiceflow.Voiceprint.load(missing)
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}')
    with pytest.raises(voiceflow.InvalidArgumentError, match="other.json"):
        voiceflow.Voiceprint.load(other)
    with pytest.raises(voiceflow.VoiceflowIOError, match="no-such-folder"):
        voiceprints["alice"].save(tmp_path / "no-such-folder" / "a.json")
    with pytest.raises(voiceflow.InvalidArgumentError, match="NUL"):
        voiceprints["alice"].save(str(tmp_path / "a\0b.json"))
    assert not list(tmp_path.glob("a*"))


def test_bad_bytes_are_refused(voiceprints):
    data = bytes(voiceprints["alice"])
    for length in range(len(data)):
        with pytest.raises(voiceflow.InvalidArgumentError, match="truncated|VFVP"):
            voiceflow.Voiceprint.from_bytes(data[:length])
    with pytest.raises(voiceflow.InvalidArgumentError, match="after its end"):
        voiceflow.Voiceprint.from_bytes(data + b"\0")
    nan = data[:-4] + struct.pack("<f", math.nan)
    with pytest.raises(voiceflow.InvalidArgumentError, match="must be finite"):
        voiceflow.Voiceprint.from_bytes(nan)
    not_unit = data[:-4] + struct.pack("<f", 2.0)
    with pytest.raises(voiceflow.InvalidArgumentError, match="unit"):
        voiceflow.Voiceprint.from_bytes(not_unit)
    later_version = data[:4] + struct.pack("<H", 2) + data[6:]
    with pytest.raises(voiceflow.InvalidArgumentError, match="version 2"):
        voiceflow.Voiceprint.from_bytes(later_version)
    with pytest.raises(voiceflow.InvalidArgumentError, match="VFVP"):
        voiceflow.Voiceprint.from_bytes(b"RIFF" + data[4:])
    with pytest.raises(TypeError):
        voiceflow.Voiceprint.from_bytes("VFVP")
    with pytest.raises(TypeError, match="from_audio"):
        voiceflow.Voiceprint()


def with_model_name(data: bytes, model_name: str) -> bytes:
    """The byte encoding with another embedding model's name (README, Voiceprints)."""
    old = data[12]
    name = model_name.encode()
    return data[:12] + bytes([len(name)]) + name + data[13 + old :]


def test_another_models_voiceprint_is_refused_at_session_creation(model, voiceprints):
    foreign = voiceflow.Voiceprint.from_bytes(
        with_model_name(bytes(voiceprints["alice"]), "other-model")
    )
    assert foreign.model_name == "other-model" and foreign.name == "alice"
    config = voiceflow.Config(speakers=[foreign])  # enrolling checks no model yet
    with pytest.raises(voiceflow.InvalidConfigError, match="other-model") as info:
        voiceflow.Session(model, config)
    assert "speakers[0]" in str(info.value)


def test_bad_enrollments_are_refused_and_change_nothing(model, voiceprints):
    alice, bob = voiceprints["alice"], voiceprints["bob"]
    config = voiceflow.Config()
    unnamed = copy.copy(alice)
    unnamed.name = None
    with pytest.raises(voiceflow.InvalidArgumentError, match="needs a name"):
        config.enroll(unnamed)
    assert config.enroll(alice) == 0
    with pytest.raises(voiceflow.InvalidArgumentError, match="enrolled already"):
        config.enroll(alice)
    foreign = voiceflow.Voiceprint.from_bytes(
        with_model_name(bytes(bob), "other-model")
    )
    with pytest.raises(voiceflow.InvalidArgumentError, match="other-model"):
        config.enroll(foreign)
    with pytest.raises(TypeError):
        config.enroll(bytes(bob))
    closed = copy.copy(bob)
    closed.close()
    with pytest.raises(voiceflow.InvalidStateError, match="closed"):
        config.enroll(closed)
    # None of these took an id: bob is the second speaker.
    assert config.enroll(bob) == 1
    with voiceflow.Session(model, config) as session:
        assert [session.speaker_name(i) for i in range(3)] == ["alice", "bob", None]

    # At most MAX_ENROLLED_SPEAKERS.
    many = voiceflow.Config()
    for i in range(voiceflow.MAX_ENROLLED_SPEAKERS):
        speaker = copy.copy(alice)
        speaker.name = f"speaker {i}"
        assert many.enroll(speaker) == i
    with pytest.raises(voiceflow.InvalidArgumentError, match="64"):
        many.enroll(bob)


def test_too_little_speech_and_bad_audio_are_refused(model, audio):
    with pytest.raises(voiceflow.InvalidAudioError, match="too little speech"):
        voiceflow.Voiceprint.from_audio(model, audio[:RATE], RATE, name="x")
    with pytest.raises(voiceflow.InvalidAudioError, match="too little speech"):
        voiceflow.Voiceprint.from_audio(model, np.zeros(5 * RATE, np.float32), RATE)
    with pytest.raises(voiceflow.InvalidAudioError, match="too little speech"):
        voiceflow.Voiceprint.from_audio(model, np.zeros(0, np.float32), RATE)
    nan = first_turn(audio, "bob").copy()
    nan[100] = math.nan
    with pytest.raises(voiceflow.InvalidAudioError):
        voiceflow.Voiceprint.from_audio(model, nan, RATE)
    with pytest.raises(voiceflow.UnsupportedSampleRateError):
        voiceflow.Voiceprint.from_audio(model, audio[:RATE], 1000)
    with pytest.raises(voiceflow.InvalidArgumentError):
        voiceflow.Voiceprint.from_audio(model, audio[:RATE], RATE, channels=3)
    with pytest.raises(TypeError, match="sample_rate"):
        voiceflow.Voiceprint.from_audio(model, audio[:RATE])
    with pytest.raises(TypeError):
        voiceflow.Voiceprint.from_audio("model", audio[:RATE], RATE)
    turn = first_turn(audio, "bob")
    for bad in ("", "   ", "a\nb", "x" * 256):
        with pytest.raises(voiceflow.InvalidArgumentError, match="name"):
            voiceflow.Voiceprint.from_audio(model, turn, RATE, name=bad)
    with pytest.raises(voiceflow.InvalidArgumentError, match="NUL"):
        voiceflow.Voiceprint.from_audio(model, turn, RATE, name="a\0b")


def test_names_are_checked_and_a_bad_one_changes_nothing(voiceprints):
    voiceprint = copy.copy(voiceprints["carol"])
    voiceprint.name = "Carol Jones"
    assert voiceprint.name == "Carol Jones"
    voiceprint.name = "x" * 255  # the longest
    voiceprint.name = "Zoë"
    for bad in ("", " \t", "a\nb", "x" * 256, "é" * 128):
        with pytest.raises(voiceflow.InvalidArgumentError, match="name"):
            voiceprint.name = bad
        assert voiceprint.name == "Zoë"
    with pytest.raises(voiceflow.InvalidArgumentError, match="NUL"):
        voiceprint.name = "a\0b"
    with pytest.raises(TypeError):
        voiceprint.name = 3
    assert voiceprint.name == "Zoë"
    voiceprint.name = None
    assert voiceprint.name is None


def test_closed_voiceprint_raises_invalid_state(voiceprints):
    voiceprint = copy.copy(voiceprints["carol"])
    with voiceprint:
        assert voiceprint.dim == 192
    assert voiceprint.closed and "closed" in repr(voiceprint)
    voiceprint.close()  # idempotent
    for call in (
        lambda: voiceprint.vector,
        lambda: voiceprint.name,
        lambda: voiceprint.speech_seconds,
        lambda: bytes(voiceprint),
        lambda: voiceprint.save("unused.json"),
    ):
        with pytest.raises(voiceflow.InvalidStateError, match="Voiceprint is closed"):
            call()
