"""Checks of the evaluation helpers that need no data: phase shifts (scripts/eval/shift.py;
its audio copy is checked on real clips by selftest.py), the phase summary of score.py,
the paired comparison of two reports (compare.py) and the telephone profile of the
simulator (simulate.py --profile tel8k), run on synthetic voices."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

import pytest

EVAL = Path(__file__).resolve().parents[1] / "eval"
# The scripts import each other by name, as they do when run from scripts/eval.
sys.path.insert(0, str(EVAL))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"eval_{name}", EVAL / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


shift = _load("shift")
score = _load("score")
compare = _load("compare")
simulate = _load("simulate")


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


# ---- simulate.py --profile tel8k -----------------------------------------------------

TEL = simulate.TEL8K_PARAMS
SR = simulate.SR


def band_db(x: np.ndarray, sr: int, bands: list[tuple[float, float]]) -> list[float]:
    """Mean power spectral density of each band, in dB (one FFT of the whole signal)."""
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    return [10.0 * np.log10(power[(f >= a) & (f < b)].mean() + 1e-30) for a, b in bands]


def synthetic_voice(rng: np.random.Generator, f0: float, seconds: float, pauses: bool = True) -> np.ndarray:
    """Broadband speech-like audio at SR: harmonic 'words' of 0.15-0.6 s on f0 (harmonics to
    7.5 kHz) plus noise, with short gaps inside phrases and longer pauses between them, over
    a quiet floor. Wide-band on purpose, so that the telephone band has work to do."""
    out = [np.zeros(int(0.3 * SR))]
    total = 0.0
    while total < seconds:
        n = int(rng.uniform(0.15, 0.6) * SR)
        t = np.arange(n) / SR
        pitch = f0 * (1.0 + 0.05 * np.sin(2 * np.pi * rng.uniform(2, 5) * t))
        phase = 2 * np.pi * np.cumsum(pitch) / SR
        word = sum(np.sin(k * phase) / np.sqrt(k) for k in range(1, int(7500 / f0)))
        word = word + 0.5 * rng.standard_normal(n)
        out.append(word * np.hanning(n) * rng.uniform(0.5, 1.0))
        gap = rng.uniform(0.03, 0.1)
        if pauses:
            gap = rng.choice([gap, rng.uniform(0.2, 0.4), 0.6], p=[0.6, 0.3, 0.1])
        out.append(np.zeros(int(gap * SR)))
        total += (n + int(gap * SR)) / SR
    out.append(np.zeros(int(0.3 * SR)))
    x = np.concatenate(out)
    x = x / np.max(np.abs(x)) * 0.5 + 1e-4 * rng.standard_normal(len(x))
    return x.astype(np.float32)


@functools.cache
def synthetic_speakers(seed: int = 7, n_utts: int = 10) -> tuple[dict, dict]:
    """files (speaker -> paths) and a cache of ready utterances, as generate() takes them
    (made once: generate() only adds to the cache and never changes an utterance)."""
    rng = np.random.default_rng(seed)
    files, cache = {}, {}
    for spk, f0 in (("11", 210.0), ("12", 180.0), ("13", 120.0), ("14", 95.0)):
        files[spk] = [Path(f"synthetic/{spk}/{i}.wav") for i in range(n_utts)]
        for path in files[spk]:
            cache[path] = simulate.prepare_utterance(path, synthetic_voice(rng, f0, rng.uniform(5.0, 9.0)))
    return files, cache


def short_tel8k(out: Path, seed: int = 3, seconds: float = 90.0) -> dict:
    files, cache = synthetic_speakers()
    params = dict(TEL, speakers=sorted(files), duration_s=[seconds, seconds])
    return simulate.generate(out, None, seed, "tel8k", files=files, cache=cache, params=params)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0, w.getframerate()


def test_telephone_band_pass_is_flat_in_the_band_and_stops_outside_it():
    lo, hi = TEL["cutoff_hz"]
    half = TEL["transition_hz"] / 2
    h = simulate.kaiser_bandpass(SR, [lo, hi], TEL["transition_hz"], TEL["stopband_db"])
    assert len(h) % 2 == 1 and np.allclose(h, h[::-1])  # linear phase, whole-sample delay
    f = np.fft.rfftfreq(1 << 18, 1.0 / SR)
    db = 20 * np.log10(np.abs(np.fft.rfft(h, 1 << 18)) + 1e-15)
    band = (f >= lo + half) & (f <= hi - half)
    assert np.abs(db[band]).max() < 0.05
    assert db[f < lo - half].max() < -58 and db[f > hi + half].max() < -58
    for cut in (lo, hi):
        assert db[np.argmin(np.abs(f - cut))] == pytest.approx(-6.0, abs=0.3)


def test_telephone_channel_keeps_the_band_at_8khz_and_does_not_alias():
    t = np.arange(2 * SR) / SR
    inner = slice(2000, -2000)  # away from the ends, where the filter runs into the edge
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    y, info = simulate.telephone_channel(tone, TEL)
    assert len(y) == len(tone) // 2 and info["taps"] % 2 == 1
    # unit gain and no delay: the 1 kHz tone comes out as the same tone, sampled at 8 kHz
    assert np.abs(y - tone[::2])[inner].max() < 1e-3
    # 150 Hz and 3.7 kHz are outside the band; 5 and 7 kHz would alias onto 3 and 1 kHz
    out_of_band = sum(0.3 * np.sin(2 * np.pi * f * t) for f in (150, 3700, 5000, 7000)).astype(np.float32)
    y, _ = simulate.telephone_channel(out_of_band, TEL)
    rms_in = np.sqrt(np.mean(out_of_band.astype(np.float64) ** 2))
    rms_out = np.sqrt(np.mean(y[inner].astype(np.float64) ** 2))
    assert 20 * np.log10(rms_out / rms_in) < -55


def test_long_turns_are_cut_inside_the_utterance_and_the_rest_is_kept():
    # one 8 s phrase without a pause long enough to end a chunk: every short turn is a cut
    x = synthetic_voice(np.random.default_rng(1), 150.0, 8.0, pauses=False)
    path = Path("synthetic/phrase.wav")
    u = simulate.prepare_utterance(path, x)
    assert len(u.chunks) == 1
    src = simulate.SpeakerSource("11", [path], {path: u}, np.random.default_rng(0), dict(TEL))
    start, ends = u.chunks[0][0], []
    for _ in range(4):
        piece, segs = src.turn(1.5)
        assert TEL["turn_s"][0] * SR <= len(piece) <= simulate.CUT_OVER * 1.5 * SR
        assert segs == [(0, len(piece))]  # the truth spans the piece
        # the piece is the utterance from where the last one stopped (bar the fades)
        assert np.array_equal(piece[400:-400], u.audio[start + 400 : start + len(piece) - 400])
        ends.append(start + len(piece))
        (_, chunk, start), = src.queue  # the rest of the utterance, queued again
        assert chunk == 0 and start >= ends[-1]
    assert src.passes == 1  # nothing reused yet


def test_tel8k_profile_makes_a_4_speaker_8khz_telephone_stream(tmp_path):
    m = short_tel8k(tmp_path)
    conv = m["conversations"][0]
    name = conv["name"]
    assert (m["profile"], m["sample_rate"], name) == ("tel8k", 8000, "tel8k_4spk")
    x, sr = read_wav(tmp_path / f"{name}.wav")
    assert sr == 8000
    duration = len(x) / sr
    uem = (tmp_path / "all.uem").read_text(encoding="utf-8").split()
    assert uem[0] == name and float(uem[2]) == 0.0 and float(uem[3]) == pytest.approx(duration, abs=1e-3)
    assert 85 <= duration <= 95
    segs = [line.split() for line in (tmp_path / f"{name}.rttm").read_text(encoding="utf-8").splitlines()]
    assert {s[7] for s in segs} == {"ls11", "ls12", "ls13", "ls14"}
    assert all(s[1] == name and float(s[3]) >= 0 and float(s[3]) + float(s[4]) <= duration for s in segs)
    # short turns, some overlap, every speaker heard
    assert 0.05 <= conv["overlap_ratio"] <= 0.15
    assert 0.7 <= conv["turn_median_s"] <= 2.0 and conv["turns"] >= 30
    assert all(0.1 < share < 0.4 for share in conv["speech_share"].values())
    assert conv["line_noise"]["snr_db"] >= 35
    # telephone band: little left below 250 Hz and above 3.45 kHz
    passband, low, high = band_db(x, sr, [(350, 3350), (20, 250), (3450, 3990)])
    assert low < passband - 50 and high < passband - 50
    # the truth is where the speech is
    talking = np.zeros(len(x), bool)
    for s in segs:
        talking[round(float(s[3]) * sr) : round((float(s[3]) + float(s[4])) * sr)] = True
    assert 10 * np.log10(np.mean(x[talking] ** 2) / np.mean(x[~talking] ** 2)) > 25


def test_tel8k_is_reproducible_from_its_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    short_tel8k(a, seed=5, seconds=40)
    short_tel8k(b, seed=5, seconds=40)
    short_tel8k(c, seed=6, seconds=40)
    names = sorted(p.name for p in a.iterdir())
    assert names == ["all.uem", "manifest.json", "speakers.txt", "tel8k_4spk.rttm", "tel8k_4spk.wav"]
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "tel8k_4spk.wav").read_bytes() != (c / "tel8k_4spk.wav").read_bytes()
    assert (a / "tel8k_4spk.rttm").read_bytes() != (c / "tel8k_4spk.rttm").read_bytes()
    # the fingerprint that decides regeneration follows seed and profile
    fps = {simulate.fingerprint(5, "tel8k"), simulate.fingerprint(6, "tel8k"), simulate.fingerprint(5)}
    assert len(fps) == 3
