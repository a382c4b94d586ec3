"""Permutation-invariant powerset losses (hard labels, and a teacher's soft posteriors),
frame-level diarization error and teacher agreement."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from models.common import SPEAKERS, powerset_lookup, powerset_matrix

PERMUTATIONS = list(itertools.permutations(range(SPEAKERS)))
_LOOKUP = torch.from_numpy(powerset_lookup())
_MEMBERS = torch.from_numpy(powerset_matrix())


def class_permutations() -> np.ndarray:
    """[P, C]: for each speaker permutation, the powerset class that class c becomes when
    local speaker k is renamed perm[k] (the classes are speaker sets)."""
    members = powerset_matrix().astype(bool)
    index = {tuple(np.flatnonzero(row)): c for c, row in enumerate(members)}
    return np.array([[index[tuple(sorted(perm[k] for k in np.flatnonzero(row)))] for row in members]
                     for perm in PERMUTATIONS], np.int64)


_CLASS_PERMS = torch.from_numpy(class_permutations())


def permuted_targets(labels: torch.Tensor) -> torch.Tensor:
    """labels [B, T, K] 0/1 -> powerset classes of every speaker permutation [P, B, T]."""
    lab = labels.long()
    out = []
    for perm in PERMUTATIONS:
        code = sum(lab[..., perm[k]] << k for k in range(SPEAKERS))
        out.append(_LOOKUP.to(labels.device)[code])
    return torch.stack(out)


def pit_powerset_loss(log_probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the smallest (over speaker permutations) frame-averaged
    cross-entropy between powerset log-probabilities [B, T, C] and multilabel truth [B, T, K]."""
    return pit_powerset_loss_per_window(log_probs, labels).mean()


def pit_soft_powerset_loss(log_probs: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Per-window smallest (over local-speaker permutations) frame-averaged cross-entropy
    between the student's powerset log-probabilities [B, T, C] and the teacher's powerset
    probabilities [B, T, C] -> [B]. The teacher numbers its local speakers its own way, so
    its distribution is renamed by each permutation and the best one counts."""
    perms = _CLASS_PERMS.to(log_probs.device)
    # the teacher's mass on class c lands on class perms[p, c] of the student
    ce = torch.stack([-(teacher * log_probs[..., perm]).sum(dim=-1).mean(dim=-1) for perm in perms])  # [P, B]
    return ce.min(dim=0).values


def pit_powerset_loss_per_window(log_probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """`pit_powerset_loss` without the batch mean: [B]."""
    targets = permuted_targets(labels)  # [P, B, T]
    lp = log_probs.unsqueeze(0).expand(len(PERMUTATIONS), *log_probs.shape)
    return (-torch.gather(lp, -1, targets.unsqueeze(-1)).squeeze(-1).mean(dim=-1)).min(dim=0).values


def distillation_loss(log_probs: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor,
                      labelled: torch.Tensor, kd_weight: float) -> torch.Tensor:
    """Batch mean of kd_weight * soft loss + (1 - kd_weight) * hard loss for windows with true
    labels (`labelled` [B] bool), and the soft loss alone for teacher-only windows."""
    soft = pit_soft_powerset_loss(log_probs, teacher)
    hard = pit_powerset_loss_per_window(log_probs, labels)
    per_window = torch.where(labelled, kd_weight * soft + (1.0 - kd_weight) * hard, soft)
    return per_window.mean()


def teacher_agreement(student_log_probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Share of frames whose most likely powerset class is the teacher's, each window under
    its best local-speaker permutation."""
    student = np.asarray(student_log_probs).argmax(axis=-1)  # [N, T]
    teacher = np.asarray(teacher_probs).argmax(axis=-1)
    perms = class_permutations()
    agree = np.stack([(perm[teacher] == student).sum(axis=-1) for perm in perms]).max(axis=0)
    return float(agree.sum() / max(student.size, 1))


def powerset_to_multilabel(log_probs: torch.Tensor | np.ndarray) -> np.ndarray:
    """Hard decision per frame: the most likely powerset class -> [..., K] 0/1."""
    lp = np.asarray(log_probs.detach().cpu() if isinstance(log_probs, torch.Tensor) else log_probs)
    return _MEMBERS.numpy()[lp.argmax(axis=-1)]


def frame_errors(hyp: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Frame-level miss / false alarm / confusion over windows [N, T, K], each window under its
    best speaker permutation (the local-speaker labels are arbitrary)."""
    tot = {"speech": 0.0, "miss": 0.0, "fa": 0.0, "conf": 0.0}
    for h, r in zip(hyp, ref, strict=True):
        nr, nh = r.sum(axis=1), h.sum(axis=1)
        best = None
        for perm in PERMUTATIONS:
            correct = np.minimum(h[:, list(perm)], r).sum(axis=1)
            err = np.sum(np.maximum(nr, nh) - correct)
            if best is None or err < best[0]:
                best = (err, correct)
        correct = best[1]
        tot["speech"] += float(nr.sum())
        tot["miss"] += float(np.maximum(nr - nh, 0).sum())
        tot["fa"] += float(np.maximum(nh - nr, 0).sum())
        tot["conf"] += float((np.minimum(nr, nh) - correct).sum())
    s = max(tot["speech"], 1.0)
    return {"der": (tot["miss"] + tot["fa"] + tot["conf"]) / s, "miss": tot["miss"] / s,
            "fa": tot["fa"] / s, "conf": tot["conf"] / s}
