#!/usr/bin/env python3
"""Simulated multi-speaker conversations with exact truth, from LibriSpeech.

    python scripts/eval/simulate.py --data ../shared/data --out .voiceflow/eval/sim

Writes, into --out:
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

The output is reproducible from --seed. If --out already holds a set made with the
same generator version, seed, parameters and script source, nothing is done.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

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


def load_utterance(path: Path) -> Utterance | None:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    if sr != SR:
        raise SystemExit(f"{path}: sample rate {sr}, expected {SR}")
    x = x.mean(axis=1).astype(np.float32)
    flag = speech_frames(x)
    if not flag.any():
        return None
    chunks = regions(flag, round(CHUNK_PAUSE_S * 100), len(x))
    active = np.concatenate([x[a:b] for a, b in chunks])
    rms_db = 10.0 * math.log10(float(np.mean(active.astype(np.float64) ** 2)) + 1e-12)
    x = x * np.float32(10.0 ** ((PARAMS["speech_rms_dbfs"] - rms_db) / 20.0))
    return Utterance(path, x, chunks)


def speaker_files(data: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for spk in TEST_OTHER_SPEAKERS:
        d = data / "librispeech" / "test-other-10" / spk
        out[spk] = sorted(d.glob("*.flac"))
    for spk in HELD_OUT_DEV_CLEAN:
        d = data / "librispeech" / "dev-clean-20" / "dev-clean" / spk
        out[spk] = sorted(d.glob("*/*.mp3"))
    for spk, files in out.items():
        if not files:
            raise SystemExit(f"no audio found for LibriSpeech speaker {spk} under {data}/librispeech")
    return out


class SpeakerSource:
    """Hands out turns and backchannels of one speaker, without repeats until exhausted."""

    def __init__(self, spk: str, files: list[Path], cache: dict[Path, Utterance | None], rng: np.random.Generator):
        self.spk = spk
        self.files = files
        self.cache = cache
        self.rng = rng
        self.queue: list[tuple[Path, int]] = []  # (file, first chunk index)

    def utt(self, path: Path) -> Utterance | None:
        if path not in self.cache:
            self.cache[path] = load_utterance(path)
        return self.cache[path]

    def _refill(self) -> None:
        order = self.rng.permutation(len(self.files))
        self.queue = [(self.files[int(i)], 0) for i in order]

    def turn(self, target_s: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
        for _ in range(10 * len(self.files) + 10):
            if not self.queue:
                self._refill()
            path, first = self.queue.pop(0)
            u = self.utt(path)
            if u is None or first >= len(u.chunks):
                continue
            target = int(target_s * SR)
            a = u.chunks[first][0]
            last = first
            while last + 1 < len(u.chunks) and u.chunks[last][1] - a < target:
                last += 1
            b = u.chunks[last][1]
            if last + 1 < len(u.chunks):  # rest of the utterance stays available
                self.queue.insert(int(self.rng.integers(0, len(self.queue) + 1)), (path, last + 1))
            piece = fade(u.audio[a:b].copy())
            segs = merge_gaps([(s - a, e - a) for s, e in u.chunks[first : last + 1]], int(SPLIT_PAUSE_S * SR))
            return piece, segs
        raise RuntimeError(f"speaker {self.spk}: no usable speech")

    def backchannel(self, length_s: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """A short piece: a whole short chunk when one fits, else the start of a chunk."""
        lo, hi = PARAMS["backchannel_s"]
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
    name: str, speakers: list[str], sources: dict[str, SpeakerSource], rng: np.random.Generator
) -> Conversation:
    gains = {s: round(uniform(rng, PARAMS["level_db"]), 2) for s in speakers}
    conv = Conversation(name, speakers, gains)
    target = int(uniform(rng, PARAMS["duration_s"]) * SR)
    talk = {s: 0.0 for s in speakers}
    weight = {s: float(rng.uniform(0.6, 1.4)) for s in speakers}  # talkativeness
    cursor = int(uniform(rng, PARAMS["lead_in_s"]) * SR)
    prev: Piece | None = None
    while True:
        cands = [s for s in speakers if prev is None or s != prev.speaker]
        w = np.array([weight[s] / (talk[s] + 5.0) for s in cands])
        spk = cands[int(rng.choice(len(cands), p=w / w.sum()))]
        t = math.exp(math.log(PARAMS["turn_median_s"]) + PARAMS["turn_sigma"] * rng.standard_normal())
        t = min(max(t, PARAMS["turn_s"][0]), PARAMS["turn_s"][1])
        audio, segs = sources[spk].turn(t)
        if prev is not None and rng.random() < PARAMS["p_overlap_start"]:
            cap = 0.5 * min(len(prev.audio), len(audio)) / SR
            ov = min(uniform(rng, PARAMS["overlap_s"]), cap)
            start = cursor - int(ov * SR)
        else:
            start = cursor + int(uniform(rng, PARAMS["pause_s"]) * SR)
        if start + len(audio) > target and prev is not None:
            break
        piece = Piece(spk, start, audio, segs)
        conv.pieces.append(piece)
        talk[spk] += len(audio) / SR
        cursor = max(cursor, start + len(audio))
        # backchannel by another speaker, inside this turn
        others = [s for s in speakers if s != spk]
        if rng.random() < PARAMS["p_backchannel"]:
            bl = uniform(rng, PARAMS["backchannel_s"])
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
    conv.length = cursor + int(uniform(rng, PARAMS["lead_in_s"]) * SR)
    return conv


def render(conv: Conversation, data: Path, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    mix = np.zeros(conv.length, np.float32)
    for p in conv.pieces:
        g = np.float32(10.0 ** (conv.gains_db[p.speaker] / 20.0))
        mix[p.start : p.start + len(p.audio)] += g * p.audio
    info: dict = {"noise": None}
    if rng.random() < PARAMS["p_noise"]:
        name = NOISE_FILES[int(rng.integers(0, len(NOISE_FILES)))]
        noise, sr = sf.read(str(data / "noise" / name), dtype="float32", always_2d=True)
        noise = noise.mean(axis=1)
        if sr != SR:
            raise SystemExit(f"noise {name}: sample rate {sr}, expected {SR}")
        reps = math.ceil((conv.length + len(noise)) / len(noise))
        noise = np.tile(noise, reps)
        off = int(rng.integers(0, len(noise) - conv.length))
        noise = noise[off : off + conv.length].astype(np.float64)
        snr = uniform(rng, PARAMS["snr_db"])
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


def fingerprint(seed: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"v": GENERATOR_VERSION, "seed": seed, "params": PARAMS}, sort_keys=True).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="shared data folder (holds librispeech/, noise/)")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = ap.parse_args()

    fp = fingerprint(args.seed)
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
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    files = speaker_files(args.data)
    pool = sorted(files, key=int)
    rng = np.random.default_rng(args.seed)
    counts = [int(k) for k, n in sorted(PARAMS["speaker_counts"].items()) for _ in range(n)]
    assert len(counts) == PARAMS["n_conversations"]
    counts = [counts[int(i)] for i in rng.permutation(len(counts))]
    cache: dict[Path, Utterance | None] = {}
    convs = []
    uem_lines = []
    for idx, k in enumerate(counts):
        name = f"sim{idx:02d}_{k}spk"
        crng = np.random.default_rng([args.seed, idx])
        speakers = [pool[int(i)] for i in crng.choice(len(pool), size=k, replace=False)]
        for attempt in range(50):
            sources = {s: SpeakerSource(s, files[s], cache, crng) for s in speakers}
            conv = plan_conversation(name, speakers, sources, crng)
            segs = truth_segments(conv)
            speech, ovl = overlap_stats(segs, conv.length)
            lo, hi = PARAMS["overlap_ratio"]
            if lo <= ovl / speech <= hi:
                break
        else:
            raise RuntimeError(f"{name}: could not reach the overlap range in 50 draws")
        mix, info = render(conv, args.data, crng)
        pcm = np.clip(np.round(mix * 32767.0), -32768, 32767).astype(np.int16)
        sf.write(str(args.out / f"{name}.wav"), pcm, SR, subtype="PCM_16")
        lines = []
        for spk in speakers:
            for a, b in segs[spk]:
                lines.append((a, b, spk))
        lines.sort()
        with open(args.out / f"{name}.rttm", "w", encoding="utf-8") as f:
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
        convs.append(rec)
        noise = f"{info['noise']['file']} @ {info['noise']['snr_db']} dB" if info["noise"] else "-"
        print(
            f"{name}: {rec['duration_s']:6.1f} s, speech {speech:6.1f} s, overlap {100 * ovl / speech:4.1f} %, "
            f"{n_turns} turns, {n_bc} backchannels, noise {noise}",
            flush=True,
        )
    (args.out / "all.uem").write_text("\n".join(uem_lines) + "\n", encoding="utf-8")
    used = sorted({s for c in convs for s in c["speakers"]}, key=lambda s: int(s[2:]))
    (args.out / "speakers.txt").write_text(
        "# LibriSpeech speakers used by the simulated evaluation set; exclude them from training.\n"
        "# test-other-10 (all): " + " ".join(TEST_OTHER_SPEAKERS) + "\n"
        "# dev-clean-20 held out: " + " ".join(HELD_OUT_DEV_CLEAN) + "\n" + "\n".join(used) + "\n",
        encoding="utf-8",
    )
    total = sum(c["duration_s"] for c in convs)
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": args.seed,
        "fingerprint": fp,
        "params": PARAMS,
        "split_pause_s": SPLIT_PAUSE_S,
        "test_other_speakers": list(TEST_OTHER_SPEAKERS),
        "held_out_dev_clean": list(HELD_OUT_DEV_CLEAN),
        "total_duration_s": round(total, 3),
        "conversations": convs,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    mean_ov = sum(c["overlap_s"] for c in convs) / sum(c["speech_s"] for c in convs)
    print(
        f"wrote {len(convs)} conversations, {total / 60:.1f} min, pooled overlap {100 * mean_ov:.1f} %, "
        f"in {time.time() - t0:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
