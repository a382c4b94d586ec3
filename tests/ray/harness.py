"""What the Ray test and benchmark share: the paths, the environment that Ray's worker
processes inherit, test audio cut from the example conversation, and the Rust CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "python" / "ray_corpus.py"
CLI = ROOT / "target" / "release" / "voiceflow"
EXAMPLE_WAV = ROOT / "examples" / "data" / "conversation.wav"


def set_environment() -> None:
    """The in-tree binding and the set-up models (as `make test-python-bindings` has
    them), unless the environment says otherwise, for this process and for Ray's
    workers, which inherit the environment of the process that starts the cluster: so
    this runs before any Ray process starts."""
    os.environ.setdefault("VOICEFLOW_HOME", str(ROOT / ".voiceflow"))
    os.environ.setdefault(
        "VOICEFLOW_LIB", str(ROOT / "target" / "release" / "libvoiceflow.so")
    )
    src = str(ROOT / "bindings" / "python" / "src")
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if src not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([src, *filter(None, paths)])
    if src not in sys.path:
        sys.path.insert(0, src)
    # No usage report to Ray's servers, which a test has no business calling.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"


def cut(dst: Path, seconds: float, stereo: bool = False) -> None:
    """The first `seconds` of the example conversation; stereo: a second channel at half
    the level, so the two channels differ and the downmix is exercised."""
    with wave.open(str(EXAMPLE_WAV), "rb") as r:
        rate = r.getframerate()
        pcm = np.frombuffer(r.readframes(int(seconds * rate)), dtype="<i2")
    if stereo:
        pcm = np.column_stack([pcm, pcm // 2]).astype("<i2")
    with wave.open(str(dst), "wb") as w:
        w.setnchannels(2 if stereo else 1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def cli_rttm(path: Path, *args: str) -> bytes:
    """`voiceflow diarize PATH --format rttm ARGS`: the reference RTTM."""
    command = [str(CLI), "diarize", str(path), "--format", "rttm", *args]
    return subprocess.run(command, check=True, capture_output=True).stdout
