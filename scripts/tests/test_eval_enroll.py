"""Checks of scripts/eval/enroll.py that need no data or CLI: the choice of solo speech
for enrollment and the frame rules of the naming figures, on hand-made segments."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1] / "eval"
sys.path.insert(0, str(EVAL))

_spec = importlib.util.spec_from_file_location("eval_enroll", EVAL / "enroll.py")
enroll = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = enroll
_spec.loader.exec_module(enroll)


def test_solo_pieces_skip_overlap_and_stop_at_the_limit():
    segs = [(0.0, 4.0, "A"), (3.0, 2.0, "B"), (6.0, 3.0, "A"), (14.0, 4.0, "A")]
    # A alone: 0-3, 6-9, 14-15 (the half ends at 15)
    assert enroll.solo_pieces(segs, "A", 0.0, 15.0, 10.0) == [(0.0, 3.0), (6.0, 9.0), (14.0, 15.0)]
    assert enroll.solo_pieces(segs, "A", 0.0, 15.0, 4.5) == [(0.0, 3.0), (6.0, 7.5)]
    assert enroll.solo_pieces(segs, "B", 0.0, 15.0, 10.0) == [(4.0, 5.0)]
    assert enroll.solo_pieces(segs, "C", 0.0, 15.0, 10.0) == []


def test_naming_frame_rules():
    # Scored 0-10 s. A and B enrolled, C not.
    ref = [(0.0, 4.0, "A"), (2.0, 2.0, "B"), (4.0, 2.0, "B"), (6.0, 2.0, "C")]
    hyp = [
        (0.0, 2.0, "A"),  # A right
        (2.0, 2.0, "B"),  # A and B talk, only B named: a miss for A, B right
        (4.0, 1.0, "A"),  # B talks, A named and silent: wrong for B
        (5.0, 1.0, "SPEAKER_02"),  # B unnamed
        (6.0, 1.0, "B"),  # only C talks: false naming
        (8.5, 0.5, "A"),  # nobody talks: named in silence
    ]
    n = enroll.naming(ref, hyp, ["A", "B"], [(0.0, 10.0)])
    f = n["frames"]
    assert f["enrolled"] == 400 + 400  # A 4 s, B 4 s
    assert f["correct"] == 200 + 200  # A 0-2, B 2-4
    assert f["wrong"] == 100  # B 4-5
    assert f["missed"] == 0  # every enrolled frame has some hypothesis speaker
    assert f["others_only"] == 200 and f["false_naming"] == 100
    assert f["named_in_silence"] == 50
    s = enroll.naming_summary(f)
    assert (s["correct"], s["wrong"], s["unnamed"]) == (50.0, 12.5, 37.5)
    assert s["false_naming_s"] == 1.0 and s["false_naming"] == 50.0
    assert n["per_speaker"]["B"] == {"ref_s": 4.0, "correct_s": 2.0, "wrong_s": 1.0}


def test_naming_only_counts_the_scored_region_and_renamed_labels():
    ref = [(10.0, 12.0, "MÉO 069")]
    hyp = [(10.0, 10.0, "MÉO_069")]  # the CLI writes whitespace in names as "_"
    n = enroll.naming(ref, hyp, ["MÉO 069"], [(15.0, 30.0)])
    assert n["frames"]["enrolled"] == 700 and n["frames"]["correct"] == 500
    assert n["frames"]["missed"] == 200 and enroll.naming_summary(n["frames"])["unnamed"] == pytest.approx(28.57)


@pytest.mark.parametrize("x,out", [(None, "    -"), (12.345, " 12.3")])
def test_fmt(x, out):
    assert enroll.fmt(x, "5.1f") == out
