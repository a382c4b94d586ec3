"""``python -m voiceflow diarize FILE``: the Rust CLI's ``voiceflow diarize`` for pip users.

Same defaults (offline mode, default models, one thread), same 100 ms pushes and the same
RTTM, JSON and text output, byte for byte (src/pipeline/segment.rs writes those).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from . import Config, Model, Segment, Session, VoiceflowError, read_audio

#: What the Rust CLI pushes per call (its --chunk-ms default).
CHUNK_MS = 100

#: Characters Rust's char::is_whitespace() accepts (Unicode White_Space), which the RTTM
#: writer turns into "_". str.isspace() differs (it also takes U+001C..U+001F).
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def speaker_label(speaker: int) -> str:
    return f"SPEAKER_{speaker:02}"


def to_rttm(uri: str, segments: list[Segment]) -> str:
    uri = "".join("_" if c in _WHITE_SPACE else c for c in uri) or "audio"
    return "".join(
        f"SPEAKER {uri} 1 {s.start:.3f} {s.end - s.start:.3f} <NA> <NA> "
        f"{speaker_label(s.speaker)} <NA> <NA>\n"
        for s in segments
    )


def _round_ms(seconds: float) -> float:
    """Rust's ``(x * 1000.0).round() / 1000.0``: halves away from zero, unlike round()."""
    scaled = seconds * 1000.0
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:
        whole += 1
    return math.copysign(whole, scaled) / 1000.0


def to_json(uri: str, segments: list[Segment]) -> str:
    doc = {
        "uri": uri,
        "segments": [
            {
                "speaker": speaker_label(s.speaker),
                "speaker_id": s.speaker,
                "start": _round_ms(s.start),
                "end": _round_ms(s.end),
            }
            for s in segments
        ],
    }
    # serde_json's pretty printer: two-space indent, raw UTF-8, newline added by println!.
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_text(segments: list[Segment]) -> str:
    return "".join(
        f"{s.start:>9.3f} {s.end:>9.3f}  {speaker_label(s.speaker)}\n" for s in segments
    )


def diarize(args: argparse.Namespace) -> str:
    samples, rate = read_audio(args.audio)
    settings: dict[str, float | str] = {"mode": args.mode}
    for key in ("num_speakers", "min_speakers", "max_speakers"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    chunk = max(rate * CHUNK_MS // 1000, 1)
    segments: list[Segment] = []
    with Model() as model, Session(model, Config(**settings)) as session:
        for start in range(0, len(samples), chunk):
            session.push(samples[start : start + chunk], sample_rate=rate)
            segments += session.poll()
        segments += session.flush()
    # The uri is the file stem, as the Rust CLI names it (undecodable bytes as U+FFFD).
    uri = os.fsencode(Path(args.audio).stem).decode("utf-8", "replace")
    if args.format == "rttm":
        return to_rttm(uri, segments)
    if args.format == "json":
        return to_json(uri, segments)
    return to_text(segments)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m voiceflow",
        description="Streaming speaker diarization: who spoke when.",
    )
    commands = top.add_subparsers(dest="command", required=True)
    sub = commands.add_parser(
        "diarize",
        help="diarize an audio file (WAV, FLAC, MP3, Ogg, AIFF, ...)",
        description="Diarize an audio file by streaming it through a session in "
        f"{CHUNK_MS} ms chunks.",
    )
    sub.add_argument("audio", help="the audio file")
    sub.add_argument(
        "--format",
        choices=("rttm", "json", "text"),
        default="text",
        help="default: text",
    )
    sub.add_argument(
        "--mode",
        choices=("offline", "streaming"),
        default="offline",
        help="offline (default): cluster the whole file at the end, the best answer; "
        "streaming: the segments a live session emits",
    )
    sub.add_argument(
        "--num-speakers",
        type=_count,
        metavar="N",
        help="exact number of speakers, when known",
    )
    sub.add_argument("--min-speakers", type=_count, metavar="N")
    sub.add_argument("--max-speakers", type=_count, metavar="N")
    sub.set_defaults(usage=sub)  # for errors that argparse cannot see, in its usage
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.num_speakers is not None and (
        args.min_speakers is not None or args.max_speakers is not None
    ):
        args.usage.error(
            "--num-speakers cannot be used with --min-speakers or --max-speakers"
        )
    try:
        output = diarize(args)
    except VoiceflowError as e:
        print(f"voiceflow: {e}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (`| head`): no traceback, and nothing more to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a writer killed by SIGPIPE
    return 0


if __name__ == "__main__":
    sys.exit(main())
