"""Speech pool and simulated conversations with exact frame truth.

Speaker-disjoint split (LibriSpeech speaker ids):
  * EVAL (never used here): all 10 speakers of librispeech/test-other-10 and dev-clean-20
    speakers 84, 1462, 174, 2428 -- the engine's evaluation set (scripts/eval/simulate.py).
  * VALIDATION: dev-clean-20 speakers 1673 (F) and 2086 (M), plus every 10th speaker of
    train-clean-100-251 (sorted by id).
  * TRAIN: the other 14 dev-clean-20 speakers and the other train-clean-100-251 speakers.

Every truth time is a decoded sample count: the dev-clean MP3s decode with ~69 ms of
leading decoder padding, which is simply part of the decoded audio and marked as
non-speech by the energy detector, so no offset needs to be assumed anywhere.

`simulate_window` draws one 5 s window of a conversation with 0-3 speakers: turn-taking
with pauses, overlapping turn starts and short backchannels inside another speaker's turn
(10-20 % of the speech overlapped on average, see `overlap_statistics`), per-speaker level
differences, synthetic room reverberation (exponentially decaying noise, RT60 0.15-0.8 s)
and background noise from `noise/` at a random SNR. It is a pure function of its
`numpy.random.Generator`, so a seed reproduces the data exactly.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from models.common import SAMPLE_RATE, SPEAKERS, WINDOW_SAMPLES

EVAL_TEST_OTHER = ("1688", "1998", "2033", "2414", "2609", "3005", "3080", "3331", "367", "533")
EVAL_DEV_CLEAN = ("84", "1462", "174", "2428")
VAL_DEV_CLEAN = ("1673", "2086")
TRAIN_CLEAN_VAL_EVERY = 10  # every 10th train-clean-100-251 speaker is validation
NOISE_FILES = ("doing_the_dishes.wav", "dude_miaowing.wav", "exercise_bike.wav", "pink_noise.wav",
               "running_tap.wav", "white_noise.wav")
POOL_VERSION = 1
SPEECH_RMS_DBFS = -26.0
FRAME = 160  # 10 ms energy frames
FILL_GAP_FRAMES = 40  # pauses shorter than 0.4 s inside speech count as speech in the truth

SIM = {
    "speaker_count_p": (0.08, 0.24, 0.42, 0.26),  # 0, 1, 2, 3 speakers per window
    "lead_s": (-3.0, 1.0),  # first turn start relative to the window start
    "turn_median_s": 2.5,
    "turn_sigma": 0.7,
    "turn_s": (0.4, 8.0),
    "pause_s": (0.05, 1.2),
    "p_long_pause": 0.2,  # sparse speech: meetings have long silences between turns
    "long_pause_s": (1.5, 4.0),
    "p_overlap_start": 0.35,
    "overlap_s": (0.1, 1.5),  # capped at half the turn
    "p_backchannel": 0.35,
    "backchannel_s": (0.2, 1.0),
    "level_db": (-6.0, 6.0),
    "p_reverb": 0.5,
    "rt60_s": (0.15, 0.8),
    "p_noise": 0.7,
    "snr_db": (5.0, 30.0),
    "gain_dbfs": (-55.0, -18.0),  # overall level of the mixture's speech (AMI headset mixes: -50...-33)
}


# ---------------------------------------------------------------------------------------
# speech pool
# ---------------------------------------------------------------------------------------
def speech_mask(x: np.ndarray) -> np.ndarray:
    """Sample-level speech flag from a per-utterance energy threshold on 10 ms frames,
    40 ms margins, runs under 30 ms dropped, pauses under 0.4 s filled."""
    n = len(x) // FRAME
    if n == 0:
        return np.zeros(len(x), bool)
    e = np.mean(x[: n * FRAME].reshape(n, FRAME).astype(np.float64) ** 2, axis=1)
    db = 10.0 * np.log10(e + 1e-12)
    live = db[db > -100.0]  # ignore digital silence (decoder padding)
    if len(live) == 0:
        return np.zeros(len(x), bool)
    thr = max(np.percentile(live, 95) - 30.0, np.percentile(live, 10) + 8.0)
    flag = db > thr
    flag = _runs_filter(flag, value=True, min_len=3)  # drop clicks
    flag = np.convolve(flag.astype(np.int32), np.ones(9, np.int32), mode="same") > 0  # +-40 ms
    flag = ~_runs_filter(~flag, value=True, min_len=FILL_GAP_FRAMES, keep_edges=True)  # fill short gaps
    out = np.zeros(len(x), bool)
    out[: n * FRAME] = np.repeat(flag, FRAME)
    return out


def _runs_filter(flag: np.ndarray, value: bool, min_len: int, keep_edges: bool = False) -> np.ndarray:
    """Clears runs of `value` shorter than min_len (edge runs kept when keep_edges)."""
    out = flag.copy()
    n = len(flag)
    i = 0
    while i < n:
        if flag[i] == value:
            j = i
            while j < n and flag[j] == value:
                j += 1
            edge = i == 0 or j == n
            if j - i < min_len and not (keep_edges and edge):
                out[i:j] = not value
            i = j
        else:
            i += 1
    return out


@dataclass
class Utterance:
    audio: np.ndarray  # float32, speech normalised to SPEECH_RMS_DBFS
    mask: np.ndarray  # bool per sample
    starts: np.ndarray  # sample indices where speech regions start


def _load(path: Path) -> Utterance | None:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    if sr != SAMPLE_RATE:
        raise SystemExit(f"{path}: sample rate {sr}, expected {SAMPLE_RATE}")
    x = x.mean(axis=1).astype(np.float32)
    mask = speech_mask(x)
    if mask.sum() < SAMPLE_RATE // 2:
        return None
    rms_db = 10.0 * np.log10(float(np.mean(x[mask].astype(np.float64) ** 2)) + 1e-12)
    x = (x * 10.0 ** ((SPEECH_RMS_DBFS - rms_db) / 20.0)).astype(np.float32)
    d = np.diff(mask.astype(np.int8), prepend=0)
    return Utterance(x, mask, np.flatnonzero(d == 1))


def speaker_split(data: Path) -> dict[str, dict[str, list[Path]]]:
    """{'train': {spk: files}, 'val': {spk: files}}, speaker-disjoint from the eval set."""
    lib = data / "librispeech"
    split: dict[str, dict[str, list[Path]]] = {"train": {}, "val": {}}
    for d in sorted((lib / "dev-clean-20" / "dev-clean").iterdir()):
        if not d.is_dir() or d.name in EVAL_DEV_CLEAN or d.name in EVAL_TEST_OTHER:
            continue
        part = "val" if d.name in VAL_DEV_CLEAN else "train"
        split[part]["dc" + d.name] = sorted(d.glob("*/*.mp3"))
    tc = sorted((lib / "train-clean-100-251").glob("*.flac"), key=lambda p: int(p.name.split("-")[0]))
    for i, p in enumerate(tc):
        spk = p.name.split("-")[0]
        if spk in EVAL_DEV_CLEAN or spk in EVAL_TEST_OTHER:
            continue
        part = "val" if i % TRAIN_CLEAN_VAL_EVERY == 0 else "train"
        split[part].setdefault("tc" + spk, []).append(p)
    return split


def cache_dir() -> Path:
    return Path(__file__).resolve().parent.parent / ".voiceflow" / "models-cache"


def load_pool(data: Path, part: str, verbose: bool = True) -> dict[str, list[Utterance]]:
    """Decoded, normalised speech of one split, cached under .voiceflow/models-cache."""
    files = speaker_split(data)[part]
    listing = sorted((k, [str(p) for p in v]) for k, v in files.items())
    key = hashlib.sha256(repr((POOL_VERSION, part, listing)).encode())
    path = cache_dir() / f"pool-{part}-{key.hexdigest()[:12]}.pkl"
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    if verbose:
        print(f"decoding the {part} speech pool ({sum(len(v) for v in files.values())} files) ...", flush=True)
    pool: dict[str, list[Utterance]] = {}
    for spk, paths in files.items():
        utts = [u for u in (_load(p) for p in paths) if u is not None]
        if utts:
            pool[spk] = utts
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(pool, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return pool


def load_noise(data: Path) -> list[np.ndarray]:
    out = []
    for name in NOISE_FILES:
        p = data / "noise" / name
        if p.exists():
            x, sr = sf.read(str(p), dtype="float32", always_2d=True)
            if sr == SAMPLE_RATE:
                out.append(x.mean(axis=1))
    return out


def synthetic_pool(speakers: int = 6, utterances: int = 3, seconds: float = 6.0,
                   seed: int = 0) -> dict[str, list[Utterance]]:
    """A tiny pool of synthetic "voices" (harmonic tones with a per-speaker pitch and a
    syllable-like envelope) for tests and smoke runs without the shared data."""
    rng = np.random.default_rng(seed)
    pool: dict[str, list[Utterance]] = {}
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    for s in range(speakers):
        f0 = 90.0 + 25.0 * s
        utts = []
        for _ in range(utterances):
            pitch = f0 * (1.0 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t))
            phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
            x = sum(np.sin(h * phase) / h for h in range(1, 8))
            env = (np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t) > -0.3).astype(np.float64)
            env[int(rng.uniform(0.3, 0.45) * n): int(rng.uniform(0.55, 0.7) * n)] = 0.0  # a pause
            x = (x * env + 1e-3 * rng.standard_normal(n)).astype(np.float32)  # with a noise floor
            mask = speech_mask(x)
            x *= np.float32(10.0 ** (SPEECH_RMS_DBFS / 20.0) / (np.sqrt(np.mean(x[mask] ** 2)) + 1e-9))
            d = np.diff(mask.astype(np.int8), prepend=0)
            utts.append(Utterance(x, mask, np.flatnonzero(d == 1)))
        pool[f"syn{s}"] = utts
    return pool


# ---------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------
def _u(rng: np.random.Generator, lohi: tuple[float, float]) -> float:
    return float(rng.uniform(lohi[0], lohi[1]))


def _take(rng: np.random.Generator, utts: list[Utterance], length: int) -> tuple[np.ndarray, np.ndarray]:
    """A piece of about `length` samples that starts at a speech onset; its end is moved
    back to the end of speech when that is possible."""
    u = utts[int(rng.integers(0, len(utts)))]
    a = int(u.starts[int(rng.integers(0, len(u.starts)))])
    b = min(a + length, len(u.audio))
    m = u.mask[a:b]
    last = np.flatnonzero(m)
    if len(last):
        b = a + int(last[-1]) + 1 + min(int(rng.integers(0, 400)), len(u.audio) - a - int(last[-1]) - 1)
    audio = u.audio[a:b].copy()
    mask = u.mask[a:b].copy()
    fade = min(80, len(audio) // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        audio[:fade] *= ramp
        audio[-fade:] *= ramp[::-1]
    return audio, mask


def _place(track: np.ndarray, act: np.ndarray, start: int, audio: np.ndarray, mask: np.ndarray) -> None:
    n = len(track)
    a, b = max(start, 0), min(start + len(audio), n)
    if b <= a:
        return
    track[a:b] += audio[a - start: b - start]
    act[a:b] |= mask[a - start: b - start]


def synthetic_rir(rng: np.random.Generator, rt60: float) -> np.ndarray:
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    delay = int(rng.integers(0, 80))  # early part: direct path then a short gap
    h[: delay + 20] = 0.0
    h *= 10.0 ** (-_u(rng, (0.0, 12.0)) / 20.0) / (np.sqrt(np.sum(h**2)) + 1e-9)  # direct-to-reverb ratio
    h[0] = 1.0
    return h.astype(np.float32)


def _convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]
    return y.astype(np.float32)


def simulate_window(rng: np.random.Generator, pool: dict[str, list[Utterance]], noise: list[np.ndarray],
                    samples: int = WINDOW_SAMPLES, sim: dict = SIM) -> tuple[np.ndarray, np.ndarray]:
    """One window: (waveform float32 [samples], activity bool [samples, SPEAKERS])."""
    speakers = list(pool)
    n = int(rng.choice(len(sim["speaker_count_p"]), p=sim["speaker_count_p"]))
    chosen = [speakers[int(i)] for i in rng.choice(len(speakers), size=n, replace=False)]
    tracks = np.zeros((SPEAKERS, samples), np.float32)
    act = np.zeros((SPEAKERS, samples), bool)
    sr = SAMPLE_RATE
    if n > 0:
        cursor = int(_u(rng, sim["lead_s"]) * sr)
        prev = -1
        while cursor < samples:
            cands = [k for k in range(n) if k != prev] or [0]
            k = cands[int(rng.integers(0, len(cands)))]
            length = int(np.clip(rng.lognormal(np.log(sim["turn_median_s"]), sim["turn_sigma"]), *sim["turn_s"]) * sr)
            audio, mask = _take(rng, pool[chosen[k]], length)
            _place(tracks[k], act[k], cursor, audio, mask)
            end = cursor + len(audio)
            if n >= 2 and rng.random() < sim["p_backchannel"] and len(audio) > sr:
                others = [j for j in range(n) if j != k]
                j = others[int(rng.integers(0, len(others)))]
                bl = int(_u(rng, sim["backchannel_s"]) * sr)
                b_audio, b_mask = _take(rng, pool[chosen[j]], bl)
                b_audio, b_mask = b_audio[:bl], b_mask[:bl]
                at = cursor + int(rng.integers(0, max(1, len(audio) - len(b_audio))))
                _place(tracks[j], act[j], at, b_audio, b_mask)
            if n >= 2 and rng.random() < sim["p_overlap_start"]:
                ov = min(int(_u(rng, sim["overlap_s"]) * sr), len(audio) // 2)
                cursor = end - ov
            else:
                pause = sim["long_pause_s"] if rng.random() < sim.get("p_long_pause", 0.0) else sim["pause_s"]
                cursor = end + int(_u(rng, pause) * sr)
            prev = k
    # levels and reverberation per speaker
    if n > 0:
        reverb = rng.random() < sim["p_reverb"]
        rt60 = _u(rng, sim["rt60_s"])
        for k in range(n):
            if reverb:
                tracks[k] = _convolve(tracks[k], synthetic_rir(rng, rt60))
            tracks[k] *= 10.0 ** (_u(rng, sim["level_db"]) / 20.0)
    mix = tracks.sum(axis=0)
    speech = act.any(axis=0)
    ref_power = float(np.mean(mix[speech] ** 2)) if speech.sum() > sr // 10 else 10.0 ** (SPEECH_RMS_DBFS / 10.0)
    if noise and (rng.random() < sim["p_noise"] or n == 0):
        src = noise[int(rng.integers(0, len(noise)))]
        a = int(rng.integers(0, max(1, len(src) - samples)))
        nz = np.resize(src[a: a + samples], samples).astype(np.float32)
        snr = _u(rng, sim["snr_db"])
        nz *= np.sqrt(ref_power / (np.mean(nz**2) + 1e-12) / 10.0 ** (snr / 10.0))
        mix = mix + nz
    gain = 10.0 ** (_u(rng, sim["gain_dbfs"]) / 20.0) / np.sqrt(ref_power + 1e-12)
    mix = np.clip(mix * gain, -1.0, 1.0).astype(np.float32)
    return mix, act.T.copy()


# Augmentation on top of the simulation, for distillation (models.train --gain-db/--telephone-share):
# level changes of x0.25-x4 and telephone-band copies, which the engine meets at 8 kHz.
TELEPHONE_HZ = (300.0, 3400.0)
TELEPHONE_EDGE_HZ = 200.0  # raised-cosine transition width at each band edge


def telephone_band(x: np.ndarray, band: tuple[float, float] = TELEPHONE_HZ,
                   edge: float = TELEPHONE_EDGE_HZ) -> np.ndarray:
    """The 300-3400 Hz telephone band of a 16 kHz signal, as an 8 kHz stream resampled back
    to 16 kHz by the engine would carry it: zero-phase FFT band-pass with raised-cosine edges
    (half amplitude at the band edges) and 16-bit quantisation of the line."""
    n = len(x)
    size = 1 << (n - 1).bit_length()
    f = np.fft.rfftfreq(size, 1.0 / SAMPLE_RATE)

    def rise(at: float) -> np.ndarray:  # 0 below at - edge/2, 1 above at + edge/2
        t = np.clip((f - at) / edge + 0.5, 0.0, 1.0)
        return 0.5 - 0.5 * np.cos(np.pi * t)

    y = np.fft.irfft(np.fft.rfft(x, size) * rise(band[0]) * (1.0 - rise(band[1])), size)[:n]
    return (np.round(np.clip(y, -1.0, 1.0) * 32767.0) / 32767.0).astype(np.float32)


def augment_window(rng: np.random.Generator, w: np.ndarray, gain_db: tuple[float, float] = (0.0, 0.0),
                   p_telephone: float = 0.0) -> np.ndarray:
    """A telephone-band copy with probability p_telephone, then a gain drawn from gain_db
    (clipped to [-1, 1], as a recording would be). The labels do not change."""
    if p_telephone > 0.0 and rng.random() < p_telephone:
        w = telephone_band(w)
    if gain_db != (0.0, 0.0):
        w = w * np.float32(10.0 ** (_u(rng, gain_db) / 20.0))
    return np.clip(w, -1.0, 1.0).astype(np.float32)


def audio_crops_source(paths: list[Path]) -> list[np.ndarray]:
    """16 kHz mono audio of unlabelled files, for teacher-only windows (at least one window
    long each)."""
    out = []
    for p in paths:
        x, sr = sf.read(str(p), dtype="float32", always_2d=True)
        if sr != SAMPLE_RATE:
            raise ValueError(f"{p}: sample rate {sr}, expected {SAMPLE_RATE} (resample it first)")
        if len(x) < WINDOW_SAMPLES:
            raise ValueError(f"{p}: {len(x) / sr:.2f} s, shorter than one {WINDOW_SAMPLES / sr:.0f} s window")
        out.append(x.mean(axis=1).astype(np.float32))
    return out


def unlabelled_window(rng: np.random.Generator, sources: list[np.ndarray]) -> np.ndarray:
    """A random window of one of the unlabelled recordings."""
    x = sources[int(rng.integers(0, len(sources)))]
    start = int(rng.integers(0, len(x) - WINDOW_SAMPLES + 1))
    return x[start: start + WINDOW_SAMPLES].copy()


def frame_labels(activity: np.ndarray, geometry: dict[str, int]) -> np.ndarray:
    """Sample activity [samples, K] -> frame labels [frames, K] (0/1): a speaker is active in
    frame j when it speaks in more than half of the `step` samples centred on the frame's
    centre (offset + j*step + length/2, the engine's convention)."""
    step, frames = geometry["frame_step_samples"], geometry["frames"]
    centre0 = geometry["frame_offset_samples"] + geometry["frame_length_samples"] // 2
    starts = centre0 - step // 2 + step * np.arange(frames)
    c = np.concatenate([np.zeros((1, activity.shape[1])), np.cumsum(activity, axis=0)])
    a = np.clip(starts, 0, len(activity))
    b = np.clip(starts + step, 0, len(activity))
    return ((c[b] - c[a]) * 2 > step).astype(np.float32)


def overlap_statistics(rng: np.random.Generator, pool, noise, windows: int = 200) -> dict[str, float]:
    """Share of speech that is overlapped, and speaker-count histogram, over simulated windows."""
    speech = overlapped = 0
    counts = np.zeros(SPEAKERS + 1, int)
    for _ in range(windows):
        _, act = simulate_window(rng, pool, noise)
        n_active = act.sum(axis=1)
        speech += int(np.sum(n_active >= 1))
        overlapped += int(np.sum(n_active >= 2))
        counts[int(np.sum(act.any(axis=0)))] += 1
    return {"overlap_ratio": overlapped / max(speech, 1), "speech_ratio": speech / (windows * WINDOW_SAMPLES),
            "windows_by_speakers": counts.tolist()}


# ---------------------------------------------------------------------------------------
# ami-dev: validation windows, and optional fine-tuning clips (chosen by name)
# ---------------------------------------------------------------------------------------
def load_rttm(path: Path) -> list[tuple[str, float, float]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            out.append((f[7], float(f[3]), float(f[3]) + float(f[4])))
    return out


def ami_clips(data: Path, names: tuple[str, ...] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """ami-dev clips {name: (audio float32 [samples], activity bool [samples, clip speakers])},
    all of them or only `names` (e.g. "trn00"); an unknown name is an error."""
    files = {w.stem: w for w in sorted((data / "ami-dev").glob("*.wav"))}
    missing = [n for n in names or () if n not in files]
    if missing:
        raise SystemExit(f"ami-dev has no clip(s) {', '.join(missing)} (has {', '.join(files)})")
    out = {}
    for name in names or tuple(files):
        x, sr = sf.read(str(files[name]), dtype="float32", always_2d=True)
        x = x.mean(axis=1)
        segs = load_rttm(files[name].with_suffix(".rttm"))
        speakers = sorted({s for s, _, _ in segs})
        act = np.zeros((len(x), max(len(speakers), 1)), bool)
        for s, a, b in segs:
            act[int(a * sr): int(b * sr), speakers.index(s)] = True
        out[name] = (x.astype(np.float32), act)
    return out


def _top_speakers(act: np.ndarray) -> np.ndarray:
    """The 3 speakers who talk most in a window (AMI windows rarely hold 4) -> [samples, 3]."""
    order = np.argsort(-act.sum(axis=0))[:SPEAKERS]
    sub = np.zeros((len(act), SPEAKERS), bool)
    sub[:, : len(order)] = act[:, order]
    return sub


def ami_windows(data: Path, geometry: dict[str, int], hop_s: float = 2.5, names: tuple[str, ...] | None = None):
    """ami-dev (all clips, or `names`) cut into 5 s windows: (waveforms [N, samples],
    labels [N, frames, 3])."""
    waves, labels = [], []
    for x, act in ami_clips(data, names).values():
        for start in range(0, len(x) - WINDOW_SAMPLES + 1, int(hop_s * SAMPLE_RATE)):
            waves.append(x[start: start + WINDOW_SAMPLES])
            labels.append(frame_labels(_top_speakers(act[start: start + WINDOW_SAMPLES]), geometry))
    return np.stack(waves).astype(np.float32), np.stack(labels)


AMI_EXTRA_TALKER = {
    "turn_s": (0.4, 2.5),
    "level_db": (-12.0, 0.0),  # relative to the crop's speech
    "p_reverb": 0.7,
    "rt60_s": (0.2, 0.8),
}


def ami_training_window(rng: np.random.Generator, clips: dict[str, tuple[np.ndarray, np.ndarray]],
                        gain_db: tuple[float, float] = (-10.0, 10.0), pool: dict[str, list[Utterance]] | None = None,
                        p_extra: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A random 5 s crop of one fine-tuning clip at a random gain: (waveform, activity
    [samples, 3]), the same shapes as `simulate_window`. With probability `p_extra`, when
    the crop has a free local speaker, one turn of a LibriSpeech speaker from `pool` is
    added to it (reverberated, somewhat quieter than the meeting): more overlapped speech in
    real meeting acoustics than the few labelled clips hold."""
    x, act = clips[list(clips)[int(rng.integers(0, len(clips)))]]
    start = int(rng.integers(0, len(x) - WINDOW_SAMPLES + 1))
    w = x[start: start + WINDOW_SAMPLES].copy()
    labels = _top_speakers(act[start: start + WINDOW_SAMPLES])
    free = np.flatnonzero(~labels.any(axis=0))
    if pool and len(free) and rng.random() < p_extra:
        _add_talker(rng, w, labels, int(free[0]), pool)
    w *= np.float32(10.0 ** (_u(rng, gain_db) / 20.0))
    return np.clip(w, -1.0, 1.0).astype(np.float32), labels


def _add_talker(rng: np.random.Generator, w: np.ndarray, labels: np.ndarray, k: int,
                pool: dict[str, list[Utterance]], cfg: dict = AMI_EXTRA_TALKER) -> None:
    """Mixes one turn of a random pool speaker into `w` as local speaker `k` (in place)."""
    speakers = list(pool)
    utts = pool[speakers[int(rng.integers(0, len(speakers)))]]
    audio, mask = _take(rng, utts, int(_u(rng, cfg["turn_s"]) * SAMPLE_RATE))
    audio, mask = audio[: len(w)], mask[: len(w)]
    if rng.random() < cfg["p_reverb"]:
        audio = _convolve(audio, synthetic_rir(rng, _u(rng, cfg["rt60_s"])))
    speech = labels.any(axis=1)
    ref = float(np.mean(w[speech] ** 2)) if speech.sum() > SAMPLE_RATE // 10 else 10.0 ** (-40.0 / 10.0)
    own = float(np.mean(audio[mask] ** 2)) if mask.any() else 1.0
    audio = audio * np.float32(np.sqrt(ref / (own + 1e-12)) * 10.0 ** (_u(rng, cfg["level_db"]) / 20.0))
    at = int(rng.integers(0, len(w) - len(audio) + 1))
    w[at: at + len(audio)] += audio
    labels[at: at + len(audio), k] |= mask
