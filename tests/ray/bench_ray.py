"""`make bench-ray`: the throughput of examples/python/ray_corpus.py per worker against the
Rust CLI's, measured in one run on the same files (copies of the example conversation).

CLI: `voiceflow diarize FILE --format rttm --device cpu:1`, one file after the other, one
inference thread; its wall time includes each process's start and model load, as a
shell loop over an archive would. Ray: a local Ray with 1 and with 2 workers of one
inference thread each; its wall time runs from the workers' start (model loads included)
to the last RTTM. Both figures are audio seconds per wall second per core; beside them,
audio seconds per CPU second (the CLI's processes; the Ray workers' time in their files,
without their one model load), which other load on the machine does not skew. The RTTMs
of the two are also compared. Prints one line per run and a JSON report at the end.

    python tests/ray/bench_ray.py [--files N] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8, help="copies of the example")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    harness.set_environment()
    import voiceflow  # after set_environment: the in-tree binding

    samples, rate = voiceflow.read_audio(harness.EXAMPLE_WAV)
    audio = args.files * len(samples) / rate
    # Other work on the machine takes cores from the runs: the load says how much.
    report: dict = {
        "files": args.files,
        "audio_seconds": audio,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="vfbench-") as temp:
        corpus = Path(temp) / "corpus"
        corpus.mkdir()
        for i in range(args.files):
            shutil.copy(harness.EXAMPLE_WAV, corpus / f"conversation_{i:02}.wav")

        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        expected = {
            p.stem: harness.cli_rttm(p, "--device", "cpu:1") for p in corpus.iterdir()
        }
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        report["cli"] = {
            "wall_seconds": wall,
            "throughput_per_core": audio / wall,
            "cpu_seconds": cpu,
            "audio_per_cpu_second": audio / cpu,
        }
        print(
            f"cli: {audio:.0f} s of audio in {wall:.1f} s, {audio / wall:.2f} per core "
            f"({audio / cpu:.2f} per CPU second)"
        )

        for workers in args.workers:
            out = Path(temp) / f"ray-{workers}"
            command = [sys.executable, str(harness.SCRIPT), str(corpus), str(out)]
            command += ["--workers", str(workers), "--threads", "1"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            summary = json.loads((out / "summary.json").read_text())
            same = all(
                (out / f"{stem}.rttm").read_bytes() == rttm
                for stem, rttm in expected.items()
            )
            per_core = summary["throughput_per_core"]
            ratio = per_core / report["cli"]["throughput_per_core"]
            per_cpu = audio / summary["cpu_seconds"]
            report[f"ray_{workers}_workers"] = {
                "wall_seconds": summary["wall_seconds"],
                "throughput_per_core": per_core,
                "vs_cli": ratio,
                "cpu_seconds": summary["cpu_seconds"],
                "audio_per_cpu_second": per_cpu,
                "same_rttm_as_cli": same,
            }
            print(
                f"ray, {workers} worker(s): {summary['wall_seconds']:.1f} s, "
                f"{per_core:.2f} per core ({ratio:.0%} of the CLI's; "
                f"{per_cpu:.2f} per CPU second), same RTTMs: {same}"
            )
            if not same:
                print("bench-ray: the Ray RTTMs differ from the CLI's", file=sys.stderr)
                return 1
    report["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
