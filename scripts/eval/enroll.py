#!/usr/bin/env python3
"""Enrolled speakers on ami-dev (issue 17): are known voices given their names?

    python scripts/eval/enroll.py --data DATA_DIR [--bin CLI] [--out DIR] [--args "..."]
                                                                    (make eval-enroll)

For every clip of DATA_DIR/ami-dev (30 s each, reference RTTMs, all.uem):

1. Enrollment, from the first half (0-15 s). For every reference speaker, its solo
   speech there (frames where it is the only reference speaker active) is taken in time
   order, up to 10 s, and those pieces are concatenated into one WAV
   (OUT/audio/<clip>-spk<i>.wav) that `voiceflow enroll --name <reference label>` turns
   into a voiceprint (OUT/voiceprints/<clip>-spk<i>.json). A speaker with no solo speech
   in the first half is not tried; one the CLI refuses (less than 2 s of one voice
   heard) is not enrolled either. Both are counted as "not enrolled".
2. Test, on the second half (15-30 s, cut into OUT/audio/<clip>-test.wav): diarized with
   all of the clip's voiceprints (`--speakers`) and without any, in offline mode (the
   CLI's default) and in streaming mode (`--mode streaming`), RTTM output; the extra
   `--args` go to every `diarize` run. The hypothesis is moved by +15 s and scored
   against the unchanged reference, within the clip's UEM cut to 15-30 s. A clip with no
   enrolled speaker has no run of its own with voiceprints: its run without them stands
   for it.
3. Scores, per clip and pooled over the second halves, per mode.

Naming figures, on 10 ms frames (a frame counts for a segment when its centre lies in
it, as score.py's overlap breakdown; only frames inside the scored region). "Enrolled"
means enrolled from this clip; a hypothesis frame "has name N" when a hypothesis segment
labelled N (the enrolled name, whitespace as `_`) covers it. Overlapped speech counts
for every reference speaker active in the frame.

- enrolled time: for each enrolled speaker S, the frames where S is active in the
  reference, summed over speakers (a frame where two enrolled speakers talk counts
  twice).
- named correctly: of those (S, frame) pairs, the ones whose frame has name S.
- named wrongly: the ones whose frame does not have name S but has the name of another
  enrolled speaker T that is not active in the reference in that frame (a frame where S
  and T both talk and only T is named is a miss for S, not a wrong name: T's name is
  right there).
- unnamed: the rest (no hypothesis speech, or only SPEAKER_NN labels, or only names of
  other speakers who do talk then).
  named correctly + named wrongly + unnamed = 100 % of the enrolled time.
- missed (part of unnamed): the (S, frame) pairs whose frame has no hypothesis speaker at
  all: speech the segmentation lost, which no naming can win back.
- false naming: frames where at least one reference speaker talks, none of them
  enrolled, and the hypothesis has an enrolled name (each such frame counts once),
  in seconds and in % of the time where only non-enrolled speakers talk.
- named in silence: frames where no reference speaker talks and the hypothesis has an
  enrolled name (seconds; it is also false alarm in the DER).

DER (pyannote.metrics, collar 0, overlap scored, optimal one-to-one mapping of
hypothesis to reference labels; score.py's `score`) with and without the voiceprints,
per mode. The enrolled names are the reference labels, so the mapping is the usual one.

Targets (issue 17): named correctly >= 95 % and named wrongly <= 2 % of the enrolled
time (pooled), DER with voiceprints never worse than without (pooled and every clip).
The table is printed and OUT/report.json written (OUT default .voiceflow/eval-enroll).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from score import BREAKDOWN_FRAME, frame_index, pct, read_rttm, read_uem, score

FRAME = BREAKDOWN_FRAME
ENROLL_HALF = (0.0, 15.0)
TEST_HALF = (15.0, 30.0)
MAX_ENROLL_SPEECH = 10.0
MODES = ("offline", "streaming")
TARGET_CORRECT = 95.0
TARGET_WRONG = 2.0

Segs = list[tuple[float, float, str]]


def activity(segs: Segs, frames: int) -> dict[str, np.ndarray]:
    """label -> talking in each FRAME frame (its centre inside a segment of the label)."""
    out: dict[str, np.ndarray] = {}
    for start, dur, label in segs:
        act = out.setdefault(label, np.zeros(frames, dtype=bool))
        act[frame_index(start) : min(frame_index(start + dur), frames)] = True
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[first, end) frame ranges where `mask` is true."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def solo_pieces(segs: Segs, label: str, lo: float, hi: float, most: float) -> list[tuple[float, float]]:
    """(start, end) seconds of `label`'s solo speech (no other reference speaker active)
    within [lo, hi), in time order, cut so that they add up to at most `most` seconds."""
    frames = frame_index(hi)
    act = activity(segs, frames)
    if label not in act:
        return []
    others = np.zeros(frames, dtype=bool)
    for other, a in act.items():
        if other != label:
            others |= a
    solo = act[label] & ~others
    solo[: frame_index(lo)] = False
    left = int(round(most / FRAME))
    out = []
    for a, b in runs(solo):
        if left <= 0:
            break
        b = min(b, a + left)
        left -= b - a
        out.append((round(a * FRAME, 3), round(b * FRAME, 3)))
    return out


def hyp_name(name: str) -> str:
    """The label an enrolled name gets in the CLI's RTTM output."""
    return re.sub(r"\s", "_", name)


def scored_mask(regions: list[tuple[float, float]], frames: int) -> np.ndarray:
    mask = np.zeros(frames, dtype=bool)
    for a, b in regions:
        mask[frame_index(a) : min(frame_index(b), frames)] = True
    return mask


def naming(ref: Segs, hyp: Segs, enrolled: list[str], regions: list[tuple[float, float]]) -> dict:
    """The naming figures of one clip, in FRAME frames (see the module docstring)."""
    ends = [b for _, b in regions] + [s + d for s, d, _ in ref + hyp]
    frames = frame_index(max(ends, default=0.0)) + 1
    scored = scored_mask(regions, frames)
    r = {k: v & scored for k, v in activity(ref, frames).items()}
    h = {k: v & scored for k, v in activity(hyp, frames).items()}
    none = np.zeros(frames, dtype=bool)
    talking = np.zeros(frames, dtype=bool)
    for a in r.values():
        talking |= a
    enrolled_talking = none.copy()
    any_name = none.copy()
    any_hyp = none.copy()
    for a in h.values():
        any_hyp |= a
    for s in enrolled:
        enrolled_talking |= r.get(s, none)
        any_name |= h.get(hyp_name(s), none)
    time_, correct, wrong, missed = {}, {}, {}, {}
    for s in enrolled:
        ref_s, named_s = r.get(s, none), h.get(hyp_name(s), none)
        other_wrong = none.copy()
        for t in enrolled:
            if t != s:
                other_wrong |= h.get(hyp_name(t), none) & ~r.get(t, none)
        time_[s] = int(ref_s.sum())
        correct[s] = int((ref_s & named_s).sum())
        wrong[s] = int((ref_s & ~named_s & other_wrong).sum())
        missed[s] = int((ref_s & ~any_hyp).sum())
    others_only = talking & ~enrolled_talking
    return {
        "frames": {
            "enrolled": sum(time_.values()),
            "correct": sum(correct.values()),
            "wrong": sum(wrong.values()),
            "missed": sum(missed.values()),
            "others_only": int(others_only.sum()),
            "false_naming": int((others_only & any_name).sum()),
            "named_in_silence": int((scored & ~talking & any_name).sum()),
        },
        "per_speaker": {s: {"ref_s": round(time_[s] * FRAME, 2), "correct_s": round(correct[s] * FRAME, 2),
                            "wrong_s": round(wrong[s] * FRAME, 2)} for s in enrolled},
    }


def naming_summary(frames: dict) -> dict:
    """Shares and seconds from summed naming frame counts."""
    n = frames["enrolled"]
    share = (lambda x: pct(x / n)) if n else (lambda x: None)
    o = frames["others_only"]
    return {
        "enrolled_s": round(n * FRAME, 2),
        "correct": share(frames["correct"]),
        "wrong": share(frames["wrong"]),
        "unnamed": share(n - frames["correct"] - frames["wrong"]),
        "missed": share(frames["missed"]),
        "others_only_s": round(o * FRAME, 2),
        "false_naming_s": round(frames["false_naming"] * FRAME, 2),
        "false_naming": pct(frames["false_naming"] / o) if o else None,
        "named_in_silence_s": round(frames["named_in_silence"] * FRAME, 2),
    }


def cut_audio(src: Path, pieces: list[tuple[float, float]], dst: Path) -> float:
    """Writes the `pieces` (seconds) of `src`, concatenated, to `dst` (same rate and
    subtype); returns its duration."""
    import soundfile as sf

    info = sf.info(str(src))
    parts = [sf.read(str(src), start=round(a * info.samplerate), stop=round(b * info.samplerate),
                     dtype="float32", always_2d=True)[0] for a, b in pieces]
    audio = np.concatenate(parts) if parts else np.zeros((0, info.channels), dtype=np.float32)
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dst), audio, info.samplerate, subtype=info.subtype)
    return len(audio) / info.samplerate


def run_cli(cmd: list[str], out: Path | None = None) -> tuple[int, str, float]:
    """Runs the CLI (stdout to `out` if given); (exit code, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
    secs = time.monotonic() - t0
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(p.stdout, encoding="utf-8")
    return p.returncode, p.stderr.strip(), secs


def enroll_clip(cli: str, wav: Path, uri: str, segs: Segs, out: Path) -> tuple[dict, list[tuple[str, Path]]]:
    """Step 1 for one clip: per speaker, what was tried and why it failed; and the
    (name, voiceprint file) of the enrolled ones, in reference label order."""
    info, enrolled = {}, []
    for i, label in enumerate(sorted({s[2] for s in segs})):
        pieces = solo_pieces(segs, label, *ENROLL_HALF, MAX_ENROLL_SPEECH)
        solo = round(sum(b - a for a, b in pieces), 2)
        entry: dict = {"solo_s": solo, "pieces": len(pieces), "enrolled": False}
        info[label] = entry
        if not pieces:
            entry["why_not"] = "no solo speech in the first half"
            continue
        audio = out / "audio" / f"{uri}-spk{i}.wav"
        cut_audio(wav, pieces, audio)
        vp = out / "voiceprints" / f"{uri}-spk{i}.json"
        vp.parent.mkdir(parents=True, exist_ok=True)
        vp.unlink(missing_ok=True)
        cmd = [cli, "enroll", str(audio), "--name", label, "--out", str(vp)]
        rc, err, secs = run_cli(cmd)
        entry["seconds"] = round(secs, 2)
        if rc == 0:
            entry["enrolled"] = True
            enrolled.append((label, vp))
        elif "too little speech" in err:
            # "...: too little speech for a voiceprint: 1.7 s of one voice found in ..."
            entry["why_not"] = "too little speech" + err.split("too little speech", 1)[1].split(" (")[0]
        else:
            raise SystemExit(f"{uri} {label}: enroll failed (exit {rc}): {' '.join(cmd)}\n{err}")
    return info, enrolled


def der_figures(res: dict) -> dict:
    d = res["collar_0.0"]
    return {k: d[k] for k in ("der", "missed", "false_alarm", "confusion")}


def evaluate(ref: dict, hyps: dict, enrollment: dict, test_uem: dict, uris: list[str]) -> dict:
    """Naming figures and DER per mode, per clip and pooled, and the targets."""
    tried = sum(len(c) for c in enrollment.values())
    ok = sum(e["enrolled"] for c in enrollment.values() for e in c.values())
    no_solo = sum("no solo" in e.get("why_not", "") for c in enrollment.values() for e in c.values())
    report: dict = {
        "enrollment": {
            "speakers": tried,
            "enrolled": ok,
            "not_enrolled": tried - ok,
            "not_enrolled_no_solo_speech": no_solo,
            "not_enrolled_refused_by_cli": tried - ok - no_solo,
            "clips": enrollment,
        },
        "modes": {},
        "targets": {"named_correctly_min": TARGET_CORRECT, "named_wrongly_max": TARGET_WRONG},
    }
    for mode in MODES:
        der = {v: score(ref, hyps[(v, mode)], test_uem) for v in ("enrolled", "plain")}
        clips, total = {}, None
        for uri in uris:
            names = [n for n, e in enrollment[uri].items() if e["enrolled"]]
            n = naming(ref[uri], hyps[("enrolled", mode)][uri], names, test_uem[uri])
            total = dict(n["frames"]) if total is None else {k: total[k] + v for k, v in n["frames"].items()}
            clips[uri] = {
                "enrolled": len(names),
                "speakers": len(enrollment[uri]),
                **naming_summary(n["frames"]),
                "per_speaker": n["per_speaker"],
                "der_enrolled": der_figures(der["enrolled"]["clips"][uri]),
                "der_plain": der_figures(der["plain"]["clips"][uri]),
            }
        pooled = {
            **naming_summary(total),
            "der_enrolled": der_figures(der["enrolled"]["pooled"]),
            "der_plain": der_figures(der["plain"]["pooled"]),
        }
        worse = [u for u, c in clips.items() if c["der_enrolled"]["der"] > c["der_plain"]["der"]]
        pooled["clips_der_worse"] = worse
        pooled["targets_met"] = {
            "named_correctly": pooled["correct"] is not None and pooled["correct"] >= TARGET_CORRECT,
            "named_wrongly": pooled["wrong"] is not None and pooled["wrong"] <= TARGET_WRONG,
            "der_never_worse": not worse and pooled["der_enrolled"]["der"] <= pooled["der_plain"]["der"],
        }
        report["modes"][mode] = {"pooled": pooled, "clips": clips}
    return report


def fmt(x: float | None, spec: str) -> str:
    """`x` formatted by `spec` (width.precision f), or a right-aligned "-" for None."""
    return format(x, spec) if x is not None else format("-", ">" + spec.split(".")[0])


def print_report(report: dict) -> None:
    e = report["enrollment"]
    print(f"\n== enrollment (solo speech in 0-15 s, up to {MAX_ENROLL_SPEECH:g} s) ==")
    for uri, speakers in e["clips"].items():
        parts = [f"{s} {v['solo_s']:.1f} s " + ("ok" if v["enrolled"] else "no") for s, v in speakers.items()]
        print(f"  {uri}: " + "; ".join(parts))
    print(f"enrolled {e['enrolled']} of {e['speakers']} speakers; not enrolled {e['not_enrolled']} "
          f"({e['not_enrolled_no_solo_speech']} without solo speech, {e['not_enrolled_refused_by_cli']} "
          "refused by the CLI: too little speech)")
    for mode, m in report["modes"].items():
        print(f"\n== {mode}: second halves (15-30 s) ==")
        print(f"{'clip':<8}{'enr':>5}{'enr (s)':>9}{'right %':>9}{'wrong %':>9}{'unnamed %':>11}"
              f"{'missed %':>10}{'false (s)':>10}{'silence (s)':>12}{'DER plain':>11}{'DER enr':>9}{'diff':>7}")

        def row(label: str, enr: str, c: dict) -> str:
            dp, de = c["der_plain"]["der"], c["der_enrolled"]["der"]
            return (f"{label:<8}{enr:>5}{c['enrolled_s']:>9.1f}{fmt(c['correct'], '9.1f')}{fmt(c['wrong'], '9.1f')}"
                    f"{fmt(c['unnamed'], '11.1f')}{fmt(c['missed'], '10.1f')}{c['false_naming_s']:>10.2f}"
                    f"{c['named_in_silence_s']:>12.2f}{dp:>11.2f}{de:>9.2f}{de - dp:>+7.2f}")

        for uri, c in m["clips"].items():
            print(row(uri, f"{c['enrolled']}/{c['speakers']}", c))
        p = m["pooled"]
        print("-" * 110)
        print(row("POOLED", f"{e['enrolled']}/{e['speakers']}", p))
        print("enr = speakers enrolled / in the clip; enr (s) = their reference time in 15-30 s; right / wrong /"
              " unnamed: % of it (missed: the part of unnamed with no hypothesis speech); false: an enrolled name"
              " where only others talk; silence: one where nobody talks; DER % collar 0 without / with voiceprints")
        fn = p["false_naming"]
        print(f"false naming: {p['false_naming_s']:.2f} s of {p['others_only_s']:.1f} s where only non-enrolled "
              f"speakers talk ({fmt(fn, '.1f')} %); DER collar 0, pooled, miss / FA / conf: plain "
              + " / ".join(f"{p['der_plain'][k]:.1f}" for k in ("missed", "false_alarm", "confusion"))
              + ", enrolled " + " / ".join(f"{p['der_enrolled'][k]:.1f}" for k in ("missed", "false_alarm",
                                                                                   "confusion")))
        t = p["targets_met"]
        worse = ", ".join(p["clips_der_worse"]) or "none"
        print(f"targets: right >= {TARGET_CORRECT:g} %: {'met' if t['named_correctly'] else 'NOT met'}; "
              f"wrong <= {TARGET_WRONG:g} %: {'met' if t['named_wrongly'] else 'NOT met'}; DER never worse: "
              f"{'met' if t['der_never_worse'] else 'NOT met'} (clips worse: {worse})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="shared data folder (with ami-dev/)")
    ap.add_argument("--bin", default="target/release/voiceflow", help="the voiceflow CLI")
    ap.add_argument("--out", type=Path, default=Path(".voiceflow/eval-enroll"), help="work folder and report")
    ap.add_argument("--args", default="", help="extra arguments for every `voiceflow diarize`")
    ap.add_argument("--clips", default="", help="comma-separated clips (default: all of all.uem)")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="stored in the report")
    args = ap.parse_args()

    t_start = time.monotonic()
    ami = args.data / "ami-dev"
    uem = read_uem(ami / "all.uem")
    uris = [u for u in uem if not args.clips or u in args.clips.split(",")]
    ref = read_rttm([ami / f"{u}.rttm" for u in uris if (ami / f"{u}.rttm").exists()])
    for u in uris:
        ref.setdefault(u, [])
    lo, hi = TEST_HALF
    test_uem = {u: [(max(a, lo), min(b, hi)) for a, b in uem[u] if min(b, hi) > max(a, lo)] for u in uris}
    extra = shlex.split(args.args)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    enrollment: dict = {}
    hyps: dict = {(v, m): {} for v in ("enrolled", "plain") for m in MODES}
    timings: dict = {m: {"enrolled": 0.0, "plain": 0.0} for m in MODES}
    print(f"binary: {args.bin}\nextra diarize args: {' '.join(extra) or '(none)'}")
    for uri in uris:
        wav = ami / f"{uri}.wav"
        info, enrolled = enroll_clip(args.bin, wav, uri, ref[uri], out)
        enrollment[uri] = info
        test = out / "audio" / f"{uri}-test.wav"
        cut_audio(wav, [TEST_HALF], test)
        names = ", ".join(n for n, _ in enrolled) or "none"
        print(f"  {uri}: enrolled {len(enrolled)} of {len(info)} ({names})", flush=True)
        for mode in MODES:
            variants = [("plain", [])]
            if enrolled:
                variants.append(("enrolled", ["--speakers", *(str(p) for _, p in enrolled)]))
            for variant, speakers in variants:
                rttm = out / "hyp" / variant / mode / f"{uri}.rttm"
                cmd = [args.bin, "diarize", str(test), "--format", "rttm", "--mode", mode, *extra, *speakers]
                rc, err, secs = run_cli(cmd, rttm)
                if rc != 0:
                    raise SystemExit(f"{uri} ({variant}, {mode}) failed (exit {rc}): {' '.join(cmd)}\n{err}")
                timings[mode][variant] += secs
                segs = [seg for s in read_rttm([rttm]).values() for seg in s]
                hyps[(variant, mode)][uri] = [(s + lo, d, lab) for s, d, lab in segs]
            if not enrolled:
                hyps[("enrolled", mode)][uri] = hyps[("plain", mode)][uri]

    report = evaluate(ref, hyps, enrollment, test_uem, uris)
    report["meta"] = {
        "binary": args.bin,
        "extra_args": " ".join(extra),
        "data_dir": str(args.data),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "enroll_half_s": ENROLL_HALF,
        "test_half_s": TEST_HALF,
        "max_enroll_speech_s": MAX_ENROLL_SPEECH,
        "frame_s": FRAME,
        "diarize_seconds": {m: {k: round(v, 2) for k, v in t.items()} for m, t in timings.items()},
        "wall_s": round(time.monotonic() - t_start, 1),
    }
    for kv in args.meta:
        k, _, v = kv.partition("=")
        report["meta"][k] = v
    print_report(report)
    path = out / "report.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nreport: {path} ({report['meta']['wall_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
