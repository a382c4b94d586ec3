"""``python -m voiceflow diarize``: the Rust CLI's output, byte for byte, and quiet errors."""

import json
import os
import subprocess
import sys

import pytest
import voiceflow
from voiceflow.__main__ import _round_ms, to_json, to_rttm, to_text
from voiceflow._api import Segment

from conftest import EXAMPLE_WAV, ROOT

RUST_CLI = ROOT / "target" / "release" / "voiceflow"
SHORT_WAV = ROOT / "tests" / "data" / "audio" / "stereo_44k.wav"  # 0.5 s, one segment
SEGMENTS = [Segment(0.5, 1.25, 0), Segment(1.0, 3.0, 11)]


def python_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """The CLI of the package under test (the environment conftest set up)."""
    return subprocess.run(
        [sys.executable, "-m", "voiceflow", *args],
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python" / "src")),
        **kwargs,
    )


def test_rttm_is_the_rust_writers():
    # The expectations of src/pipeline/segment.rs's own unit test.
    lines = to_rttm("réunion MÉO069", SEGMENTS).splitlines()
    assert lines == [
        "SPEAKER réunion_MÉO069 1 0.500 0.750 <NA> <NA> SPEAKER_00 <NA> <NA>",
        "SPEAKER réunion_MÉO069 1 1.000 2.000 <NA> <NA> SPEAKER_11 <NA> <NA>",
    ]
    assert to_rttm("", SEGMENTS).startswith("SPEAKER audio 1 ")
    # Rust's is_whitespace (Unicode White_Space) and is_control (category Cc) become "_".
    assert to_rttm("a\u3000b\x1fc\x85d\x7fe", SEGMENTS[:1]).startswith(
        "SPEAKER a_b_c_d_e 1 "
    )
    assert to_rttm("a\u200bb", SEGMENTS[:1]).startswith("SPEAKER a\u200bb 1 ")  # Cf


def test_enrolled_names_label_their_ids_in_every_format():
    # The expectations of segment.rs's enrolled_names_label_their_ids_in_every_format.
    names = ["Alice Smith"]
    rttm = to_rttm("m", SEGMENTS, names).splitlines()
    assert rttm[0] == "SPEAKER m 1 0.500 0.750 <NA> <NA> Alice_Smith <NA> <NA>"
    assert " SPEAKER_11 " in rttm[1]
    doc = json.loads(to_json("m", SEGMENTS, names))
    assert doc["segments"][0]["speaker"] == "Alice Smith"
    assert doc["segments"][0]["speaker_id"] == 0
    assert doc["segments"][1]["speaker"] == "SPEAKER_11"
    assert to_text(SEGMENTS, names).splitlines()[0].endswith("  Alice Smith")
    # A name is one RTTM field; the text output keeps it on one line.
    odd = ["tab\there\u3000x\x85"]
    assert to_rttm("m", SEGMENTS[:1], odd).split()[7] == "tab_here_x_"
    assert to_text(SEGMENTS[:1], odd).endswith("  tab here\u3000x \n")
    assert to_json("m", SEGMENTS[:1], ["Zoë"]).count('"speaker": "Zoë"') == 1


def test_json_rounds_like_rust():
    # f64::round takes halves away from zero (Python's round(2.0625, 3) gives 2.062).
    assert _round_ms(0.0005) == 0.001 and _round_ms(1.0005) == 1.001
    assert _round_ms(2.0625) == 2.063 and _round_ms(2.0615) == 2.062
    doc = json.loads(to_json("MÉO", SEGMENTS))
    assert doc["uri"] == "MÉO" and doc["segments"][1]["speaker_id"] == 11
    assert doc["segments"][0] == {
        "speaker": "SPEAKER_00",
        "speaker_id": 0,
        "start": 0.5,
        "end": 1.25,
    }
    assert to_json("x", []) == '{\n  "uri": "x",\n  "segments": []\n}\n'
    assert to_text(SEGMENTS) == (
        "    0.500     1.250  SPEAKER_00\n    1.000     3.000  SPEAKER_11\n"
    )


@pytest.mark.parametrize(
    "args",
    [["--format", "json"], ["--format", "text", "--mode", "streaming"]],
    ids=["json-offline", "text-streaming"],
)
def test_same_output_as_the_rust_cli(args):
    rust = subprocess.run(
        [RUST_CLI, "diarize", EXAMPLE_WAV, *args], capture_output=True, check=True
    )
    python = python_cli("diarize", str(EXAMPLE_WAV), *args)
    assert python.returncode == 0, python.stderr
    assert python.stdout == rust.stdout and rust.stdout.count(b"SPEAKER_") >= 5


def test_errors_are_one_line_without_traceback(tmp_path):
    missing = python_cli("diarize", str(tmp_path / "missing.wav"), text=True)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("voiceflow: ") and "missing.wav" in missing.stderr
    assert missing.stderr.count("\n") == 1
    both = python_cli(
        "diarize",
        str(SHORT_WAV),
        "--num-speakers",
        "2",
        "--max-speakers",
        "3",
        text=True,
    )
    assert both.returncode == 2 and "--num-speakers cannot be used" in both.stderr
    negative = python_cli("diarize", str(SHORT_WAV), "--min-speakers", "-1", text=True)
    assert negative.returncode == 2 and "negative" in negative.stderr


def test_a_closed_pipe_ends_quietly():
    """`python -m voiceflow diarize FILE | head -0`: the reader is gone before any output."""
    child = subprocess.Popen(
        [sys.executable, "-m", "voiceflow", "diarize", str(SHORT_WAV)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python" / "src")),
    )
    child.stdout.close()
    stderr = child.stderr.read()
    assert child.wait() != 0
    assert stderr == b""


@pytest.fixture(scope="module")
def speaker_files(tmp_path_factory):
    """carol.json from the Rust CLI's `voiceflow enroll`, named "Carol Jones" (a space,
    as RTTM cannot have), and alice.json from the Python API, unnamed: --speakers enrolls
    it under its file stem."""
    folder = tmp_path_factory.mktemp("speakers")
    carol = folder / "carol.json"
    subprocess.run(
        [RUST_CLI, "enroll", EXAMPLE_WAV, "--name", "Carol Jones"]
        + ["--start", "9.832", "--end", "12.825", "--out", carol],
        capture_output=True,
        check=True,
    )
    samples, rate = voiceflow.read_audio(EXAMPLE_WAV)
    with voiceflow.Model() as model:
        alice = voiceflow.Voiceprint.from_audio(
            model, samples[int(0.5 * rate) : int(4.81 * rate)], rate
        )
    assert alice.name is None
    alice.save(folder / "alice.json")
    return [str(carol), str(folder / "alice.json")]


def test_enrolled_speakers_and_exported_voiceprints_as_the_rust_cli(
    speaker_files, tmp_path
):
    args = ["--format", "rttm", "--speakers", *speaker_files]
    rust = subprocess.run(
        [
            RUST_CLI,
            "diarize",
            EXAMPLE_WAV,
            *args,
            "--export-speakers",
            tmp_path / "rust",
        ],
        capture_output=True,
        check=True,
    )
    python = python_cli(
        "diarize", str(EXAMPLE_WAV), *args, "--export-speakers", str(tmp_path / "py")
    )
    assert python.returncode == 0, python.stderr
    assert python.stdout == rust.stdout
    labels = [line.split()[7] for line in rust.stdout.decode().splitlines()]
    # Every turn has its speaker: carol is id 0, alice id 1 and bob, unknown, SPEAKER_02.
    assert labels[:3] == ["alice", "SPEAKER_02", "Carol_Jones"]
    assert set(labels) == {"alice", "SPEAKER_02", "Carol_Jones"}
    # The same voiceprint files, one per speaker, named by label.
    exported = sorted(p.name for p in (tmp_path / "py").iterdir())
    assert exported == ["Carol Jones.json", "SPEAKER_02.json", "alice.json"]
    for name in exported:
        assert (tmp_path / "py" / name).read_bytes() == (
            tmp_path / "rust" / name
        ).read_bytes()
    bob = voiceflow.Voiceprint.load(tmp_path / "py" / "SPEAKER_02.json")
    assert bob.name is None and bob.speech_seconds > 10


def test_enrolled_speakers_in_json_while_streaming_as_the_rust_cli(speaker_files):
    args = ["--format", "json", "--mode", "streaming", "--speakers"]
    # --speakers may also be repeated.
    args += [speaker_files[0], "--speakers", speaker_files[1]]
    rust = subprocess.run(
        [RUST_CLI, "diarize", EXAMPLE_WAV, *args], capture_output=True, check=True
    )
    python = python_cli("diarize", str(EXAMPLE_WAV), *args)
    assert python.returncode == 0, python.stderr
    assert python.stdout == rust.stdout
    doc = json.loads(python.stdout)
    labels = {(s["speaker_id"], s["speaker"]) for s in doc["segments"]}
    assert labels == {(0, "Carol Jones"), (1, "alice"), (2, "SPEAKER_02")}


def test_bad_speaker_files_are_one_line(speaker_files, tmp_path):
    missing = python_cli(
        "diarize",
        str(SHORT_WAV),
        "--speakers",
        str(tmp_path / "nobody.json"),
        text=True,
    )
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("voiceflow: ") and "nobody.json" in missing.stderr
    assert missing.stderr.count("\n") == 1
    twice = python_cli(
        "diarize",
        str(SHORT_WAV),
        "--speakers",
        speaker_files[0],
        speaker_files[0],
        text=True,
    )
    assert twice.returncode == 1
    assert twice.stderr.startswith(f"voiceflow: {speaker_files[0]}: ")
    assert "enrolled already" in twice.stderr
    empty = python_cli("diarize", str(SHORT_WAV), "--speakers", text=True)
    assert empty.returncode == 2
