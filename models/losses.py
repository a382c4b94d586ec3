"""Permutation-invariant powerset loss and frame-level diarization error."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from models.common import SPEAKERS, powerset_lookup, powerset_matrix

PERMUTATIONS = list(itertools.permutations(range(SPEAKERS)))
_LOOKUP = torch.from_numpy(powerset_lookup())
_MEMBERS = torch.from_numpy(powerset_matrix())


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
    targets = permuted_targets(labels)  # [P, B, T]
    lp = log_probs.unsqueeze(0).expand(len(PERMUTATIONS), *log_probs.shape)
    nll = -torch.gather(lp, -1, targets.unsqueeze(-1)).squeeze(-1).mean(dim=-1)  # [P, B]
    return nll.min(dim=0).values.mean()


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
