#!/usr/bin/env python3
"""Phase shifts for the evaluation: the same clips, started a fraction of a step later.

    python scripts/eval/shift.py audio SECONDS SRC.wav... --out DIR   (copies with leading silence)
    python scripts/eval/shift.py rttm SECONDS IN.rttm OUT.rttm        (times moved back)

Why: the engine analyses windows at fixed steps from the start of the stream, and its
online tracker is chaotic. Start the same 30 s meeting clip 0.13 s later (digital silence
first) and the windows fall elsewhere in each turn. The voiceprints differ a little, and
one different decision (two voices merged, one split) moves the clip's DER by 10 points
or more. A DER measured at one phase is then one draw. `run.sh` scores each set at every
shift of `VOICEFLOW_EVAL_SHIFTS` and reports the mean. The hypothesis of a shifted run is
moved back by the shift, so it is scored against the unchanged references and UEM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def split_phase(name: str) -> tuple[str, float]:
    """A report entry's set and phase shift: run.sh names the run of set S at shift X
    "S@X", and the unshifted run plain "S"."""
    base, _, shift = name.partition("@")
    return base, float(shift or 0.0)


def unshift_line(line: str, seconds: float) -> str | None:
    """One RTTM line with its times moved back by `seconds`; None for a segment that lies
    wholly in the added silence. Lines that are not SPEAKER records pass unchanged."""
    fields = line.split()
    if len(fields) < 5 or fields[0] != "SPEAKER":
        return line.rstrip("\n")
    start, duration = float(fields[3]), float(fields[4])
    end = start + duration - seconds
    start = max(start - seconds, 0.0)
    if end <= start:
        return None
    fields[3], fields[4] = f"{start:.3f}", f"{end - start:.3f}"
    return " ".join(fields)


def unshift_rttm(src: Path, dst: Path, seconds: float) -> None:
    lines = (unshift_line(line, seconds) for line in src.read_text(encoding="utf-8").splitlines())
    kept = [line for line in lines if line is not None]
    dst.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")


def shift_audio(src: Path, out_dir: Path, seconds: float) -> Path:
    """Writes `src` with `seconds` of digital silence in front into `out_dir` (same name,
    format and sample rate); an existing copy that is not older than `src` is kept."""
    import numpy as np
    import soundfile as sf

    dst = out_dir / src.name
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    info = sf.info(str(src))
    x, sr = sf.read(str(src), dtype="float32", always_2d=True)
    pad = np.zeros((int(round(seconds * sr)), x.shape[1]), np.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    sf.write(str(tmp), np.concatenate([pad, x]), sr, subtype=info.subtype, format=info.format)
    tmp.replace(dst)
    return dst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("audio", help="copy audio files with leading silence")
    a.add_argument("seconds", type=float)
    a.add_argument("files", type=Path, nargs="+")
    a.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("rttm", help="move an RTTM file's times back")
    r.add_argument("seconds", type=float)
    r.add_argument("src", type=Path)
    r.add_argument("dst", type=Path)
    args = ap.parse_args()
    if not 0.0 <= args.seconds <= 60.0:
        ap.error("the shift must be 0..60 seconds")
    if args.what == "audio":
        for f in args.files:
            shift_audio(f, args.out, args.seconds)
    else:
        unshift_rttm(args.src, args.dst, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
