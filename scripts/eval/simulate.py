#!/usr/bin/env python3
"""Simulated multi-speaker conversations with exact truth, from LibriSpeech.

    python scripts/eval/simulate.py --data ../shared/data --out .voiceflow/eval/sim
    python scripts/eval/simulate.py --profile tel8k --data ../shared/data --out .voiceflow/eval/tel8k

Writes, into --out (default profile):
    simNN_Kspk.wav   16 kHz mono 16-bit PCM conversation (K = 2, 3 or 4 speakers)
    simNN_Kspk.rttm  exact reference (uri = file stem), labels "lsNNNN" (LibriSpeech id)
    all.uem          scoring region: the whole of each file
    speakers.txt     the LibriSpeech speakers used (keep them out of any training set)
    manifest.json    generator version, seed, parameters, per-conversation statistics

Every truth time comes from decoded sample counts (the dev-clean MP3s decode with a
start offset of about 69 ms, which is part of the decoded samples, so it is handled
by construction). Each piece of speech is trimmed with a simple energy threshold so
the truth marks speech, not the padding around it; pauses of at least
SPLIT_PAUSE_S inside a turn are left out of the truth too.

Features: turn-taking with pauses (0.2-1.5 s), overlapping turn starts and short
backchannels (0.3-1 s pieces cut from utterances) placed inside another speaker's
turn, 10-20 % overlapped speech per conversation (draws outside that range are
rejected and redrawn), per-speaker level differences (+-6 dB), and for some
conversations mild background noise from noise/ at 15-30 dB SNR.

Profile tel8k (TEL8K_PARAMS): ONE 20-minute conversation of the 4 held-out dev-clean
speakers (2 F, 2 M) with short turns (lognormal, median 1.5 s, 0.5-5 s; a turn that would
run long is cut at a pause or an energy dip inside the utterance, and the rest of that
utterance stays available for later turns), pauses of 0.1-0.8 s, overlapping starts and
backchannels for 5-15 % overlapped speech, talkativeness kept near even so each speaker
holds about a quarter of the speech, +-5 dB level differences and light white line
noise (35-45 dB SNR). The 16 kHz mix then goes through a telephone channel
(telephone_channel): a linear-phase FIR band-pass, 300-3400 Hz (half amplitude at the
edges, flat 350-3350 Hz, 60 dB down below 250 Hz and above 3450 Hz; Kaiser window), that
is also the anti-aliasing filter of a 2:1 polyphase decimation to 8 kHz. It writes
tel8k_4spk.wav (8 kHz mono 16-bit PCM), tel8k_4spk.rttm, all.uem, speakers.txt and
manifest.json (with per-speaker speech, turn statistics and the filter). The channel
and the writing of the set need only numpy and the standard library (the tests run
without soundfile); soundfile decodes the LibriSpeech input.

The output is reproducible from --seed. If --out already holds a set made with the
same generator version, profile, seed, parameters and script source, nothing is done.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
DEFAULT_SEED = 20250101
SR = 16000

# Speaker-disjoint evaluation speakers. These MUST be excluded from any model
# training or threshold fitting whose results are reported on this set:
#   * all 10 speakers of librispeech/test-other-10 (FLAC),
#   * 4 speakers held out of librispeech/dev-clean-20 (MP3), 2 female and 2 male.
# Training may use dev-clean-20 minus HELD_OUT_DEV_CLEAN plus train-clean-100-251.
TEST_OTHER_SPEAKERS = ("1688", "1998", "2033", "2414", "2609", "3005", "3080", "3331", "367", "533")
HELD_OUT_DEV_CLEAN = ("84", "1462", "174", "2428")  # 84 F, 1462 F, 174 M, 2428 M

NOISE_FILES = (
    "doing_the_dishes.wav",
    "dude_miaowing.wav",
    "exercise_bike.wav",
    "pink_noise.wav",
    "running_tap.wav",
    "white_noise.wav",
)

PARAMS = {
    "n_conversations": 16,
    # speaker counts, assigned to conversations in a seeded random order
    "speaker_counts": {"2": 5, "3": 6, "4": 5},
    "duration_s": [110.0, 130.0],  # target length of each conversation
    "lead_in_s": [0.3, 1.0],
    "pause_s": [0.2, 1.5],
    "p_overlap_start": 0.35,  # a turn starts before the previous one ends
    "overlap_s": [0.2, 1.5],  # capped at half of the shorter turn
    "p_backchannel": 0.4,  # per turn, a short piece by another speaker inside it
    "backchannel_s": [0.3, 1.0],
    "turn_median_s": 3.5,  # lognormal turn-length target, clipped
    "turn_sigma": 0.6,
    "turn_s": [1.0, 12.0],
    "overlap_ratio": [0.10, 0.20],  # overlapped speech / total speech, rejection range
    "level_db": [-6.0, 6.0],  # per-speaker gain after normalising to a common level
    "speech_rms_dbfs": -26.0,
    "p_noise": 0.5,
    "snr_db": [15.0, 30.0],
}

# Profile tel8k: one long 4-speaker telephone-band conversation with short turns.
TEL8K_PARAMS = {
    "n_conversations": 1,
    "speakers": list(HELD_OUT_DEV_CLEAN),  # all four, in one conversation
    "duration_s": [1200.0, 1200.0],
    "lead_in_s": [0.3, 1.0],
    "pause_s": [0.1, 0.8],
    "p_overlap_start": 0.3,
    "overlap_s": [0.1, 0.6],  # capped at half of the shorter turn
    "p_backchannel": 0.35,
    "backchannel_s": [0.3, 0.8],
    "turn_median_s": 1.5,
    "turn_sigma": 0.5,
    "turn_s": [0.5, 5.0],
    "cut_turns": True,  # cut a turn that would run past 1.25 x its target inside the utterance
    "overlap_ratio": [0.05, 0.15],
    "level_db": [-5.0, 5.0],
    "talkativeness": [0.85, 1.15],
    "speech_rms_dbfs": -26.0,
    "p_noise": 0.0,  # no noise/ recordings; white line noise instead:
    "line_noise_snr_db": [35.0, 45.0],
    "cutoff_hz": [300.0, 3400.0],  # -6 dB (half amplitude) points of the band-pass
    "transition_hz": 100.0,  # flat 350-3350 Hz, stopbands below 250 Hz and above 3450 Hz
    "stopband_db": 60.0,
    "sample_rate": 8000,
}
PROFILES = {"default": PARAMS, "tel8k": TEL8K_PARAMS}
# Turns of profiles with "cut_turns" are cut when they would run past this much of the target.
CUT_OVER = 1.25

FRAME = 160  # 10 ms energy frames
MARGIN_FRAMES = 4  # 40 ms kept around detected speech (soft consonants, decays)
MIN_SPEECH_FRAMES = 3  # a run shorter than this (30 ms) is not speech (clicks)
CHUNK_PAUSE_S = 0.15  # pauses that may separate turns
SPLIT_PAUSE_S = 0.5  # pauses inside a turn that are left out of the truth
FADE_S = 0.005


@dataclass
class Utterance:
    path: Path
    audio: np.ndarray  # float32, normalised to speech_rms_dbfs
    chunks: list[tuple[int, int]]  # speech regions (samples) separated by >= CHUNK_PAUSE_S
    flag: np.ndarray | None = None  # speech flag per 10 ms frame (speech_frames)


@dataclass
class Piece:
    speaker: str
    start: int  # position in the conversation (samples)
    audio: np.ndarray
    segments: list[tuple[int, int]]  # truth, relative to the piece start
    kind: str = "turn"


@dataclass
class Conversation:
    name: str
    speakers: list[str]
    gains_db: dict[str, float]
    pieces: list[Piece] = field(default_factory=list)
    length: int = 0


def frame_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    if n == 0:
        return np.full(1, -120.0)
    e = np.mean(x[: n * FRAME].reshape(n, FRAME).astype(np.float64) ** 2, axis=1)
    return 10.0 * np.log10(e + 1e-12)


def speech_frames(x: np.ndarray) -> np.ndarray:
    """Boolean speech flag per 10 ms frame from a per-utterance energy threshold."""
    db = frame_db(x)
    live = db[db > -100.0]  # ignore digital silence (MP3 decoder padding)
    if len(live) == 0:
        return np.zeros(len(db), bool)
    hi = np.percentile(live, 95)
    floor = np.percentile(live, 10)
    thr = max(hi - 30.0, floor + 8.0)
    flag = db > thr
    # drop runs shorter than MIN_SPEECH_FRAMES
    out = np.zeros_like(flag)
    i = 0
    n = len(flag)
    while i < n:
        if flag[i]:
            j = i
            while j < n and flag[j]:
                j += 1
            if j - i >= MIN_SPEECH_FRAMES:
                out[i:j] = True
            i = j
        else:
            i += 1
    # widen by the margin
    if out.any():
        idx = np.flatnonzero(out)
        wide = np.zeros_like(out)
        for k in range(-MARGIN_FRAMES, MARGIN_FRAMES + 1):
            j = np.clip(idx + k, 0, n - 1)
            wide[j] = True
        out = wide
    return out


def regions(flag: np.ndarray, min_gap_frames: int, n_samples: int) -> list[tuple[int, int]]:
    """Speech regions in samples, merging gaps shorter than min_gap_frames."""
    runs: list[list[int]] = []
    i = 0
    n = len(flag)
    while i < n:
        if flag[i]:
            j = i
            while j < n and flag[j]:
                j += 1
            if runs and i - runs[-1][1] < min_gap_frames:
                runs[-1][1] = j
            else:
                runs.append([i, j])
            i = j
        else:
            i += 1
    return [(a * FRAME, min(b * FRAME, n_samples)) for a, b in runs]


def load_utterance(path: Path, rms_dbfs: float = PARAMS["speech_rms_dbfs"]) -> Utterance | None:
    import soundfile as sf

    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    if sr != SR:
        raise SystemExit(f"{path}: sample rate {sr}, expected {SR}")
    return prepare_utterance(path, x.mean(axis=1).astype(np.float32), rms_dbfs)


def prepare_utterance(path: Path, x: np.ndarray, rms_dbfs: float = PARAMS["speech_rms_dbfs"]) -> Utterance | None:
    """An utterance from mono float32 samples at SR: speech regions, level normalised."""
    flag = speech_frames(x)
    if not flag.any():
        return None
    chunks = regions(flag, round(CHUNK_PAUSE_S * 100), len(x))
    active = np.concatenate([x[a:b] for a, b in chunks])
    rms_db = 10.0 * math.log10(float(np.mean(active.astype(np.float64) ** 2)) + 1e-12)
    x = x * np.float32(10.0 ** ((rms_dbfs - rms_db) / 20.0))
    return Utterance(path, x, chunks, flag)


def speaker_files(
    data: Path, test_other: tuple[str, ...] = TEST_OTHER_SPEAKERS, dev_clean: tuple[str, ...] = HELD_OUT_DEV_CLEAN
) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for spk in test_other:
        d = data / "librispeech" / "test-other-10" / spk
        out[spk] = sorted(d.glob("*.flac"))
    for spk in dev_clean:
        d = data / "librispeech" / "dev-clean-20" / "dev-clean" / spk
        out[spk] = sorted(d.glob("*/*.mp3"))
    for spk, files in out.items():
        if not files:
            raise SystemExit(f"no audio found for LibriSpeech speaker {spk} under {data}/librispeech")
    return out


class SpeakerSource:
    """Hands out turns and backchannels of one speaker, without repeats until exhausted."""

    def __init__(
        self,
        spk: str,
        files: list[Path],
        cache: dict[Path, Utterance | None],
        rng: np.random.Generator,
        params: dict = PARAMS,
    ):
        self.spk = spk
        self.files = files
        self.cache = cache
        self.rng = rng
        self.params = params
        # (file, first chunk index, first sample): a turn starts at the later of that chunk's
        # start and that sample (a turn cut inside a chunk resumes where it was cut)
        self.queue: list[tuple[Path, int, int]] = []
        self.passes = 0  # times the speaker's files were queued (more than 1: speech reused)

    def utt(self, path: Path) -> Utterance | None:
        if path not in self.cache:
            self.cache[path] = load_utterance(path, self.params["speech_rms_dbfs"])
        return self.cache[path]

    def _refill(self) -> None:
        order = self.rng.permutation(len(self.files))
        self.queue = [(self.files[int(i)], 0, 0) for i in order]
        self.passes += 1

    def turn(self, target_s: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
        for _ in range(10 * len(self.files) + 10):
            if not self.queue:
                self._refill()
            path, first, offset = self.queue.pop(0)
            u = self.utt(path)
            if u is None or first >= len(u.chunks):
                continue
            target = int(target_s * SR)
            a = max(u.chunks[first][0], offset)
            last = first
            while last + 1 < len(u.chunks) and u.chunks[last][1] - a < target:
                last += 1
            b = u.chunks[last][1]
            rest = (path, last + 1, 0) if last + 1 < len(u.chunks) else None
            cut = self._cut(u, a, b, target) if self.params.get("cut_turns") else None
            if cut is not None:
                b, resume = cut
                j = next(i for i in range(first, last + 1) if u.chunks[i][1] > resume)
                rest = (path, j, resume)
            if rest is not None:  # rest of the utterance stays available
                self.queue.insert(int(self.rng.integers(0, len(self.queue) + 1)), rest)
            cut_inside = cut is not None or a > u.chunks[first][0]
            piece = fade(u.audio[a:b].copy(), fade_s=0.02 if cut_inside else FADE_S)
            segs = [(max(s, a) - a, min(e, b) - a) for s, e in u.chunks[first : last + 1]]
            segs = merge_gaps([(s, e) for s, e in segs if e > s], int(SPLIT_PAUSE_S * SR))
            return piece, segs
        raise RuntimeError(f"speaker {self.spk}: no usable speech")

    def _cut(self, u: Utterance, a: int, b: int, target: int) -> tuple[int, int] | None:
        """Where to end a turn a..b that runs past CUT_OVER x target: (end, resume), or None.
        The cut goes to the non-speech frame nearest the target within 0.75-1.25 x target
        (a pause shorter than CHUNK_PAUSE_S inside a chunk, or a gap between chunks), else
        to the quietest frame there; the turn ends at the last speech frame before the cut
        and the rest of the utterance resumes at the first speech frame after it."""
        if u.flag is None or b - a <= CUT_OVER * target:
            return None
        min_turn = int(self.params["turn_s"][0] * SR)
        lo = (a + max(int(0.75 * target), min_turn)) // FRAME
        hi = min((a + int(CUT_OVER * target)) // FRAME, len(u.flag))
        if hi <= lo:
            return None
        window = np.arange(lo, hi)
        quiet = window[~u.flag[lo:hi]]
        centre = (a + target) / FRAME
        if len(quiet):
            f = int(quiet[np.argmin(np.abs(quiet - centre))])
        else:
            f = int(lo + np.argmin(frame_db(u.audio[lo * FRAME : hi * FRAME])))
        before = np.flatnonzero(u.flag[a // FRAME : f])
        after = np.flatnonzero(u.flag[f : b // FRAME])
        if len(before) == 0 or len(after) == 0:
            return None
        end = min((a // FRAME + int(before[-1]) + 1) * FRAME, b)
        resume = (f + int(after[0])) * FRAME
        if end - a < min_turn or b - resume < min_turn:
            return None
        return end, resume

    def backchannel(self, length_s: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """A short piece: a whole short chunk when one fits, else the start of a chunk."""
        lo, hi = self.params["backchannel_s"]
        for _ in range(50):
            path = self.files[int(self.rng.integers(0, len(self.files)))]
            u = self.utt(path)
            if u is None:
                continue
            short = [c for c in u.chunks if lo * SR <= c[1] - c[0] <= hi * SR]
            if short and self.rng.random() < 0.5:
                a, b = short[int(self.rng.integers(0, len(short)))]
            else:
                a, _ = u.chunks[int(self.rng.integers(0, len(u.chunks)))]
                b = min(a + int(length_s * SR), len(u.audio))
                # trim the cut end back to speech
                flag = speech_frames(u.audio[a:b])
                if not flag.any():
                    continue
                b = a + min(int(np.flatnonzero(flag)[-1] + 1) * FRAME, b - a)
            if b - a < lo * SR:
                continue
            piece = fade(u.audio[a:b].copy(), fade_s=0.02)
            return piece, [(0, b - a)]
        raise RuntimeError(f"speaker {self.spk}: no backchannel found")


def fade(x: np.ndarray, fade_s: float = FADE_S) -> np.ndarray:
    n = min(int(fade_s * SR), len(x) // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def merge_gaps(segs: list[tuple[int, int]], min_gap: int) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(segs):
        if out and s - out[-1][1] < min_gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def uniform(rng: np.random.Generator, lohi: list[float]) -> float:
    return float(rng.uniform(lohi[0], lohi[1]))


def truth_segments(conv: Conversation) -> dict[str, list[tuple[int, int]]]:
    per: dict[str, list[tuple[int, int]]] = {s: [] for s in conv.speakers}
    for p in conv.pieces:
        per[p.speaker].extend((p.start + a, p.start + b) for a, b in p.segments)
    return {s: merge_gaps(v, 1) for s, v in per.items()}


def overlap_stats(segs: dict[str, list[tuple[int, int]]], length: int) -> tuple[float, float]:
    """(speech seconds, overlapped seconds) from exact sample-level activity counts."""
    count = np.zeros(length + 1, np.int32)
    for v in segs.values():
        for a, b in v:
            count[a] += 1
            count[b] -= 1
    active = np.cumsum(count)[:length]
    return float(np.sum(active >= 1)) / SR, float(np.sum(active >= 2)) / SR


def plan_conversation(
    name: str,
    speakers: list[str],
    sources: dict[str, SpeakerSource],
    rng: np.random.Generator,
    params: dict = PARAMS,
) -> Conversation:
    gains = {s: round(uniform(rng, params["level_db"]), 2) for s in speakers}
    conv = Conversation(name, speakers, gains)
    target = int(uniform(rng, params["duration_s"]) * SR)
    talk = {s: 0.0 for s in speakers}
    wlo, whi = params.get("talkativeness", (0.6, 1.4))
    weight = {s: float(rng.uniform(wlo, whi)) for s in speakers}  # talkativeness
    cursor = int(uniform(rng, params["lead_in_s"]) * SR)
    prev: Piece | None = None
    while True:
        cands = [s for s in speakers if prev is None or s != prev.speaker]
        w = np.array([weight[s] / (talk[s] + 5.0) for s in cands])
        spk = cands[int(rng.choice(len(cands), p=w / w.sum()))]
        t = math.exp(math.log(params["turn_median_s"]) + params["turn_sigma"] * rng.standard_normal())
        t = min(max(t, params["turn_s"][0]), params["turn_s"][1])
        audio, segs = sources[spk].turn(t)
        if prev is not None and rng.random() < params["p_overlap_start"]:
            cap = 0.5 * min(len(prev.audio), len(audio)) / SR
            ov = min(uniform(rng, params["overlap_s"]), cap)
            start = cursor - int(ov * SR)
        else:
            start = cursor + int(uniform(rng, params["pause_s"]) * SR)
        if start + len(audio) > target and prev is not None:
            break
        piece = Piece(spk, start, audio, segs)
        conv.pieces.append(piece)
        talk[spk] += len(audio) / SR
        cursor = max(cursor, start + len(audio))
        # backchannel by another speaker, inside this turn
        others = [s for s in speakers if s != spk]
        if rng.random() < params["p_backchannel"]:
            bl = uniform(rng, params["backchannel_s"])
            if len(audio) / SR > bl + 0.8:
                who = others[int(rng.integers(0, len(others)))]
                baudio, bsegs = sources[who].backchannel(bl)
                lo = start + int(0.3 * SR)
                hi = start + len(audio) - len(baudio) - int(0.3 * SR)
                if hi > lo:
                    bstart = int(rng.integers(lo, hi))
                    conv.pieces.append(Piece(who, bstart, baudio, bsegs, kind="backchannel"))
                    talk[who] += len(baudio) / SR
        prev = piece
    conv.length = cursor + int(uniform(rng, params["lead_in_s"]) * SR)
    return conv


def render(
    conv: Conversation, data: Path | None, rng: np.random.Generator, params: dict = PARAMS
) -> tuple[np.ndarray, dict]:
    mix = np.zeros(conv.length, np.float32)
    for p in conv.pieces:
        g = np.float32(10.0 ** (conv.gains_db[p.speaker] / 20.0))
        mix[p.start : p.start + len(p.audio)] += g * p.audio
    info: dict = {"noise": None}
    if rng.random() < params["p_noise"]:
        import soundfile as sf

        name = NOISE_FILES[int(rng.integers(0, len(NOISE_FILES)))]
        noise, sr = sf.read(str(data / "noise" / name), dtype="float32", always_2d=True)
        noise = noise.mean(axis=1)
        if sr != SR:
            raise SystemExit(f"noise {name}: sample rate {sr}, expected {SR}")
        reps = math.ceil((conv.length + len(noise)) / len(noise))
        noise = np.tile(noise, reps)
        off = int(rng.integers(0, len(noise) - conv.length))
        noise = noise[off : off + conv.length].astype(np.float64)
        snr = uniform(rng, params["snr_db"])
        segs = truth_segments(conv)
        active = np.zeros(conv.length, bool)
        for v in segs.values():
            for a, b in v:
                active[a:b] = True
        p_speech = float(np.mean(mix[active].astype(np.float64) ** 2))
        p_noise = float(np.mean(noise**2)) + 1e-20
        scale = math.sqrt(p_speech / (p_noise * 10.0 ** (snr / 10.0)))
        mix = mix + (scale * noise).astype(np.float32)
        info["noise"] = {"file": name, "snr_db": round(snr, 2), "offset_samples": off}
    peak = float(np.max(np.abs(mix)))
    if peak > 0.9:
        mix *= np.float32(0.9 / peak)
    return mix, info


def kaiser_bandpass(fs: float, cutoff_hz: list[float], transition_hz: float, stopband_db: float) -> np.ndarray:
    """Linear-phase FIR band-pass by the Kaiser window method (numpy only): half amplitude
    (-6 dB) at cutoff_hz[0] and cutoff_hz[1], flat (ripple of the stopband's size) from
    cutoff_hz[0] + transition_hz / 2 to cutoff_hz[1] - transition_hz / 2, and at least
    stopband_db down below cutoff_hz[0] - transition_hz / 2 and above cutoff_hz[1] +
    transition_hz / 2. Odd length, unit gain in the band."""
    a_db = stopband_db
    beta = 0.1102 * (a_db - 8.7) if a_db > 50 else 0.5842 * (a_db - 21) ** 0.4 + 0.07886 * (a_db - 21)
    n = math.ceil((a_db - 7.95) / (2.285 * 2.0 * math.pi * transition_hz / fs)) + 1
    n += 1 - n % 2  # odd: a whole-sample delay, so the output lines up with the input
    f1, f2 = cutoff_hz[0] / fs, cutoff_hz[1] / fs  # cycles per sample
    m = np.arange(n) - (n - 1) / 2.0
    h = 2.0 * f2 * np.sinc(2.0 * f2 * m) - 2.0 * f1 * np.sinc(2.0 * f1 * m)
    h *= np.kaiser(n, beta)
    centre = math.sqrt(f1 * f2)
    return h / abs(np.sum(h * np.exp(-2j * math.pi * centre * np.arange(n))))


def fir_decimate(x: np.ndarray, h: np.ndarray, factor: int) -> np.ndarray:
    """x filtered by the odd-length linear-phase FIR h without its delay (sample i of the
    output is centred on sample i of x), keeping every factor-th sample: polyphase
    decimation, computed as FFT overlap-add in float64 blocks."""
    n, taps = len(x), len(h)
    block = 1 << 16
    nfft = 1 << math.ceil(math.log2(block + taps - 1))
    hf = np.fft.rfft(h, nfft)
    full = np.zeros(n + taps - 1 + block, np.float64)
    for i in range(0, n, block):
        seg = x[i : i + block].astype(np.float64)
        y = np.fft.irfft(np.fft.rfft(seg, nfft) * hf, nfft)[: len(seg) + taps - 1]
        full[i : i + len(y)] += y
    delay = (taps - 1) // 2
    return full[delay : delay + n : factor]


def telephone_channel(x: np.ndarray, params: dict, fs: int = SR) -> tuple[np.ndarray, dict]:
    """The telephone band: the FIR band-pass of kaiser_bandpass at fs, which is also the
    anti-aliasing filter (its upper stopband edge lies below the output's Nyquist
    frequency), then decimation to params["sample_rate"]. Returns the samples and a
    description for the manifest."""
    out_sr = params["sample_rate"]
    if fs % out_sr:
        raise ValueError(f"{fs} Hz is not a multiple of {out_sr} Hz")
    lo, hi = params["cutoff_hz"]
    half = params["transition_hz"] / 2.0
    if hi + half > out_sr / 2:
        raise ValueError("the band-pass does not stop below the output Nyquist frequency")
    h = kaiser_bandpass(fs, [lo, hi], params["transition_hz"], params["stopband_db"])
    y = fir_decimate(x, h, fs // out_sr)
    info = {
        "filter": "linear-phase FIR band-pass, Kaiser window method, zero delay",
        "taps": len(h),
        "cutoff_hz": [lo, hi],
        "passband_hz": [lo + half, hi - half],
        "stopband_hz": [lo - half, hi + half],
        "stopband_db": params["stopband_db"],
        "resampling": f"{fs} -> {out_sr} Hz, polyphase decimation by {fs // out_sr} with the band-pass as "
        "anti-aliasing filter",
    }
    return y.astype(np.float32), info


def add_line_noise(mix: np.ndarray, conv: Conversation, rng: np.random.Generator, snr_db: float) -> np.ndarray:
    """White noise at snr_db below the mean power of the mix where anyone speaks."""
    active = np.zeros(conv.length, bool)
    for v in truth_segments(conv).values():
        for a, b in v:
            active[a:b] = True
    p_speech = float(np.mean(mix[active].astype(np.float64) ** 2))
    noise = rng.standard_normal(conv.length) * math.sqrt(p_speech / 10.0 ** (snr_db / 10.0))
    return (mix + noise).astype(np.float32)


def write_pcm16(path: Path, pcm: np.ndarray, sr: int) -> None:
    """Mono 16-bit PCM WAV with the standard library (no soundfile needed)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.astype("<i2").tobytes())


def fingerprint(seed: int, profile: str = "default", params: dict | None = None) -> str:
    h = hashlib.sha256()
    if profile == "default":
        h.update(json.dumps({"v": GENERATOR_VERSION, "seed": seed, "params": PARAMS}, sort_keys=True).encode())
    else:
        key = {"v": GENERATOR_VERSION, "seed": seed, "profile": profile, "params": params or PROFILES[profile]}
        h.update(json.dumps(key, sort_keys=True).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def conversation_plans(
    profile: str, params: dict, seed: int, files: dict[str, list[Path]]
) -> list[tuple[str, list[str], np.random.Generator]]:
    """(name, speakers, rng) of each conversation of the profile."""
    if profile == "default":
        pool = sorted(files, key=int)
        rng = np.random.default_rng(seed)
        counts = [int(k) for k, n in sorted(params["speaker_counts"].items()) for _ in range(n)]
        assert len(counts) == params["n_conversations"]
        counts = [counts[int(i)] for i in rng.permutation(len(counts))]
        plans = []
        for idx, k in enumerate(counts):
            crng = np.random.default_rng([seed, idx])
            speakers = [pool[int(i)] for i in crng.choice(len(pool), size=k, replace=False)]
            plans.append((f"sim{idx:02d}_{k}spk", speakers, crng))
        return plans
    assert params["n_conversations"] == 1
    speakers = list(params["speakers"])
    return [(f"{profile}_{len(speakers)}spk", speakers, np.random.default_rng([seed, 0]))]


def turn_stats(conv: Conversation, segs: dict[str, list[tuple[int, int]]], sources: dict[str, SpeakerSource]) -> dict:
    """Per-speaker speech and turn statistics (manifests of profiles other than the default)."""
    turns = [len(p.audio) / SR for p in conv.pieces if p.kind == "turn"]
    speech = {f"ls{s}": round(sum(b - a for a, b in v) / SR, 3) for s, v in segs.items()}
    total = sum(speech.values())
    return {
        "speech_per_speaker_s": speech,
        "speech_share": {k: round(v / total, 4) for k, v in speech.items()},
        "turn_median_s": round(float(np.median(turns)), 3),
        "turn_p10_p90_s": [round(float(v), 3) for v in np.percentile(turns, [10, 90])],
        "file_passes": {f"ls{s}": src.passes for s, src in sources.items()},  # > 1: speech reused
    }


def generate(
    out: Path,
    data: Path | None,
    seed: int,
    profile: str = "default",
    files: dict[str, list[Path]] | None = None,
    cache: dict[Path, Utterance | None] | None = None,
    params: dict | None = None,
) -> dict:
    """Writes the set of `profile` into `out` (emptied first) and returns its manifest.
    `files` (speaker -> audio files) defaults to the LibriSpeech speakers of `data`;
    `cache` may hold ready utterances (prepare_utterance) by path; `params` replaces the
    profile's parameters (tests: a shorter conversation)."""
    params = params or PROFILES[profile]
    default = profile == "default"
    if files is None:
        if data is None:
            raise ValueError("generate needs data or files")
        files = speaker_files(data) if default else speaker_files(data, (), tuple(params["speakers"]))
    out_sr = SR if default else params["sample_rate"]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cache = {} if cache is None else cache
    convs = []
    uem_lines = []
    channel: dict | None = None
    for name, speakers, crng in conversation_plans(profile, params, seed, files):
        k = len(speakers)
        for attempt in range(50):
            sources = {s: SpeakerSource(s, files[s], cache, crng, params) for s in speakers}
            conv = plan_conversation(name, speakers, sources, crng, params)
            segs = truth_segments(conv)
            speech, ovl = overlap_stats(segs, conv.length)
            lo, hi = params["overlap_ratio"]
            if lo <= ovl / speech <= hi:
                break
        else:
            raise RuntimeError(f"{name}: could not reach the overlap range in 50 draws")
        if not default:
            conv.length += (-conv.length) % (SR // out_sr)  # a whole number of output samples
        mix, info = render(conv, data, crng, params)
        if not default:
            snr = round(uniform(crng, params["line_noise_snr_db"]), 2)
            mix = add_line_noise(mix, conv, crng, snr)
            info["line_noise"] = {"kind": "white", "snr_db": snr}
            mix, channel = telephone_channel(mix, params)
            peak = float(np.max(np.abs(mix)))
            if peak > 0.9:
                mix *= np.float32(0.9 / peak)
        pcm = np.clip(np.round(mix * 32767.0), -32768, 32767).astype(np.int16)
        if default:
            import soundfile as sf

            sf.write(str(out / f"{name}.wav"), pcm, SR, subtype="PCM_16")
        else:
            write_pcm16(out / f"{name}.wav", pcm, out_sr)
        lines = []
        for spk in speakers:
            for a, b in segs[spk]:
                lines.append((a, b, spk))
        lines.sort()
        with open(out / f"{name}.rttm", "w", encoding="utf-8") as f:
            for a, b, spk in lines:
                f.write(f"SPEAKER {name} 1 {a / SR:.4f} {(b - a) / SR:.4f} <NA> <NA> ls{spk} <NA> <NA>\n")
        uem_lines.append(f"{name} 1 0.000 {conv.length / SR:.4f}")
        n_bc = sum(p.kind == "backchannel" for p in conv.pieces)
        n_turns = len(conv.pieces) - n_bc
        rec = {
            "name": name,
            "n_speakers": k,
            "speakers": [f"ls{s}" for s in speakers],
            "gains_db": {f"ls{s}": g for s, g in conv.gains_db.items()},
            "duration_s": round(conv.length / SR, 3),
            "speech_s": round(speech, 3),
            "overlap_s": round(ovl, 3),
            "overlap_ratio": round(ovl / speech, 4),
            "turns": n_turns,
            "backchannels": n_bc,
            "attempts": attempt + 1,
            **info,
        }
        if not default:
            rec.update(turn_stats(conv, segs, sources))
        convs.append(rec)
        noise = f"{info['noise']['file']} @ {info['noise']['snr_db']} dB" if info["noise"] else "-"
        if "line_noise" in info:
            noise = f"white line noise @ {info['line_noise']['snr_db']} dB"
        print(
            f"{name}: {rec['duration_s']:6.1f} s, speech {speech:6.1f} s, overlap {100 * ovl / speech:4.1f} %, "
            f"{n_turns} turns, {n_bc} backchannels, noise {noise}",
            flush=True,
        )
        if not default:
            shares = ", ".join(f"{s} {v:.1f} s" for s, v in rec["speech_per_speaker_s"].items())
            print(f"  {out_sr} Hz; median turn {rec['turn_median_s']:.2f} s; speech per speaker: {shares}")
    (out / "all.uem").write_text("\n".join(uem_lines) + "\n", encoding="utf-8")
    used = sorted({s for c in convs for s in c["speakers"]}, key=lambda s: int(s[2:]))
    (out / "speakers.txt").write_text(
        "# LibriSpeech speakers used by the simulated evaluation set; exclude them from training.\n"
        "# test-other-10 (all): " + " ".join(TEST_OTHER_SPEAKERS) + "\n"
        "# dev-clean-20 held out: " + " ".join(HELD_OUT_DEV_CLEAN) + "\n" + "\n".join(used) + "\n",
        encoding="utf-8",
    )
    total = sum(c["duration_s"] for c in convs)
    manifest = {"generator_version": GENERATOR_VERSION}
    if not default:
        manifest["profile"] = profile
    manifest.update({"seed": seed, "fingerprint": fingerprint(seed, profile, params), "params": params})
    if not default:
        manifest.update({"sample_rate": out_sr, "channel": channel})
    manifest.update({
        "split_pause_s": SPLIT_PAUSE_S,
        "test_other_speakers": list(TEST_OTHER_SPEAKERS),
        "held_out_dev_clean": list(HELD_OUT_DEV_CLEAN),
        "total_duration_s": round(total, 3),
        "conversations": convs,
    })
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="shared data folder (holds librispeech/, noise/)")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="default",
                    help="default: 16 conversations of 2-4 speakers, 16 kHz; tel8k: one 4-speaker telephone stream")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = ap.parse_args(argv)

    fp = fingerprint(args.seed, args.profile)
    manifest_path = args.out / "manifest.json"
    if manifest_path.exists() and not args.force:
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("fingerprint") == fp and all(
            (args.out / f"{c['name']}.wav").exists() and (args.out / f"{c['name']}.rttm").exists()
            for c in old.get("conversations", [])
        ):
            print(f"simulated set up to date in {args.out} (fingerprint {fp})")
            return 0

    t0 = time.time()
    manifest = generate(args.out, args.data, args.seed, args.profile)
    convs = manifest["conversations"]
    total = manifest["total_duration_s"]
    mean_ov = sum(c["overlap_s"] for c in convs) / sum(c["speech_s"] for c in convs)
    print(
        f"wrote {len(convs)} conversations, {total / 60:.1f} min, pooled overlap {100 * mean_ov:.1f} %, "
        f"in {time.time() - t0:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
