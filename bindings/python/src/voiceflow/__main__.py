"""``python -m voiceflow diarize FILE``: the Rust CLI's ``voiceflow diarize`` for pip users.

Same defaults (offline mode, default models, one thread), same 100 ms pushes and the same
RTTM, JSON and text output, byte for byte (src/pipeline/segment.rs writes those), with the
names of the speakers enrolled by ``--speakers``; ``--export-speakers`` writes the same
voiceprint files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import (
    Config,
    InvalidArgumentError,
    Model,
    Segment,
    Session,
    VoiceflowError,
    VoiceflowIOError,
    Voiceprint,
    read_audio,
)
from ._errors import error_for

#: What the Rust CLI pushes per call (its --chunk-ms default).
CHUNK_MS = 100

#: Characters Rust's char::is_whitespace() accepts (Unicode White_Space), which the RTTM
#: writer turns into "_" (as it does control characters). str.isspace() differs.
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _is_control(c: str) -> bool:
    """Rust's char::is_control(): general category Cc."""
    return c < "\x20" or "\x7f" <= c <= "\x9f"


def speaker_label(speaker: int, names: Sequence[str] = ()) -> str:
    """Id ``speaker``'s label: ``names[speaker]`` (the enrolled speakers' names, by id),
    else ``SPEAKER_NN`` (Rust's SpeakerNames::label)."""
    if 0 <= speaker < len(names):
        return names[speaker]
    return f"SPEAKER_{speaker:02}"


def _rttm_field(text: str) -> str:
    """``text`` as one RTTM field: whitespace and control characters become "_", and
    nothing at all a lone "_"."""
    field = "".join("_" if c in _WHITE_SPACE or _is_control(c) else c for c in text)
    return field or "_"


def to_rttm(uri: str, segments: list[Segment], names: Sequence[str] = ()) -> str:
    uri = _rttm_field(uri) if uri else "audio"
    return "".join(
        f"SPEAKER {uri} 1 {s.start:.3f} {s.end - s.start:.3f} <NA> <NA> "
        f"{_rttm_field(speaker_label(s.speaker, names))} <NA> <NA>\n"
        for s in segments
    )


def _round_ms(seconds: float) -> float:
    """Rust's ``(x * 1000.0).round() / 1000.0``: halves away from zero, unlike round()."""
    scaled = seconds * 1000.0
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:
        whole += 1
    return math.copysign(whole, scaled) / 1000.0


def to_json(uri: str, segments: list[Segment], names: Sequence[str] = ()) -> str:
    doc = {
        "uri": uri,
        "segments": [
            {
                "speaker": speaker_label(s.speaker, names),
                "speaker_id": s.speaker,
                "start": _round_ms(s.start),
                "end": _round_ms(s.end),
            }
            for s in segments
        ],
    }
    # serde_json's pretty printer: two-space indent, raw UTF-8, newline added by println!.
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_text(segments: list[Segment], names: Sequence[str] = ()) -> str:
    def label(speaker: int) -> str:
        text = speaker_label(speaker, names)
        return "".join(" " if _is_control(c) else c for c in text)

    return "".join(
        f"{s.start:>9.3f} {s.end:>9.3f}  {label(s.speaker)}\n" for s in segments
    )


def _stem(path: str) -> str:
    """The file stem as the Rust CLI gets it (undecodable bytes as U+FFFD)."""
    return os.fsencode(Path(path).stem).decode("utf-8", "replace")


def enroll_files(config: Config, paths: Sequence[str]) -> list[str]:
    """Enrolls the voiceprint files in order (an unnamed one under its file stem), as the
    Rust CLI's --speakers does; returns the names, by id."""
    names = []
    for path in paths:
        voiceprint = Voiceprint.load(path)
        with voiceprint:
            if voiceprint.name is None:
                voiceprint.name = _stem(path)
            try:
                config.enroll(voiceprint)
            except VoiceflowError as e:
                raise error_for(e.status, f"{path}: {e.message}") from None
            names.append(voiceprint.name)
    return names


def diarize(args: argparse.Namespace) -> tuple[str, list[tuple[str, Voiceprint]]]:
    """The output text, and the voiceprints --export-speakers asks for (file stem, each)."""
    samples, rate = read_audio(args.audio)
    settings: dict[str, float | str] = {"mode": args.mode}
    for key in ("num_speakers", "min_speakers", "max_speakers"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    chunk = max(rate * CHUNK_MS // 1000, 1)
    segments: list[Segment] = []
    exported: list[tuple[str, Voiceprint]] = []
    with Config(**settings) as config:
        names = enroll_files(config, args.speakers)
        with Model() as model, Session(model, config) as session:
            for start in range(0, len(samples), chunk):
                session.push(samples[start : start + chunk], sample_rate=rate)
                segments += session.poll()
            segments += session.flush()
            if args.export_speakers is not None:
                for speaker in sorted({s.speaker for s in segments}):
                    label = speaker_label(speaker, names)
                    stem = label.replace("/", "_").replace("\\", "_")
                    try:
                        exported.append((stem, session.voiceprint(speaker)))
                    except InvalidArgumentError:
                        pass  # no voiceprint for this id: the Rust CLI skips it too
    # The uri is the file stem, as the Rust CLI names it.
    uri = _stem(args.audio)
    if args.format == "rttm":
        return to_rttm(uri, segments, names), exported
    if args.format == "json":
        return to_json(uri, segments, names), exported
    return to_text(segments, names), exported


def export(folder: str, voiceprints: list[tuple[str, Voiceprint]]) -> None:
    """Writes ``<stem>.json`` per voiceprint into ``folder``, made if missing."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise VoiceflowIOError(
            f"cannot make folder {folder}: {e.strerror} (os error {e.errno})"
        ) from None
    for stem, voiceprint in voiceprints:
        voiceprint.save(Path(folder) / f"{stem}.json")


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
    sub.add_argument(
        "--speakers",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE.json",
        help="known speakers: voiceprint files (voiceflow enroll). Their speech is "
        "labelled with their names (an unnamed voiceprint: its file name); the first "
        "file is id 0, the next id 1, and the speakers found besides them are SPEAKER_NN",
    )
    sub.add_argument(
        "--export-speakers",
        metavar="DIR",
        help="write the voiceprint of every speaker of the result into this folder "
        "(made if missing), one <label>.json each, ready for --speakers next time",
    )
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
        output, voiceprints = diarize(args)
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
    # Like the Rust CLI: the voiceprints are written after the segments.
    try:
        if args.export_speakers is not None:
            export(args.export_speakers, voiceprints)
    except VoiceflowError as e:
        print(f"voiceflow: {e}", file=sys.stderr)
        return 1
    finally:
        for _, voiceprint in voiceprints:
            voiceprint.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
