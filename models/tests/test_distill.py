"""Distillation from a teacher segmentation model: teacher adapter, soft losses, agreement,
augmentation and the training options (models.train --teacher)."""

import itertools
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from models import train
from models.common import SAMPLE_RATE, WINDOW_SAMPLES, powerset_matrix
from models.data import audio_crops_source, augment_window, synthetic_pool, telephone_band
from models.fast_cnn import FastDiarizationModel
from models.losses import (
    class_permutations,
    distillation_loss,
    pit_powerset_loss,
    pit_soft_powerset_loss,
    teacher_agreement,
)
from models.teacher import Teacher, TeacherError, interpolation
from models.train import BatchPlan, evaluate, make_batch

SHIPPED = Path(__file__).resolve().parents[1] / "fast_cnn.onnx"
STUDENT = FastDiarizationModel().geometry()


def _one_hot(classes: np.ndarray) -> np.ndarray:
    return np.eye(7, dtype=np.float32)[classes]


def _random_probs(rng, shape) -> np.ndarray:
    p = rng.random((*shape, 7)).astype(np.float32) ** 4
    return p / p.sum(axis=-1, keepdims=True)


def test_class_permutations_rename_the_speakers_of_each_class():
    members = powerset_matrix().astype(bool)
    perms = class_permutations()
    assert perms.shape == (6, 7)
    for perm, mapping in zip(itertools.permutations(range(3)), perms, strict=True):
        assert sorted(mapping) == list(range(7))  # a permutation of the classes
        for c, target in enumerate(mapping):
            assert set(np.flatnonzero(members[target])) == {perm[k] for k in np.flatnonzero(members[c])}


def test_soft_loss_is_the_hard_loss_for_one_hot_teachers_and_ignores_the_teachers_speaker_names():
    rng = np.random.default_rng(0)
    log_probs = torch.log_softmax(torch.from_numpy(rng.standard_normal((3, 50, 7)).astype(np.float32)), dim=-1)
    classes = rng.integers(0, 7, size=(3, 50))
    labels = torch.from_numpy(powerset_matrix()[classes])
    soft = pit_soft_powerset_loss(log_probs, torch.from_numpy(_one_hot(classes)))
    assert torch.allclose(soft.mean(), pit_powerset_loss(log_probs, labels), atol=1e-6)
    teacher = _random_probs(rng, (3, 50))
    for mapping in class_permutations():
        renamed = np.empty_like(teacher)
        renamed[..., mapping] = teacher  # the teacher calls its speakers otherwise
        assert torch.allclose(pit_soft_powerset_loss(log_probs, torch.from_numpy(renamed)),
                              pit_soft_powerset_loss(log_probs, torch.from_numpy(teacher)), atol=1e-6)


def test_distillation_loss_mixes_labels_only_where_a_window_has_them():
    rng = np.random.default_rng(1)
    log_probs = torch.log_softmax(torch.from_numpy(rng.standard_normal((2, 30, 7)).astype(np.float32)), dim=-1)
    teacher = torch.from_numpy(_random_probs(rng, (2, 30)))
    labels = torch.from_numpy(rng.integers(0, 2, size=(2, 30, 3)).astype(np.float32))
    soft = pit_soft_powerset_loss(log_probs, teacher)
    hard = torch.stack([pit_powerset_loss(log_probs[i:i + 1], labels[i:i + 1]) for i in range(2)])
    got = distillation_loss(log_probs, teacher, labels, torch.tensor([True, False]), 0.75)
    assert torch.allclose(got, ((0.75 * soft[0] + 0.25 * hard[0]) + soft[1]) / 2, atol=1e-6)
    assert torch.allclose(distillation_loss(log_probs, teacher, labels, torch.tensor([True, True]), 1.0),
                          soft.mean(), atol=1e-6)


def test_agreement_counts_frames_under_the_best_permutation_per_window():
    rng = np.random.default_rng(2)
    teacher = _random_probs(rng, (4, 100))
    assert teacher_agreement(np.log(teacher), teacher) == 1.0
    renamed = np.empty_like(teacher)
    renamed[..., class_permutations()[3]] = teacher
    assert teacher_agreement(np.log(renamed), teacher) == 1.0
    wrong = teacher.copy()
    wrong[:, :25] = _one_hot((teacher[:, :25].argmax(-1) + 1) % 7)  # a quarter of the frames disagree
    assert abs(teacher_agreement(np.log(wrong + 1e-9), teacher) - 0.75) < 0.05


def test_interpolation_puts_each_student_frame_between_the_teacher_frames_around_its_centre():
    teacher = {"frame_step_samples": 270, "frame_offset_samples": 0, "frame_length_samples": 991}
    lo, hi, w = interpolation(teacher, 293, STUDENT)
    centres = STUDENT["frame_length_samples"] / 2 + 320 * np.arange(STUDENT["frames"])
    pos = np.clip((centres - 495.5) / 270, 0, 292)
    assert np.allclose(lo + w, pos, atol=1e-5) and np.all(hi - lo <= 1) and np.all((w >= 0) & (w <= 1))
    assert lo[0] == 0 and w[0] == 0  # the first student centre (377.5) lies before the teacher's first


def test_a_student_loaded_from_the_teacher_agrees_with_it_everywhere():
    teacher = Teacher(SHIPPED, STUDENT)  # the shipped CNN as its own teacher: the same frame grid
    waves, labels, _ = make_batch(3, 0, 6, synthetic_pool(speakers=3, utterances=1, seconds=4.0), [], STUDENT)
    probs = teacher(waves)
    assert probs.shape == (6, STUDENT["frames"], 7) and np.allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert np.allclose(np.log(probs), teacher.scores(waves), atol=1e-4)
    student = FastDiarizationModel()
    student.load_fused_onnx(SHIPPED)
    out = evaluate(student, waves, labels, torch.device("cpu"), teacher_probs=probs)
    assert out["agreement"] > 0.999
    entropy = float(-(probs * np.log(probs + 1e-12)).sum(-1).mean())
    assert abs(out["kd_loss"] - entropy) < 1e-3  # the cross-entropy with itself is its entropy


def test_segmentation_3_0_is_resampled_onto_the_students_frames(installed_models):
    teacher = Teacher(installed_models / "segmentation-3.0.onnx", STUDENT)
    t = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE
    wave = np.where((t > 1.0) & (t < 3.5), 0.1 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)), 0)
    wave = (wave + 1e-4 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    own = np.exp(teacher.scores(wave[None]))[0]
    ours = teacher(wave[None])[0]
    assert own.shape == (293, 7) and ours.shape == (STUDENT["frames"], 7)
    lo, hi, w = interpolation(teacher.geometry, 293, STUDENT)
    assert np.allclose(ours, own[lo] * (1 - w[:, None]) + own[hi] * w[:, None], atol=1e-5)


def test_a_model_that_is_not_a_powerset_segmenter_is_refused(tmp_path):
    m = onnx.load(str(SHIPPED))
    for p in m.metadata_props:
        if p.key == "voiceflow.speakers":
            p.value = "4"
    bad = tmp_path / "four.onnx"
    onnx.save(m, str(bad))
    with pytest.raises(TeacherError, match="speakers"):
        Teacher(bad, STUDENT)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    with pytest.raises(TeacherError, match="cannot be loaded"):
        Teacher(junk, STUDENT)


def test_telephone_band_keeps_300_to_3400_hz():
    t = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE

    def gain(freq: float) -> float:
        x = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        y = telephone_band(x)
        mid = slice(8000, -8000)
        return float(np.sqrt(np.mean(y[mid] ** 2) / np.mean(x[mid] ** 2)))

    assert all(abs(gain(f) - 1.0) < 0.01 for f in (500.0, 1000.0, 3000.0))
    assert all(gain(f) < 1e-3 for f in (100.0, 4000.0, 6000.0))
    assert abs(gain(300.0) - 0.5) < 0.02 and abs(gain(3400.0) - 0.5) < 0.02  # half amplitude at the edges


def test_augmentation_draws_gain_within_its_range_and_clips():
    x = np.full(WINDOW_SAMPLES, 0.01, np.float32)
    gains = [float(augment_window(np.random.default_rng(s), x, (-12.0, 12.0))[0] / 0.01) for s in range(50)]
    assert 0.25 <= min(gains) < 0.5 and 2.0 < max(gains) <= 4.0
    loud = augment_window(np.random.default_rng(0), np.full(WINDOW_SAMPLES, 0.9, np.float32), (12.0, 12.0))
    assert loud.max() == 1.0 and loud.dtype == np.float32
    assert np.array_equal(augment_window(np.random.default_rng(0), x), x)  # no augmentation asked: unchanged


def test_batches_hold_teacher_only_windows_without_labels(tmp_path):
    import soundfile as sf

    rec = tmp_path / "talk.wav"
    sf.write(rec, np.random.default_rng(0).standard_normal(6 * SAMPLE_RATE).astype(np.float32) * 0.05, SAMPLE_RATE)
    plan = BatchPlan(unlabelled=audio_crops_source([rec]), unlabelled_share=0.5)
    waves, labels, labelled = make_batch(1, 0, 4, synthetic_pool(speakers=3, utterances=1, seconds=4.0), [],
                                         STUDENT, plan)
    assert labelled.tolist() == [False, False, True, True]
    assert not labels[:2].any() and waves.shape == (4, 1, WINDOW_SAMPLES)
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    with pytest.raises(ValueError, match="shorter than one"):
        audio_crops_source([short])


def test_distillation_training_logs_agreement_and_resumes(tmp_path):
    out = tmp_path / "kd"
    args = ["--synthetic-data", "--teacher", str(SHIPPED), "--steps", "4", "--batch-size", "2", "--val-every", "2",
            "--val-windows", "4", "--out", str(out), "--warmup", "1", "--gain-db", "-12", "12",
            "--telephone-share", "0.5", "--select", "agreement"]
    assert train.main(args) == 0
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [2, 4]
    assert all(0.0 <= r["val"]["agreement"] <= 1.0 and np.isfinite(r["val"]["kd_loss"]) for r in log)
    best = torch.load(out / "best.pt", weights_only=False)
    assert best["metrics"]["val"]["agreement"] == max(r["val"]["agreement"] for r in log)
    assert train.main([a if a != "4" else "6" for a in args]) == 0
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 6


@pytest.mark.parametrize("extra, message", [
    (["--select", "agreement"], "needs --teacher"),
    (["--unlabelled", "x.wav"], "need --teacher"),
    (["--teacher", "/nonexistent.onnx"], "cannot be loaded"),
])
def test_distillation_options_are_checked(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit):
        train.main(["--synthetic-data", "--steps", "1", "--out", str(tmp_path / "x"), *extra])
    assert message in capsys.readouterr().err
