"""examples/python/ray_corpus.py on a local Ray cluster of two nodes with one CPU each:
the RTTMs are the Rust CLI's byte for byte, unreadable files are reported without
stopping the job, and a worker process killed in the middle of a file is replaced and
the file done again. Run by `make test-ray` (Ray in its own venv)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import harness

harness.set_environment()

import voiceflow  # noqa: E402  (the in-tree binding, on the path set above)
from ray.cluster_utils import Cluster  # noqa: E402

GOOD = ["conversation.wav", "day2/meeting one.mp3", "short.wav"]
BAD = ["corrupt.wav", "empty.wav"]


@pytest.fixture(scope="module")
def cluster():
    # Ray's unix socket paths must stay under 108 bytes: a short folder of its own, which
    # also keeps this cluster apart from any other Ray on the machine.
    temp = tempfile.mkdtemp(prefix="vfray-", dir="/tmp")
    os.makedirs(os.path.join(temp, "ray"))
    os.environ["RAY_TMPDIR"] = temp
    # Everything on the loopback address: the nodes listen there, and this makes Ray's
    # drivers (the example) keep 127.0.0.1 instead of swapping in the machine's
    # outward address, where nothing listens. Despite its name this only selects
    # loopback as the node address on Linux too.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    # Lean: the smallest object store Ray takes, no dashboard.
    node = {
        "num_cpus": 1,
        "node_ip_address": "127.0.0.1",
        "object_store_memory": 80 << 20,
    }
    c = Cluster(
        initialize_head=True, head_node_args={**node, "include_dashboard": False}
    )
    c.add_node(**node)
    c.wait_for_nodes()
    yield c
    c.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The example conversation as WAV and as MP3 (in a subfolder, with a space in its
    name, which the RTTM uri turns into '_'), a stereo 20 s cut of it, random bytes
    named .wav and an empty .wav."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "day2").mkdir()
    shutil.copy(harness.EXAMPLE_WAV, folder / GOOD[0])
    shutil.copy(harness.EXAMPLE_WAV.with_suffix(".mp3"), folder / GOOD[1])
    harness.cut(folder / GOOD[2], 20.0, stereo=True)
    (folder / "corrupt.wav").write_bytes(random.Random(19).randbytes(4096))
    (folder / "empty.wav").write_bytes(b"")
    return folder


def raylets(cluster) -> set[int]:
    nodes = [cluster.head_node, *cluster.worker_nodes]
    return {node.all_processes["raylet"][0].process.pid for node in nodes}


def kill_busy_worker(parents: set[int], deadline: float) -> int:
    """SIGKILLs the first worker process of this cluster (a child of one of its raylets)
    seen diarizing a file: Ray titles it "ray::Diarizer.diarize" while the call runs."""
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text()
            except OSError:  # not a process, or it ended meanwhile
                continue
            # The parent pid is the second field after the ")" that ends the name.
            parent = int(stat.rpartition(")")[2].split()[1])
            if parent in parents and cmdline.startswith(b"ray::Diarizer.diarize"):
                os.kill(int(entry.name), signal.SIGKILL)
                return int(entry.name)
        time.sleep(0.02)
    raise AssertionError("no worker was seen diarizing a file")


def run_example(folder: Path, out: Path, *args: str) -> subprocess.Popen:
    """Starts the example; its stderr (Ray's log lines) goes to OUT.log."""
    with open(f"{out}.log", "w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, str(harness.SCRIPT), str(folder), str(out), *args],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )


def finish(process: subprocess.Popen, out: Path, rc: int) -> tuple[str, dict]:
    """Waits for the example, checks its exit status; its stdout and summary."""
    stdout, _ = process.communicate(timeout=180)
    assert process.returncode == rc, Path(f"{out}.log").read_text()
    return stdout, json.loads((out / "summary.json").read_text())


def test_corpus_with_bad_files_and_a_killed_worker(cluster, corpus, tmp_path):
    out = tmp_path / "out"
    process = run_example(corpus, out, "--address", cluster.address, "--workers", "2")
    try:
        victim = kill_busy_worker(raylets(cluster), time.monotonic() + 60)
    except AssertionError:
        process.kill()
        raise
    stdout, summary = finish(process, out, 1)  # 1: some files failed

    by_file = {r["file"]: r for r in summary["per_file"]}
    assert sorted(by_file) == sorted(GOOD + BAD)
    assert [by_file[f]["status"] for f in GOOD] == ["ok"] * len(GOOD)
    assert sorted(f["file"] for f in summary["failures"]) == BAD
    for failure in summary["failures"]:
        # The decoder's message, which names the file.
        assert f"{failure['file']}: " in failure["reason"], failure

    # The killed worker's file was tried again, by another process, and done.
    retried = [r for r in summary["per_file"] if r["retry_reasons"]]
    assert len(retried) == 1 and summary["retried"] == 1, summary["per_file"]
    assert retried[0]["attempts"] == 2
    assert "worker died" in retried[0]["retry_reasons"][0]
    assert retried[0]["status"] == "ok" and retried[0]["file"] in GOOD
    assert not retried[0]["worker"].endswith(f":{victim}")

    for name in GOOD:
        rttm = (out / name).with_suffix(".rttm").read_bytes()
        assert rttm == harness.cli_rttm(corpus / name), name
    assert b"SPEAKER meeting_one 1 " in (out / "day2" / "meeting one.rttm").read_bytes()
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(
        ["conversation.rttm", "meeting one.rttm", "short.rttm", "summary.json"]
    )

    audio = 0.0
    for name in GOOD:
        samples, rate = voiceflow.read_audio(corpus / name)
        audio += len(samples) / rate
    assert summary["audio_seconds"] == pytest.approx(audio)
    assert summary["audio_hours"] == pytest.approx(audio / 3600)
    assert summary["workers"] == 2 and summary["mode"] == "offline"
    expected = audio / summary["wall_seconds"] / 2
    assert summary["throughput_per_core"] == pytest.approx(expected)
    assert stdout.startswith("ray_corpus: 3/5 files, 0.04 h of audio in ")
    assert "2 failed, 1 retried" in stdout


def test_one_worker_streaming_mode_and_settings_match_the_cli(
    cluster, corpus, tmp_path
):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpus / "short.wav", folder / "short.wav")
    shutil.copy(corpus / "short.wav", folder / "short copy.wav")
    out = tmp_path / "out"
    # One worker: it takes every file, one after the other, once it is up.
    args = ["--workers", "1", "--mode", "streaming", "--set", "latency=3"]
    args += ["--chunk-ms", "250"]
    process = run_example(folder, out, "--address", cluster.address, *args)
    _, summary = finish(process, out, 0)
    assert summary["succeeded"] == 2 and summary["mode"] == "streaming"
    assert summary["workers"] == 1
    assert len({r["worker"] for r in summary["per_file"]}) == 1
    reference = harness.cli_rttm(
        folder / "short.wav",
        "--mode",
        "streaming",
        "--latency",
        "3",
        "--chunk-ms",
        "250",
    )
    assert (out / "short.rttm").read_bytes() == reference
    copy = (out / "short copy.rttm").read_bytes()
    assert copy == reference.replace(b"SPEAKER short 1 ", b"SPEAKER short_copy 1 ")
    # The streaming answer is not the offline one on this file: the mode did reach the
    # workers.
    assert reference != harness.cli_rttm(folder / "short.wav")


def test_workers_that_cannot_start_fail_every_file(cluster, corpus, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpus / "short.wav", folder / "short.wav")
    out = tmp_path / "out"
    missing = tmp_path / "missing.onnx"
    process = run_example(
        folder, out, "--address", cluster.address, "--segmentation", str(missing)
    )
    _, summary = finish(process, out, 1)
    # Two nodes of one CPU: a worker on each by default; neither starts.
    assert summary["workers"] == 2 and summary["succeeded"] == 0
    [failure] = summary["failures"]
    assert failure["file"] == "short.wav"
    assert "no worker left" in failure["reason"] and "missing.onnx" in failure["reason"]
    assert len(summary["workers_lost"]) == 2
    assert all("could not start" in why for why in summary["workers_lost"])
    assert not (out / "short.rttm").exists()
