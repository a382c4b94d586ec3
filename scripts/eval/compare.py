#!/usr/bin/env python3
"""Compare two evaluation reports clip by clip, with a paired bootstrap over clips.

    python scripts/eval/compare.py BASE.json NEW.json [--collar 0.0] [--sets ami-dev sim]
                                   [--clips dev00,dev01] [--resamples 10000] [--seed 0]
                                   [--json OUT.json]

BASE and NEW are `report.json` files of `scripts/eval/run.sh` (make eval) on the same
references. For each set in both, this prints the pooled DER of each and the change
NEW - BASE (negative: NEW is better), with its 95 % interval and the share of bootstrap
resamples in which NEW is better. A set that both reports also ran at phase shifts
("<set>@<shift>", see shift.py) is compared over the shifts both have: each clip's
errors and speech are summed over them, so the figures are the mean over the shifts.

Why a bootstrap over clips: the sets are a dozen 30 s clips, and one tracker decision
(two voices merged, one voice split) moves a clip's DER by 10 points or more. A pooled
difference of a few points can then come from one or two clips; resampling whole clips
with replacement (the same clips for both reports: a paired test) shows how much of the
difference survives another draw of clips like these. Each resample pools the sampled
clips' error seconds exactly as pyannote pools a set (sum of errors / sum of speech).

--clips restricts every set to the named clips (e.g. the held-out dev00,dev01).
Exit status 2 when the reports do not score the same clips.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from shift import split_phase

COMPONENTS = ("missed", "false_alarm", "confusion")
# Reference speech of the same clip may differ by rounding in the report (3 decimals).
SPEECH_TOLERANCE_S = 0.01


class ReportMismatch(ValueError):
    """The two reports do not score the same clips of a set."""


def clip_errors(report: dict, set_name: str, collar: float, clips: list[str] | None) -> dict[str, np.ndarray]:
    """{clip: [speech_s, missed_s, false_alarm_s, confusion_s]} of one set of a report."""
    key = f"collar_{collar}"
    out = {}
    for name, clip in report["sets"][set_name]["clips"].items():
        if clips is not None and name not in clips:
            continue
        if key not in clip:
            raise ReportMismatch(f"{set_name}/{name}: no {key} in the report")
        c = clip[key]
        speech = c["speech_s"]
        out[name] = np.array([speech] + [c[k] * speech / 100.0 for k in COMPONENTS])
    return out


def pooled(rows: np.ndarray) -> np.ndarray:
    """[der, missed, false_alarm, confusion] in % of the summed speech of `rows`."""
    total = rows[:, 1:].sum(axis=0)
    speech = rows[:, 0].sum()
    if speech <= 0:
        return np.zeros(4)
    comp = 100.0 * total / speech
    return np.r_[comp.sum(), comp]


def compare_set(base: dict[str, np.ndarray], new: dict[str, np.ndarray], resamples: int,
                rng: np.random.Generator) -> dict:
    if set(base) != set(new):
        only = sorted(set(base) ^ set(new))
        raise ReportMismatch(f"the reports score different clips ({', '.join(only)})")
    names = sorted(base)
    if not names:
        raise ReportMismatch("no clips to compare")
    a = np.stack([base[n] for n in names])
    b = np.stack([new[n] for n in names])
    bad = [n for n, x, y in zip(names, a[:, 0], b[:, 0], strict=True) if abs(x - y) > SPEECH_TOLERANCE_S]
    if bad:
        raise ReportMismatch(f"reference speech differs for {', '.join(bad)}: not the same references")
    pa, pb = pooled(a), pooled(b)
    # Paired resamples: the same clip indices for both reports.
    idx = rng.integers(0, len(names), size=(resamples, len(names)))
    speech = a[:, 0][idx].sum(axis=1)
    err_a = a[:, 1:].sum(axis=1)[idx].sum(axis=1)
    err_b = b[:, 1:].sum(axis=1)[idx].sum(axis=1)
    delta = 100.0 * (err_b - err_a) / np.maximum(speech, 1e-9)
    lo, hi = np.percentile(delta, [2.5, 97.5])
    per_clip = {
        n: round(float(pooled(b[i : i + 1])[0] - pooled(a[i : i + 1])[0]), 2) for i, n in enumerate(names)
    }
    return {
        "clips": len(names),
        "base": [round(float(v), 2) for v in pa],
        "new": [round(float(v), 2) for v in pb],
        "delta": round(float(pb[0] - pa[0]), 2),
        "ci95": [round(float(lo), 2), round(float(hi), 2)],
        "new_better_share": round(float(np.mean(delta < 0)), 4),
        "per_clip_delta": per_clip,
    }


def phases(report: dict) -> dict[str, list[str]]:
    """{set: [its report entries: "<set>" and every "<set>@<shift>"]}."""
    out: dict[str, list[str]] = {}
    for name in report["sets"]:
        out.setdefault(split_phase(name)[0], []).append(name)
    return out


def summed_errors(report: dict, entries: list[str], collar: float, clips: list[str] | None) -> dict[str, np.ndarray]:
    """clip_errors of several entries (the phase shifts of one set), summed per clip."""
    per_entry = [clip_errors(report, e, collar, clips) for e in entries]
    names = set(per_entry[0])
    if any(set(p) != names for p in per_entry):
        raise ReportMismatch(f"{', '.join(entries)}: the phase shifts score different clips")
    return {n: sum(p[n] for p in per_entry) for n in names}


def compare(base: dict, new: dict, collar: float = 0.0, sets: list[str] | None = None,
            clips: list[str] | None = None, resamples: int = 10000, seed: int = 0) -> dict:
    pa, pb = phases(base), phases(new)
    common = [s for s in pa if s in pb]
    if sets is not None:
        missing = [s for s in sets if s not in common]
        if missing:
            raise ReportMismatch(f"set(s) {', '.join(missing)} not in both reports")
        common = sets
    rng = np.random.default_rng(seed)
    out = {}
    for s in common:
        entries = [e for e in pa[s] if e in pb[s]]
        r = compare_set(summed_errors(base, entries, collar, clips), summed_errors(new, entries, collar, clips),
                        resamples, rng)
        r["entries"] = entries
        out[s] = r
    return out


def print_comparison(result: dict, collar: float, file=sys.stdout) -> None:
    print(f"DER %, collar {collar}, pooled (missed / false alarm / confusion); delta = NEW - BASE", file=file)
    for s, r in result.items():
        b, n = r["base"], r["new"]
        shifts = len(r["entries"])
        print(f"{s} ({r['clips']} clips" + (f", mean of {shifts} phase shifts)" if shifts > 1 else ")"), file=file)
        print(f"  base {b[0]:6.2f}  ({b[1]:.2f} / {b[2]:.2f} / {b[3]:.2f})", file=file)
        print(f"  new  {n[0]:6.2f}  ({n[1]:.2f} / {n[2]:.2f} / {n[3]:.2f})", file=file)
        lo, hi = r["ci95"]
        print(f"  delta {r['delta']:+.2f}  95 % interval [{lo:+.2f}, {hi:+.2f}]  "
              f"new better in {100 * r['new_better_share']:.1f} % of resamples", file=file)
        worst = sorted(r["per_clip_delta"].items(), key=lambda kv: -abs(kv[1]))[:3]
        print("  largest clip changes: " + ", ".join(f"{k} {v:+.2f}" for k, v in worst), file=file)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path, help="report.json of the baseline")
    ap.add_argument("new", type=Path, help="report.json of the variant")
    ap.add_argument("--collar", type=float, default=0.0, choices=(0.0, 0.5))
    ap.add_argument("--sets", nargs="+", help="sets to compare (default: those in both reports)")
    ap.add_argument("--clips", help="comma-separated clip names to keep in every set")
    ap.add_argument("--resamples", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the comparison here")
    args = ap.parse_args()
    if args.resamples < 1:
        ap.error("--resamples must be at least 1")
    try:
        reports = [json.loads(p.read_text(encoding="utf-8")) for p in (args.base, args.new)]
        clips = args.clips.split(",") if args.clips else None
        result = compare(*reports, collar=args.collar, sets=args.sets, clips=clips,
                         resamples=args.resamples, seed=args.seed)
    except (OSError, json.JSONDecodeError, KeyError) as e:
        print(f"error: cannot read the reports: {e}", file=sys.stderr)
        return 2
    except ReportMismatch as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print_comparison(result, args.collar)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
