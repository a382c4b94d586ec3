"""``python -m voiceflow diarize``: the Rust CLI's output, byte for byte, and quiet errors."""

import json
import os
import subprocess
import sys

import pytest
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
    # Rust's is_whitespace: Unicode White_Space, which U+001F is not (str.isspace() says it is).
    assert to_rttm("a\u3000b\x1fc", SEGMENTS[:1]).startswith("SPEAKER a_b\x1fc 1 ")


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
