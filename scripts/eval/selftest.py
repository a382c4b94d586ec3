#!/usr/bin/env python3
"""Sanity checks of the scorer, without the CLI: references scored against
themselves and against degraded copies, plus hand-computed cases.

    python scripts/eval/selftest.py [--set NAME REF_DIR UEM]...

Exits non-zero on the first failed check. run.sh --selftest runs it on ami-dev and
on the simulated set.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from score import pct, read_rttm, read_uem, rttm_files, score
from shift import shift_audio, unshift_rttm

FAILED = []


def check(what: str, ok: bool, detail: str = "") -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {what}" + (f"  ({detail})" if detail else ""))
    if not ok:
        FAILED.append(what)


def close(a: float, b: float, tol: float = 0.01) -> bool:
    return abs(a - b) <= tol


def pooled(res: dict, collar: float) -> dict:
    return res["pooled"][f"collar_{collar}"]


def hand_cases() -> None:
    print("hand-computed cases")
    uem = {"a": [(0.0, 30.0)]}
    ref = {"a": [(0.0, 10.0, "A"), (5.0, 7.0, "B")]}  # A 0-10, B 5-12: 17 s of speaker time
    res = score(ref, {"a": [(0.0, 12.0, "x")]}, uem)
    p = pooled(res, 0.0)
    check("one hyp speaker over A+B: DER 7/17", close(p["der"], 100 * 7 / 17), str(p))
    check("  missed 5/17, confusion 2/17", close(p["missed"], 100 * 5 / 17) and close(p["confusion"], 100 * 2 / 17))
    res = score({"a": [(0.0, 10.0, "A")]}, {"a": [(0.2, 9.8, "h")]}, uem)
    check("late start by 0.2 s: 2 % miss at collar 0", close(pooled(res, 0.0)["missed"], 2.0), str(pooled(res, 0.0)))
    check("late start by 0.2 s: 0 at collar 0.5 (+-0.25)", close(pooled(res, 0.5)["der"], 0.0), str(pooled(res, 0.5)))
    res = score({"a": [(0.0, 10.0, "A")]}, {"a": [(0.0, 10.0, "h"), (20.0, 5.0, "h")]}, uem)
    check("5 s false alarm inside the UEM: 50 % FA", close(pooled(res, 0.0)["false_alarm"], 50.0))
    res = score({"a": [(0.0, 10.0, "A")]}, {"a": [(0.0, 10.0, "h"), (40.0, 5.0, "h")]}, uem)
    check("false alarm outside the UEM is not scored", close(pooled(res, 0.0)["der"], 0.0))
    res = score({"a": [(0.0, 10.0, "A")]}, {"a": [(0.0, 6.0, "h"), (4.0, 6.0, "h")]}, uem)
    check("overlapping segments of one label count once", close(pooled(res, 0.0)["der"], 0.0), str(pooled(res, 0.0)))
    res = score({"a": [(0.0, 10.0, "MÉO069")]}, {"a": [(0.0, 10.0, "MÉO069")]}, uem)
    check("non-ASCII labels", close(pooled(res, 0.0)["der"], 0.0))
    # A 0-10, B 5-12, C 6-7; hypothesis x 0-12 and y 20-21: one voice over everything
    ref = {"a": [(0.0, 10.0, "A"), (5.0, 7.0, "B"), (6.0, 1.0, "C")]}  # 18 s of speaker time
    b = score(ref, {"a": [(0.0, 12.0, "x"), (20.0, 1.0, "y")]}, uem)["by_overlap"]
    check(
        "overlap breakdown: speech 7/9/2 s at 1/2/3+ speakers",
        [b["speech_share"][k] for k in ("1", "2", "3+")] == [pct(7 / 18), pct(8 / 18), pct(3 / 18)],
        str(b),
    )
    check(
        "  missed 0 / 4 s / 2 s, false alarm 1 s in silence, none extra",
        [b["missed"][k] for k in ("1", "2", "3+")] == [0.0, pct(4 / 18), pct(2 / 18)]
        and b["false_alarm"] == {"silence": pct(1 / 18), "extra_speaker": 0.0},
        str(b),
    )
    b = score({"a": [(0.0, 10.0, "A")]}, {"a": [(0.0, 10.0, "x"), (2.0, 3.0, "y")]}, uem)["by_overlap"]
    check(
        "  a second hypothesis voice over one speaker: extra-speaker false alarm",
        b["false_alarm"]["extra_speaker"] == 30.0,
        str(b),
    )


def degraded(ref: dict, how: str) -> dict:
    out = {}
    for uri, segs in ref.items():
        if how == "relabel":
            labels = sorted({s[2] for s in segs})
            m = {lab: f"spk{len(labels) - i}" for i, lab in enumerate(labels)}
            out[uri] = [(s, d, m[lab]) for s, d, lab in segs]
        elif how == "merge":
            out[uri] = [(s, d, "one") for s, d, _ in segs]
        elif how == "shift":
            out[uri] = [(s + 0.1, d, lab) for s, d, lab in segs]
        elif how == "drop_half":
            out[uri] = segs[::2]
    return out


def set_checks(name: str, ref_dir: Path, uem_path: Path | None) -> None:
    print(f"set {name}: {ref_dir}")
    ref = read_rttm(rttm_files(ref_dir))
    uem = read_uem(uem_path) if uem_path else None
    if uem:
        for uri in uem:
            ref.setdefault(uri, [])
    for c in (0.0, 0.5):
        p = pooled(score(ref, ref, uem), c)
        check(f"reference as hypothesis, collar {c}: DER 0", close(p["der"], 0.0), str(p))
    p = pooled(score(ref, {}, uem), 0.0)
    check("empty hypothesis: DER 100 % = miss", close(p["der"], 100.0) and close(p["missed"], 100.0), str(p))
    p = pooled(score(ref, degraded(ref, "relabel"), uem), 0.0)
    check("relabelled reference: DER 0 (optimal mapping)", close(p["der"], 0.0), str(p))
    p = pooled(score(ref, degraded(ref, "merge"), uem), 0.0)
    check(
        "all speakers merged into one: confusion > 0, overlap missed, no false alarm",
        p["confusion"] > 0 and p["missed"] > 0 and close(p["false_alarm"], 0.0),
        str(p),
    )
    p0 = pooled(score(ref, degraded(ref, "shift"), uem), 0.0)
    p5 = pooled(score(ref, degraded(ref, "shift"), uem), 0.5)
    check(
        "shifted by 0.1 s: error at collar 0, less at collar 0.5",
        p0["der"] > 0 and p5["der"] < p0["der"],
        f"collar 0: {p0['der']}, collar 0.5: {p5['der']}",
    )
    p = pooled(score(ref, degraded(ref, "drop_half"), uem), 0.0)
    check(
        "every other segment dropped: miss > 0, false alarm 0", p["missed"] > 0 and close(p["false_alarm"], 0.0), str(p)
    )
    for how in ("drop_half", "shift", "merge"):
        res = score(ref, degraded(ref, how), uem)
        p, b = pooled(res, 0.0), res["by_overlap"]
        check(
            f"overlap breakdown of '{how}' adds up to pyannote's miss and false alarm (within 0.1)",
            close(sum(b["missed"].values()), p["missed"], 0.1)
            and close(sum(b["false_alarm"].values()), p["false_alarm"], 0.1)
            and close(sum(b["speech_share"].values()), 100.0, 0.05),
            f"{b} vs {p}",
        )


def shift_round_trip(name: str, ref_dir: Path, uem_path: Path | None, seconds: float = 0.27) -> None:
    """A phase-shifted run (shift.py) scores like the unshifted one: the audio copy is the
    clip behind `seconds` of silence, and a reference moved by `seconds` then moved back
    by unshift_rttm scores DER 0 against the reference."""
    ref = read_rttm(rttm_files(ref_dir))
    uem = read_uem(uem_path) if uem_path else None
    first = sorted(ref)[0]
    with tempfile.TemporaryDirectory() as tmp:
        wav = shift_audio(ref_dir / f"{first}.wav", Path(tmp), seconds)
        x, sr = sf.read(str(ref_dir / f"{first}.wav"), dtype="float32")
        y, _ = sf.read(str(wav), dtype="float32")
        pad = int(round(seconds * sr))
        check(f"{first} shifted by {seconds} s: silence, then the same samples",
              len(y) == len(x) + pad and not y[:pad].any() and np.array_equal(y[pad:], x))
        moved, back = Path(tmp) / "moved.rttm", Path(tmp) / "back.rttm"
        moved.write_text("".join(f"SPEAKER {u} 1 {start + seconds:.3f} {dur:.3f} <NA> <NA> {label} <NA> <NA>\n"
                                 for u, segs in ref.items() for start, dur, label in segs), encoding="utf-8")
        unshift_rttm(moved, back, seconds)
        p = pooled(score(ref, read_rttm([back]), uem), 0.0)
        # RTTM times are written to the millisecond: a simulated reference with finer times
        # comes back within a few hundredths of a per cent.
        check(f"{name} reference shifted by {seconds} s and back: DER 0 (within 0.05)",
              close(p["der"], 0.0, 0.05), str(p))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", nargs=3, action="append", default=[], metavar=("NAME", "REF", "UEM"))
    args = ap.parse_args()
    hand_cases()
    for name, ref_dir, uem in args.set:
        set_checks(name, Path(ref_dir), Path(uem) if uem != "-" else None)
        shift_round_trip(name, Path(ref_dir), Path(uem) if uem != "-" else None)
    if FAILED:
        print(f"{len(FAILED)} scorer check(s) FAILED")
        return 1
    print("all scorer checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
