#!/usr/bin/env python3
"""Score diarization hypotheses (RTTM) against references with pyannote.metrics.

    python scripts/eval/score.py --ref REF --hyp HYP [--uem FILE] [--name SET]
                                 [--report report.json] [--timings timings.tsv]

REF and HYP are RTTM files or folders of *.rttm files (any number of uris per file).
Every uri of the reference is scored; a uri with no hypothesis scores as an empty
hypothesis (100 % missed speech). Hypothesis uris absent from the reference are
reported and ignored.

DER (DiarizationErrorRate, skip_overlap=False: overlapped speech is scored) is
computed at collar 0 and at collar 0.5 s (pyannote's collar is the total width, so
0.5 s = NIST's +-0.25 s forgiveness around each reference boundary). With --uem only
the given regions are scored; without it pyannote approximates the region from the
union of reference and hypothesis extents.

Pooled numbers are the sums of each component over all clips divided by the total
reference speech (pyannote's abs(metric)), not a mean of per-clip DERs.

Below the table, the pooled collar-0 missed speech is split by how many reference
speakers talk at once (1, 2, 3 or more), and the false alarm into speech where nobody
talks and extra speakers during speech. Miss and false alarm only depend on speaker
counts, so this split is exact up to its 10 ms frames: it shows how much error is
overlap a segmenter cannot see, and how much is plain detection.

--report updates (or creates) a JSON file: report["sets"][SET] = {...}.
--timings is a tab-separated "uri<TAB>seconds<TAB>audio_seconds" file written by
run.sh: processing time of the CLI per clip, summarised as real-time factor.

    python scripts/eval/score.py --phase-summary --report report.json

adds report["phases"]: for each set also scored at phase shifts ("<set>@<shift>", see
shift.py), the DER of every shift and their mean, and prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from shift import split_phase

COLLARS = (0.0, 0.5)
COMPONENTS = ("missed detection", "false alarm", "confusion")
# The same parts as stored in the report.
PARTS = ("missed", "false_alarm", "confusion")
# Frame length of the overlap breakdown, seconds.
BREAKDOWN_FRAME = 0.01
# Reference speaker counts of the breakdown; the last one means "this many or more".
OVERLAP_LEVELS = ("1", "2", "3+")


def read_rttm(paths: list[Path]) -> dict[str, list[tuple[float, float, str]]]:
    """uri -> [(start, duration, label)] from SPEAKER lines. UTF-8, tolerant of spacing."""
    out: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if not fields or fields[0].startswith("#") or fields[0] != "SPEAKER":
                    continue
                if len(fields) < 8:
                    raise SystemExit(f"{path}:{lineno}: malformed SPEAKER line: {line.rstrip()}")
                try:
                    start, dur = float(fields[3]), float(fields[4])
                except ValueError as e:
                    raise SystemExit(f"{path}:{lineno}: bad time: {line.rstrip()}") from e
                if dur < 0:
                    raise SystemExit(f"{path}:{lineno}: negative duration: {line.rstrip()}")
                if dur > 0:
                    out[fields[1]].append((start, dur, fields[7]))
    return out


def rttm_files(p: Path) -> list[Path]:
    if p.is_dir():
        return sorted(p.glob("*.rttm"))
    if p.exists():
        return [p]
    raise SystemExit(f"not found: {p}")


def read_uem(path: Path) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 4 and not fields[0].startswith("#"):
                out[fields[0]].append((float(fields[2]), float(fields[3])))
    return out


def read_timings(path: Path) -> dict[str, tuple[float, float]]:
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 3:
                out[fields[0]] = (float(fields[1]), float(fields[2]))
    return out


def annotation(uri: str, segs: list[tuple[float, float, str]]):
    from pyannote.core import Annotation, Segment

    ann = Annotation(uri=uri)
    for i, (start, dur, label) in enumerate(segs):
        ann[Segment(start, start + dur), str(i)] = label
    # merge overlapping or touching segments of the same label: pyannote would
    # otherwise count a speaker twice where two of its segments overlap
    return ann.support()


def pct(x: float) -> float:
    return round(100.0 * x, 2)


def score(
    ref: dict[str, list[tuple[float, float, str]]],
    hyp: dict[str, list[tuple[float, float, str]]],
    uem: dict[str, list[tuple[float, float]]] | None,
) -> dict:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    result: dict = {"clips": {}, "pooled": {}}
    metrics = {c: DiarizationErrorRate(collar=c, skip_overlap=False) for c in COLLARS}
    for uri in sorted(ref):
        r = annotation(uri, ref[uri])
        h = annotation(uri, hyp.get(uri, []))
        u = None
        if uem is not None:
            if uri not in uem:
                raise SystemExit(f"uri {uri} has no UEM entry")
            u = Timeline([Segment(a, b) for a, b in uem[uri]], uri=uri)
        clip = {
            "ref_speakers": len(r.labels()),
            "hyp_speakers": len(h.labels()),
            "hyp_missing": uri not in hyp,
        }
        for c, m in metrics.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "uem was approximated" when no UEM is given
                d = m(r, h, uem=u, detailed=True)
            total = d["total"]
            clip[f"collar_{c}"] = {
                "speech_s": round(total, 3),
                "der": pct(d["diarization error rate"]),
                "missed": pct(d["missed detection"] / total) if total else 0.0,
                "false_alarm": pct(d["false alarm"] / total) if total else 0.0,
                "confusion": pct(d["confusion"] / total) if total else 0.0,
            }
        result["clips"][uri] = clip
    for c, m in metrics.items():
        total = m["total"]
        result["pooled"][f"collar_{c}"] = {
            "speech_s": round(total, 3),
            "der": pct(abs(m)),
            "missed": pct(m["missed detection"] / total) if total else 0.0,
            "false_alarm": pct(m["false alarm"] / total) if total else 0.0,
            "confusion": pct(m["confusion"] / total) if total else 0.0,
        }
    result["by_overlap"] = overlap_breakdown(ref, hyp, uem)
    result["extra_hyp_uris"] = sorted(set(hyp) - set(ref))
    return result


def frame_index(t: float) -> int:
    """First BREAKDOWN_FRAME frame whose centre is at or after time `t`."""
    return max(int(np.ceil(t / BREAKDOWN_FRAME - 0.5)), 0)


def speaker_counts(segs: list[tuple[float, float, str]], frames: int) -> np.ndarray:
    """Speakers talking in each BREAKDOWN_FRAME frame (a frame counts when its centre is
    inside a segment); overlapping segments of one label count once."""
    per_label: dict[str, np.ndarray] = {}
    for start, dur, label in segs:
        first, end = frame_index(start), min(frame_index(start + dur), frames)
        if end > first:
            per_label.setdefault(label, np.zeros(frames, dtype=bool))[first:end] = True
    counts = np.zeros(frames, dtype=np.int64)
    for talking in per_label.values():
        counts += talking
    return counts


def overlap_breakdown(
    ref: dict[str, list[tuple[float, float, str]]],
    hyp: dict[str, list[tuple[float, float, str]]],
    uem: dict[str, list[tuple[float, float]]] | None,
) -> dict:
    """Pooled collar-0 miss by reference speaker count and false alarm by where it falls,
    in % of reference speaker time (see the module docstring)."""
    speech = dict.fromkeys(OVERLAP_LEVELS, 0)
    missed = dict.fromkeys(OVERLAP_LEVELS, 0)
    fa_silence = fa_extra = 0
    for uri in sorted(ref):
        segs_r, segs_h = ref[uri], hyp.get(uri, [])
        if uem is not None:
            regions = uem[uri]
        else:
            ends = [s + d for s, d, _ in segs_r + segs_h]
            regions = [(0.0, max(ends))] if ends else []
        frames = int(np.ceil(max((b for _, b in regions), default=0.0) / BREAKDOWN_FRAME))
        scored = np.zeros(frames, dtype=bool)
        for a, b in regions:
            scored[frame_index(a) : frame_index(b)] = True
        r = speaker_counts(segs_r, frames)[scored]
        h = speaker_counts(segs_h, frames)[scored]
        for i, level in enumerate(OVERLAP_LEVELS):
            n = i + 1
            at = r >= n if level.endswith("+") else r == n
            speech[level] += int(r[at].sum())
            missed[level] += int(np.maximum(r[at] - h[at], 0).sum())
        fa_silence += int(h[r == 0].sum())
        fa_extra += int(np.maximum(h[r > 0] - r[r > 0], 0).sum())
    total = sum(speech.values())

    def share(x: int) -> float:
        return pct(x / total) if total else 0.0

    return {
        "frame_s": BREAKDOWN_FRAME,
        "speech_share": {k: share(v) for k, v in speech.items()},
        "missed": {k: share(v) for k, v in missed.items()},
        "false_alarm": {"silence": share(fa_silence), "extra_speaker": share(fa_extra)},
    }


def print_table(name: str, res: dict, file=sys.stdout) -> None:
    cols = [f"collar_{c}" for c in COLLARS]
    groups = "|".join(f"{'collar ' + format(c, 'g') + ' s (%)':^33}" for c in COLLARS)
    head1 = f"{'':<14}{'spk':>8}{'ref':>8} |{groups}"
    head2 = f"{'clip':<14}{'ref/hyp':>8}{'(s)':>8} |" + "|".join(
        f" {'DER':>7} {'miss':>7} {'FA':>7} {'conf':>7} " for _ in COLLARS
    )
    print(f"== {name} ==", file=file)
    print(head1, file=file)
    print(head2, file=file)

    def row(label: str, spk: str, d: dict) -> str:
        return f"{label:<14}{spk:>8}{d[cols[0]]['speech_s']:>8.1f} |" + "|".join(
            f" {d[k]['der']:>7.2f} {d[k]['missed']:>7.2f} {d[k]['false_alarm']:>7.2f} {d[k]['confusion']:>7.2f} "
            for k in cols
        )

    for uri, clip in res["clips"].items():
        spk = f"{clip['ref_speakers']}/{clip['hyp_speakers']}" + ("!" if clip["hyp_missing"] else "")
        print(row(uri, spk, clip), file=file)
    print("-" * len(head2), file=file)
    print(row("POOLED", "", res["pooled"]), file=file)
    print("ref (s) = scored reference speaker time at collar 0 (overlapped speech counts once per speaker)", file=file)
    if "by_overlap" in res:
        b = res["by_overlap"]
        fa = b["false_alarm"]
        print("collar 0 miss by reference speakers at once (% of speaker time):", file=file)
        for k in OVERLAP_LEVELS:
            share, missed = b["speech_share"][k], b["missed"][k]
            print(f"  {k:<2} speaking: {share:5.1f} % of speech, {missed:5.2f} missed", file=file)
        silence, extra = fa["silence"], fa["extra_speaker"]
        print(f"  false alarm: {silence:.2f} where nobody speaks, {extra:.2f} extra speakers in speech", file=file)
    if any(c["hyp_missing"] for c in res["clips"].values()):
        print("! = no hypothesis for this clip (scored as empty)", file=file)
    if res["extra_hyp_uris"]:
        print(f"hypothesis uris not in the reference (ignored): {', '.join(res['extra_hyp_uris'])}", file=file)
    if "speed" in res:
        s = res["speed"]
        print(
            f"speed: {s['processing_s']:.1f} s for {s['audio_s']:.1f} s of audio, "
            f"real-time factor {s['rtf']:.4f} (lower is faster)",
            file=file,
        )


def phase_summary(report: dict) -> dict:
    """Per set that was also run at phase shifts ("<set>@<shift>", see shift.py): pooled
    DER at collar 0 of every shift, the mean of it, of its parts and of the collar-0.5 DER
    (the figures to compare: every shift scores the same reference speech, so a mean is
    the error pooled over all runs), and the lowest and highest shift's DER."""
    groups: dict[str, list[tuple[float, dict]]] = defaultdict(list)
    for name, res in report.get("sets", {}).items():
        base, shift = split_phase(name)
        pooled = dict(res["pooled"]["collar_0.0"])
        pooled["der_collar_0.5"] = res["pooled"]["collar_0.5"]["der"]
        groups[base].append((shift, pooled))
    out = {}
    for base, runs in sorted(groups.items()):
        if len(runs) < 2:
            continue
        runs.sort(key=lambda r: r[0])
        ders = [r["der"] for _, r in runs]
        out[base] = {
            "shifts_s": [s for s, _ in runs],
            "der": ders,
            "mean": {k: round(float(np.mean([r[k] for _, r in runs])), 2) for k in ("der", *PARTS, "der_collar_0.5")},
            "min": min(ders),
            "max": max(ders),
        }
    return out


def print_phase_summary(summary: dict, file=sys.stdout) -> None:
    print("== mean over phase shifts (DER %, collar 0, pooled) ==", file=file)
    for base, s in summary.items():
        m = s["mean"]
        runs = ", ".join(f"{sh:g} s {d:.2f}" for sh, d in zip(s["shifts_s"], s["der"], strict=True))
        print(f"{base:<10} {m['der']:6.2f} (miss {m['missed']:.2f} / FA {m['false_alarm']:.2f} / "
              f"conf {m['confusion']:.2f}), collar 0.5 {m['der_collar_0.5']:.2f}; collar 0 per shift: {runs}",
              file=file)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase-summary", action="store_true",
                    help="only summarise the phase-shifted runs already in --report (report['phases'])")
    ap.add_argument("--ref", type=Path, help="reference RTTM file or folder")
    ap.add_argument("--hyp", type=Path, help="hypothesis RTTM file or folder")
    ap.add_argument("--uem", type=Path, help="UEM file (uri channel start end)")
    ap.add_argument("--name", default="set", help="name of the set in the table and the report")
    ap.add_argument("--report", type=Path, help="JSON report to create or update")
    ap.add_argument("--timings", type=Path, help="uri<TAB>processing_s<TAB>audio_s per clip")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="stored in the report")
    args = ap.parse_args()
    if args.phase_summary:
        if not args.report or not args.report.exists():
            ap.error("--phase-summary needs an existing --report")
        report = json.loads(args.report.read_text(encoding="utf-8"))
        report["phases"] = phase_summary(report)
        print_phase_summary(report["phases"])
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return 0
    if not args.ref or not args.hyp:
        ap.error("--ref and --hyp are required")

    ref = read_rttm(rttm_files(args.ref))
    if not ref:
        raise SystemExit(f"no reference SPEAKER lines in {args.ref}")
    hyp = read_rttm(rttm_files(args.hyp))
    uem = read_uem(args.uem) if args.uem else None
    # a reference uri listed in the UEM but with no speech has no RTTM lines: score it too
    if uem:
        for uri in uem:
            ref.setdefault(uri, [])
    res = score(ref, hyp, uem)
    res["uem"] = str(args.uem) if args.uem else None
    if args.timings and args.timings.exists():
        t = read_timings(args.timings)
        proc = sum(v[0] for v in t.values())
        audio = sum(v[1] for v in t.values())
        res["speed"] = {
            "processing_s": round(proc, 3),
            "audio_s": round(audio, 3),
            "rtf": round(proc / audio, 5) if audio else None,
            "per_clip": {k: {"processing_s": v[0], "audio_s": v[1]} for k, v in sorted(t.items())},
        }
    for kv in args.meta:
        k, _, v = kv.partition("=")
        res.setdefault("meta", {})[k] = v
    print_table(args.name, res)
    if args.report:
        report = {}
        if args.report.exists():
            report = json.loads(args.report.read_text(encoding="utf-8"))
        report.setdefault("sets", {})[args.name] = res
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
