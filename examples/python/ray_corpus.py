"""Diarizes a folder of recordings on a Ray cluster: one voiceflow.Model per worker
process, many files each.

    python examples/python/ray_corpus.py INPUT_DIR OUTPUT_DIR [--workers N]
        [--address auto|HOST:PORT|ray://HOST:10001] [--mode offline|streaming]
        [--threads T] [--segmentation PATH] [--embedding PATH] [--set KEY=VALUE ...]
        [--chunk-ms MS] [--retries K] [--summary PATH]

Every audio file under INPUT_DIR (by extension: what voiceflow.read_audio decodes, WAV,
AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A, ADTS AAC, MKV/WebM) gets OUTPUT_DIR/<its relative
path>.rttm (the extension replaced), the same text as
`voiceflow diarize FILE --format rttm` (offline mode unless --mode streaming; --set,
--chunk-ms, --segmentation and --embedding mean what they mean there). The run ends with
OUTPUT_DIR/summary.json (hours of audio, wall time, throughput per core, every file's
status, the failures with their reasons, the retries) and one line on stdout.

A file that cannot be read or diarized is a failure in the summary; the others go on. A
worker process that dies is restarted by Ray and the file it had is tried again, at most
--retries times. Exit status: 0 when every file has its RTTM, 1 when some failed, 2 for
bad arguments or no file to do.

Without --address, Ray starts on this machine with N workers. With --address the run
joins a running cluster (`ray start --head` ...): every node needs the voiceflow package
(its wheel carries the default models; other models at the same paths everywhere), and
the input folder at the same path (shared storage); the RTTMs and the summary are
written by this process, on this machine.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import ray
except ImportError:
    sys.exit('ray_corpus: needs Ray: pip install "ray[client]==2.60.0"')

# The containers voiceflow.read_audio opens (libvoiceflow's symphonia decoders).
AUDIO_SUFFIXES = {
    ".wav", ".wave", ".aif", ".aiff", ".aifc", ".caf", ".flac", ".mp3", ".ogg", ".oga",
    ".m4a", ".mp4", ".mka", ".mkv", ".webm",
}  # fmt: skip


class Diarizer:
    """One worker process: opens the model once, then diarizes file after file."""

    def __init__(
        self, model_args: dict[str, Any], settings: dict[str, Any], chunk_ms: int
    ) -> None:
        self.where = f"{socket.gethostname()}:{os.getpid()}"
        self.chunk_ms = chunk_ms
        self.error = None
        try:
            # Imported here, not at the top: only the workers load libvoiceflow, so the
            # driver (a laptop talking to ray://...) needs Ray but not voiceflow.
            import voiceflow

            # `python -m voiceflow`'s writer: the Rust CLI's RTTM, byte for byte.
            from voiceflow.__main__ import to_rttm

            self.voiceflow, self.to_rttm = voiceflow, to_rttm
            self.model = voiceflow.Model(**model_args)
            self.config = voiceflow.Config(**settings)
            # A value out of range only fails when a session is made: find out now, once,
            # rather than once per file.
            voiceflow.Session(self.model, self.config).close()
        except Exception as e:  # reported by ready(), so the driver can say why
            self.error = f"{type(e).__name__}: {e}"

    def ready(self) -> tuple[str, str | None]:
        return self.where, self.error

    def diarize(self, path: str) -> dict[str, Any]:
        started, cpu_started = time.perf_counter(), time.process_time()
        vf = self.voiceflow
        try:
            samples, rate = vf.read_audio(path)
            # The CLI's chunks (--chunk-ms), each followed by a poll: the same pushes,
            # hence the same segments, in streaming mode too.
            chunk = max(rate * self.chunk_ms // 1000, 1)
            segments = []
            with vf.Session(self.model, self.config) as session:
                for at in range(0, len(samples), chunk):
                    session.push(samples[at : at + chunk], sample_rate=rate)
                    segments += session.poll()
                segments += session.flush()
        except Exception as e:  # any error of this one file is that file's failure
            reason = f"{type(e).__name__}: {e}"
            return {"status": "failed", "reason": reason, "worker": self.where}
        # The file stem, as the Rust CLI names it (undecodable bytes as U+FFFD).
        uri = os.fsencode(Path(path).stem).decode("utf-8", "replace")
        return {
            "status": "ok",
            "rttm": self.to_rttm(uri, segments),
            "audio_seconds": len(samples) / rate,
            "compute_seconds": time.perf_counter() - started,
            # CPU time of the whole worker process (inference, decoding, Ray's threads):
            # unlike wall time, other load on the machine does not inflate it.
            "cpu_seconds": time.process_time() - cpu_started,
            "segments": len(segments),
            "speakers": len({s.speaker for s in segments}),
            "worker": self.where,
        }


@dataclass
class Job:
    path: Path
    rel: str
    output: Path
    attempts: int = 0
    retry_reasons: list[str] = field(default_factory=list)

    def record(self, status: str, **fields: Any) -> dict[str, Any]:
        return {
            "file": self.rel,
            "status": status,
            "attempts": self.attempts,
            "retry_reasons": self.retry_reasons,
            **fields,
        }


def find_jobs(input_dir: Path, output_dir: Path) -> tuple[list[Job], list[dict]]:
    """The recordings under input_dir, largest first (the long files start first, so no
    worker is left with one at the end), and those whose RTTM name is already taken."""
    paths = sorted(
        p
        for p in input_dir.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()
    )
    jobs, clashes, taken = [], [], {}
    for path in paths:
        rel = path.relative_to(input_dir)
        # Absolute for the workers, whose working folder is not ours; symlinks kept, as
        # a shared mount may be reached through one on every node.
        job = Job(path.absolute(), str(rel), output_dir / rel.with_suffix(".rttm"))
        if job.output in taken:
            reason = f"its RTTM would overwrite that of {taken[job.output]}"
            clashes.append(job.record("failed", reason=reason))
        else:
            taken[job.output] = job.rel
            jobs.append(job)
    jobs.sort(key=lambda j: j.path.stat().st_size, reverse=True)
    return jobs, clashes


def first_line(e: BaseException) -> str:
    """The exception's type and first line: Ray's messages go on for a screen."""
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0] if lines else ''}"


def run(actors: list, jobs: list[Job], retries: int) -> tuple[list[dict], list[str]]:
    """Keeps one file in flight per worker until every job has a result; returns the
    per-file records and why workers were lost (could not start, out of restarts)."""
    queue = collections.deque(jobs)
    records: list[dict] = []
    lost: list[str] = []
    idle: list = []
    in_flight: dict = {}  # ObjectRef -> (actor, Job, or None for a readiness probe)

    def probe(actor: Any) -> None:
        # Retried until the actor is up: right after a crash Ray is restarting it, and a
        # plain call would fail at once. An actor out of restarts raises ActorDiedError.
        in_flight[actor.ready.options(max_task_retries=-1).remote()] = (actor, None)

    for actor in actors:
        probe(actor)
    while True:
        while idle and queue:
            actor, job = idle.pop(), queue.popleft()
            job.attempts += 1
            in_flight[actor.diarize.remote(str(job.path))] = (actor, job)
        if not in_flight:  # every job done, or no worker left for the rest
            break
        [ref], _ = ray.wait(list(in_flight), num_returns=1)
        actor, job = in_flight.pop(ref)
        try:
            value = ray.get(ref)
        except ray.exceptions.RayActorError as e:
            # The worker process died, in the middle of this file or while starting.
            reason = f"worker died ({first_line(e)})"
            if job is None:
                lost.append(reason)
                continue
            job.retry_reasons.append(reason)
            if len(job.retry_reasons) > retries:
                records.append(job.record("failed", reason=reason))
            else:
                queue.appendleft(job)
            probe(actor)
            continue
        except ray.exceptions.RayError as e:
            # Ray could not run the call although the process lives (its arguments or
            # result were lost, say): a failure of that file, or of that worker.
            if job is None:
                lost.append(first_line(e))
                ray.kill(actor)
                continue
            value = {"status": "failed", "reason": first_line(e)}
        if job is None:
            where, error = value
            if error is not None:
                lost.append(f"worker {where} could not start: {error}")
                ray.kill(actor)
                continue
        elif value.pop("status") == "ok":
            job.output.parent.mkdir(parents=True, exist_ok=True)
            job.output.write_text(value.pop("rttm"), encoding="utf-8")
            records.append(job.record("ok", rttm=str(job.output), **value))
        else:
            records.append(job.record("failed", **value))
        idle.append(actor)
    last = lost[-1] if lost else "none was started"
    records += [job.record("failed", reason=f"no worker left: {last}") for job in queue]
    return records, lost


def parse_setting(text: str) -> tuple[str, float | str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected KEY=VALUE")
    try:
        return key.strip(), float(value)
    except ValueError:
        return key.strip(), value.strip()  # e.g. mode=offline


def whole(minimum: int):
    """An argparse type: a whole number >= minimum."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is less than {minimum}")
        return value

    return parse


def diarize_on_ray(args: argparse.Namespace, jobs: list[Job]) -> tuple:
    """Starts or joins Ray, runs the workers over the jobs; the number of workers, the
    per-file records, why workers were lost and the wall time."""
    if args.address is None:
        cpus = None if args.workers is None else args.workers * args.threads
        # Nothing big travels through the object store (paths and RTTM text), so a
        # small one; no dashboard: this is a batch job. A local run serves no other
        # machine, so Ray listens on the loopback address only.
        ray.init(
            num_cpus=cpus,
            include_dashboard=False,
            object_store_memory=100 << 20,
            _node_ip_address="127.0.0.1",
        )
    else:
        ray.init(address=args.address)
    try:
        cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = args.workers or max(cluster_cpus // args.threads, 1)
        model_args = {
            "segmentation": args.segmentation,
            "embedding": args.embedding,
            "threads": args.threads,
        }
        settings = {"mode": args.mode, **dict(args.settings)}
        started = time.perf_counter()
        remote = ray.remote(Diarizer).options(
            num_cpus=args.threads, max_restarts=args.retries, max_task_retries=0
        )
        actors = [
            remote.remote(model_args, settings, args.chunk_ms) for _ in range(workers)
        ]
        records, lost = run(actors, jobs, args.retries)
        return workers, records, lost, time.perf_counter() - started
    finally:
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Diarize a folder of recordings with Ray: one model per worker.",
    )
    parser.add_argument(
        "input", type=Path, help="folder of recordings (searched recursively)"
    )
    parser.add_argument(
        "output", type=Path, help="folder for the RTTMs and summary.json"
    )
    parser.add_argument(
        "--workers",
        type=whole(1),
        help="worker processes, each with one model (default: the cluster's CPUs / --threads)",
    )
    parser.add_argument(
        "--address",
        help="a running cluster: auto, HOST:PORT or ray://HOST:10001 (default: start Ray here)",
    )
    parser.add_argument("--mode", choices=["offline", "streaming"], default="offline")
    parser.add_argument(
        "--threads",
        type=whole(1),
        default=1,
        help="inference threads (and Ray CPUs) per worker",
    )
    parser.add_argument(
        "--segmentation", help="segmentation model (default: the set-up one)"
    )
    parser.add_argument("--embedding", help="embedding model (default: the set-up one)")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        type=parse_setting,
        metavar="KEY=VALUE",
        help="any voiceflow.Config field, repeatable, e.g. --set num_speakers=2",
    )
    parser.add_argument(
        "--chunk-ms", type=whole(1), default=100, help="audio pushed per call"
    )
    parser.add_argument(
        "--retries",
        type=whole(0),
        default=2,
        help="how often a file is tried again after its worker died, and how often "
        "each worker process is restarted (default 2)",
    )
    parser.add_argument("--summary", type=Path, help="default: OUTPUT/summary.json")
    args = parser.parse_args(argv)

    if not args.input.is_dir():
        parser.error(f"{args.input} is not a folder")
    args.output.mkdir(parents=True, exist_ok=True)
    summary_path = args.summary or args.output / "summary.json"
    jobs, clashes = find_jobs(args.input, args.output)
    if not jobs:
        print(
            f"ray_corpus: no recording ({', '.join(sorted(AUDIO_SUFFIXES))}) under {args.input}",
            file=sys.stderr,
        )
        return 2

    # Ray prints worker deaths and the workers' output on stdout: they go to stderr with
    # its other log lines, and stdout carries the one line of the result.
    with contextlib.redirect_stdout(sys.stderr):
        workers, records, lost, wall = diarize_on_ray(args, jobs)

    records = sorted(records + clashes, key=lambda r: r["file"])
    done = [r for r in records if r["status"] == "ok"]
    failures = [
        {"file": r["file"], "reason": r["reason"]}
        for r in records
        if r["status"] != "ok"
    ]
    audio = sum(r["audio_seconds"] for r in done)
    cpus = workers * args.threads
    summary = {
        "input": str(args.input),
        "output": str(args.output),
        "address": args.address or "local",
        "mode": args.mode,
        "workers": workers,
        "threads_per_worker": args.threads,
        "files": len(records),
        "succeeded": len(done),
        "failed": len(failures),
        "retried": sum(1 for r in records if r["retry_reasons"]),
        "audio_seconds": audio,
        "audio_hours": audio / 3600,
        "wall_seconds": wall,
        "compute_seconds": sum(r["compute_seconds"] for r in done),
        "cpu_seconds": sum(r["cpu_seconds"] for r in done),
        # Audio seconds per wall second per worker CPU; the wall time runs from the
        # workers' start (model loading included) to the last RTTM written.
        "throughput_per_core": audio / wall / cpus,
        "workers_lost": lost,
        "failures": failures,
        "per_file": records,
    }
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(
        f"ray_corpus: {len(done)}/{len(records)} files, {audio / 3600:.2f} h of audio in "
        f"{wall:.1f} s on {workers} workers x {args.threads} thread(s): "
        f"{summary['throughput_per_core']:.1f} audio s per wall s per core; "
        f"{len(failures)} failed, {summary['retried']} retried; {summary_path}"
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
