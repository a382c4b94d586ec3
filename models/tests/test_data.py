import numpy as np
import torch

from models.data import (
    EVAL_DEV_CLEAN,
    EVAL_TEST_OTHER,
    VAL_DEV_CLEAN,
    ami_training_window,
    frame_labels,
    simulate_window,
    speaker_split,
    synthetic_pool,
)
from models.fast_cnn import RMS_FLOOR, normalise
from models.train import BatchPlan, make_batch


def test_simulation_is_reproducible_and_labelled():
    pool = synthetic_pool(speakers=4, utterances=2, seconds=4.0)
    noise = [np.random.default_rng(0).standard_normal(100000).astype(np.float32)]
    a = simulate_window(np.random.default_rng(5), pool, noise)
    b = simulate_window(np.random.default_rng(5), pool, noise)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    x, act = a
    assert x.shape == (80000,) and x.dtype == np.float32 and act.shape == (80000, 3)
    assert np.abs(x).max() <= 1.0
    seen = [simulate_window(np.random.default_rng(s), pool, noise)[1] for s in range(30)]
    counts = [int(s.any(axis=0).sum()) for s in seen]
    assert max(counts) >= 2  # multi-speaker windows occur
    assert any((s.sum(axis=1) >= 2).any() for s in seen)  # and overlap


def test_frame_labels_follow_engine_frame_centres():
    geometry = {"frame_step_samples": 320, "frame_offset_samples": 0, "frame_length_samples": 755, "frames": 248}
    act = np.zeros((80000, 3), bool)
    act[16000:32000, 1] = True  # 1 s to 2 s
    lab = frame_labels(act, geometry)
    centres = 377 + 320 * np.arange(248)
    on = (centres >= 16000) & (centres < 32000)
    assert lab.shape == (248, 3)
    assert np.array_equal(lab[:, 1].astype(bool), on)
    assert lab[:, [0, 2]].sum() == 0


def test_speaker_split_excludes_evaluation_speakers(tmp_path):
    """The split on a tree laid out like ../shared/data/librispeech (empty files): the
    engine's evaluation speakers never appear, validation speakers are held apart."""
    lib = tmp_path / "librispeech"
    dev = lib / "dev-clean-20" / "dev-clean"
    for spk in ("1272", "1919", *VAL_DEV_CLEAN, *EVAL_DEV_CLEAN):
        (dev / spk / "100").mkdir(parents=True)
        (dev / spk / "100" / f"{spk}-100-0000.mp3").touch()
    tc = lib / "train-clean-100-251"
    tc.mkdir(parents=True)
    train_clean = [str(100 + i) for i in range(25)] + [EVAL_TEST_OTHER[0]]
    for spk in train_clean:
        (tc / f"{spk}-1-0000.flac").touch()

    split = speaker_split(tmp_path)
    ids = {k[2:] for part in split.values() for k in part}
    assert not ids & set(EVAL_DEV_CLEAN) and not ids & set(EVAL_TEST_OTHER)
    assert not set(split["train"]) & set(split["val"])
    assert {"dc" + s for s in VAL_DEV_CLEAN} <= set(split["val"])
    assert {"dc1272", "dc1919"} <= set(split["train"])
    tc_val = [k for k in split["val"] if k.startswith("tc")]
    assert len(tc_val) == 3 and len([k for k in split["train"] if k.startswith("tc")]) == 22
    assert all(len(files) == 1 for part in split.values() for files in part.values())


def test_ami_training_windows_are_random_crops_with_top_speakers():
    n = 30 * 16000
    act = np.zeros((n, 4), bool)
    act[:, 3] = True  # the most talkative speaker becomes local speaker 0
    act[16000:48000, 1] = True
    clips = {"c": (np.full(n, 0.01, np.float32), act)}
    w, a = ami_training_window(np.random.default_rng(3), clips, gain_db=(6.0, 6.0))
    assert w.shape == (80000,) and a.shape == (80000, 3) and w.dtype == np.float32
    assert np.allclose(w, 0.01 * 10 ** (6 / 20), rtol=1e-5)
    assert a[:, 0].all()
    geometry = {"frame_step_samples": 320, "frame_offset_samples": 0, "frame_length_samples": 755, "frames": 248}
    batch_w, batch_l, labelled = make_batch(1, 0, 4, synthetic_pool(speakers=3, utterances=1, seconds=4.0), [],
                                            geometry, BatchPlan(ami=clips, ami_share=0.5))
    assert batch_w.shape == (4, 1, 80000) and batch_l.shape == (4, 248, 3) and labelled.all()
    assert batch_l[:2, :, 0].all()  # the first half of the batch are the clip's crops


def test_ami_crops_get_an_extra_talker_only_where_a_local_speaker_is_free():
    n = 30 * 16000
    act = np.zeros((n, 2), bool)
    act[:, 0] = True
    act[:, 1] = True
    clips = {"c": (np.full(n, 0.01, np.float32), act)}
    pool = synthetic_pool(speakers=3, utterances=1, seconds=4.0)
    w, a = ami_training_window(np.random.default_rng(3), clips, gain_db=(0.0, 0.0), pool=pool, p_extra=1.0)
    assert a[:, :2].all() and a[:, 2].sum() > 1600  # the talker is local speaker 2, >= 0.1 s of speech
    added, talk = np.flatnonzero(np.abs(w - 0.01) > 1e-6), np.flatnonzero(a[:, 2])
    assert talk[0] <= added[0] and added[-1] <= talk[-1] + 400  # the turn's audio lies where it is labelled
    full = {"c": (np.full(n, 0.01, np.float32), np.ones((n, 3), bool))}
    w, a = ami_training_window(np.random.default_rng(3), full, gain_db=(0.0, 0.0), pool=pool, p_extra=1.0)
    assert np.allclose(w, 0.01) and a.all()  # no free local speaker: the crop is unchanged


def test_normalisation_does_not_amplify_near_silent_windows():
    loud = torch.full((1, 1, 80000), 0.1)
    quiet = torch.full((1, 1, 80000), 1e-5)
    assert torch.allclose(normalise(loud), torch.ones_like(loud))
    assert torch.allclose(normalise(quiet), quiet / RMS_FLOOR)
    assert float(normalise(quiet).abs().max()) < 0.01
