"""Checks of the evaluation helpers that need no data: phase shifts (scripts/eval/shift.py;
its audio copy is checked on real clips by selftest.py), the phase summary of score.py and
the paired comparison of two reports (compare.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1] / "eval"
# The scripts import each other by name, as they do when run from scripts/eval.
sys.path.insert(0, str(EVAL))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"eval_{name}", EVAL / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shift = _load("shift")
score = _load("score")
compare = _load("compare")


def clip(speech: float, missed: float, fa: float, conf: float) -> dict:
    """A report clip entry: components in % of `speech`, as score.py writes them."""
    der = missed + fa + conf
    return {"collar_0.0": {"speech_s": speech, "der": der, "missed": missed, "false_alarm": fa, "confusion": conf},
            "collar_0.5": {"speech_s": speech, "der": der / 2, "missed": missed / 2, "false_alarm": fa / 2,
                           "confusion": conf / 2}}


def report(sets: dict[str, dict[str, dict]]) -> dict:
    out = {"sets": {}}
    for name, clips in sets.items():
        speech = sum(c["collar_0.0"]["speech_s"] for c in clips.values())
        err = sum(c["collar_0.0"]["der"] * c["collar_0.0"]["speech_s"] / 100 for c in clips.values())
        pooled = {"speech_s": speech, "der": 100 * err / speech, "missed": 0.0, "false_alarm": 0.0, "confusion": 0.0}
        for k in ("missed", "false_alarm", "confusion"):
            pooled[k] = sum(c["collar_0.0"][k] * c["collar_0.0"]["speech_s"] for c in clips.values()) / speech
        half = {k: v / 2 if k != "speech_s" else v for k, v in pooled.items()}
        out["sets"][name] = {"clips": clips, "pooled": {"collar_0.0": pooled, "collar_0.5": half}}
    return out


# ---- shift.py ------------------------------------------------------------------------


def test_unshift_moves_times_back_and_drops_segments_in_the_added_silence():
    line = "SPEAKER clip 1 {} {} <NA> <NA> spk <NA> <NA>"
    assert shift.unshift_line(line.format("2.500", "1.000"), 0.5) == line.format("2.000", "1.000")
    # starts in the silence, ends after it: clipped at 0
    assert shift.unshift_line(line.format("0.200", "1.000"), 0.5) == line.format("0.000", "0.700")
    # wholly in the silence: gone
    assert shift.unshift_line(line.format("0.100", "0.300"), 0.5) is None
    assert shift.unshift_line(line.format("0.100", "0.400"), 0.5) is None
    # other lines pass unchanged; no shift changes nothing but the number format
    assert shift.unshift_line(";; comment", 0.5) == ";; comment"
    assert shift.unshift_line(line.format("1.25", "2"), 0.0) == line.format("1.250", "2.000")


def test_unshift_rttm_file(tmp_path):
    src, dst = tmp_path / "a.rttm", tmp_path / "b.rttm"
    src.write_text(
        "SPEAKER c 1 0.1 0.2 <NA> <NA> MÉO069 <NA> <NA>\nSPEAKER c 1 1.0 0.5 <NA> <NA> MÉO069 <NA> <NA>\n",
        encoding="utf-8",
    )
    shift.unshift_rttm(src, dst, 0.41)
    assert dst.read_text(encoding="utf-8") == "SPEAKER c 1 0.590 0.500 <NA> <NA> MÉO069 <NA> <NA>\n"


# ---- score.py --phase-summary --------------------------------------------------------


def test_phase_summary_means_every_shift_of_a_set():
    r = report({
        "ami-dev": {"a": clip(10, 20, 0, 10)},
        "ami-dev@0.13": {"a": clip(10, 30, 0, 10)},
        "ami-dev@0.27": {"a": clip(10, 40, 5, 5)},
        "sim": {"a": clip(10, 1, 1, 1)},  # run at one phase only: no summary
    })
    s = score.phase_summary(r)
    assert list(s) == ["ami-dev"]
    assert s["ami-dev"]["shifts_s"] == [0.0, 0.13, 0.27]
    assert s["ami-dev"]["der"] == pytest.approx([30, 40, 50])
    assert s["ami-dev"]["mean"]["der"] == pytest.approx(40)
    assert s["ami-dev"]["mean"]["missed"] == pytest.approx(30)
    assert s["ami-dev"]["mean"]["false_alarm"] == pytest.approx(5 / 3, abs=0.01)
    assert s["ami-dev"]["mean"]["der_collar_0.5"] == pytest.approx(20)
    assert (s["ami-dev"]["min"], s["ami-dev"]["max"]) == pytest.approx((30, 50))


# ---- compare.py ----------------------------------------------------------------------


def test_pooled_difference_is_error_seconds_over_speech():
    base = report({"s": {"a": clip(10, 10, 0, 0), "b": clip(30, 20, 0, 0)}})
    new = report({"s": {"a": clip(10, 10, 0, 0), "b": clip(30, 10, 0, 0)}})
    r = compare.compare(base, new, resamples=2000)["s"]
    # base: (1 + 6) / 40 = 17.5 %; new: (1 + 3) / 40 = 10 %
    assert r["base"][0] == pytest.approx(17.5) and r["new"][0] == pytest.approx(10.0)
    assert r["delta"] == pytest.approx(-7.5)
    assert r["per_clip_delta"] == {"a": 0.0, "b": -10.0}
    # resamples without clip b change nothing, the others help: never worse
    assert r["ci95"][1] <= 0.0 and r["ci95"][0] < -7.5
    assert 0.5 < r["new_better_share"] < 1.0


def test_identical_reports_have_no_difference():
    base = report({"s": {"a": clip(10, 10, 5, 5), "b": clip(20, 0, 0, 50)}})
    r = compare.compare(base, base, resamples=500)["s"]
    assert r["delta"] == 0.0 and r["ci95"] == [0.0, 0.0] and r["new_better_share"] == 0.0


def test_one_lucky_clip_does_not_make_a_sure_difference():
    clips = {f"c{i}": clip(10, 30, 0, 0) for i in range(8)}
    better = dict(clips, c0=clip(10, 0, 0, 0))
    worse = {k: (clip(10, 32, 0, 0) if k != "c0" else v) for k, v in better.items()}
    r = compare.compare(report({"s": clips}), report({"s": worse}), resamples=4000)["s"]
    # pooled: 2.0 points better, all from c0; every other clip is worse
    assert r["delta"] == pytest.approx(-2.0)
    assert r["ci95"][0] < 0 < r["ci95"][1]


def test_phase_shifts_are_pooled_per_clip():
    base = report({"s": {"a": clip(10, 10, 0, 0)}, "s@0.13": {"a": clip(10, 30, 0, 0)}})
    new = report({"s": {"a": clip(10, 30, 0, 0)}, "s@0.13": {"a": clip(10, 10, 0, 0)}})
    r = compare.compare(base, new, resamples=100)["s"]
    assert r["entries"] == ["s", "s@0.13"]
    assert r["base"][0] == pytest.approx(20.0) and r["delta"] == pytest.approx(0.0)
    # a report that lacks a shift is compared on the shifts both have
    single = report({"s": {"a": clip(10, 30, 0, 0)}})
    r = compare.compare(base, single, resamples=100)["s"]
    assert r["entries"] == ["s"] and r["delta"] == pytest.approx(20.0)


def test_reports_of_different_clips_or_references_are_refused():
    base = report({"s": {"a": clip(10, 10, 0, 0), "b": clip(10, 10, 0, 0)}})
    with pytest.raises(compare.ReportMismatch, match="different clips"):
        compare.compare(base, report({"s": {"a": clip(10, 10, 0, 0)}}))
    with pytest.raises(compare.ReportMismatch, match="reference speech differs"):
        compare.compare(base, report({"s": {"a": clip(10, 10, 0, 0), "b": clip(12, 10, 0, 0)}}))
    with pytest.raises(compare.ReportMismatch, match="not in both"):
        compare.compare(base, base, sets=["other"])
    # --clips keeps the named clips only
    r = compare.compare(base, base, clips=["a"], resamples=10)["s"]
    assert r["clips"] == 1


def test_command_line(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report({"s": {"a": clip(10, 10, 0, 0)}})), encoding="utf-8")
    b.write_text(json.dumps(report({"s": {"a": clip(10, 5, 0, 0)}})), encoding="utf-8")
    out = tmp_path / "cmp.json"
    run = subprocess.run([sys.executable, str(EVAL / "compare.py"), str(a), str(b), "--json", str(out)],
                         capture_output=True, text=True, check=True)
    assert "delta -5.00" in run.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["s"]["delta"] == -5.0
    bad = subprocess.run([sys.executable, str(EVAL / "compare.py"), str(a), str(tmp_path / "missing.json")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "cannot read" in bad.stderr
