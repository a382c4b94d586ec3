"""Train a segmentation model on simulated conversations.

    nice -n 19 python -m models.train --model-type fast-cnn --steps 1800 --out .voiceflow/models-runs/fast-cnn

Every `--val-every` steps it logs the validation loss and frame-level diarization error
(best speaker permutation per 5 s window) on a fixed simulated validation set (held-back
speakers, see models/data.py) and on ami-dev cut into windows, and writes
`last.pt` (resumable: model, optimiser, schedule, step, history) and `best.pt` (lowest
ami-dev frame error, or with `--select val` the lowest simulated validation error).
With `--ami-train trn00,...` a share (`--ami-share`) of every batch is random 5 s crops of
those ami-dev clips (human labels): light fine-tuning on real meetings; the clips that are
not trained on are then logged separately as `ami_heldout`. Re-running the same command
resumes from `last.pt`. Batches are a pure function of (--seed, step), so a resumed run
sees the same data as an unbroken one. Uses CUDA when it is available.

Distillation (`--teacher seg3.onnx`): every batch also goes through the teacher, a powerset
segmentation model in ONNX (models/teacher.py), and the student learns its posteriors as
soft targets, each window under the local-speaker permutation that fits best, mixed with
the true labels where a window has them (`--kd-weight`); windows of unlabelled recordings
(`--unlabelled`) are learnt from the teacher alone. `--gain-db` and `--telephone-share`
augment every source. The log then holds the teacher agreement (frames whose most likely
class is the teacher's) on the held-back windows, and `--select agreement` keeps the best:

    nice -n 19 python -m models.train --teacher .voiceflow/models/segmentation-3.0.onnx \
        --checkpoint models/fast_cnn.onnx --ami-train trn00,...,trn09 --gain-db -12 12 \
        --telephone-share 0.15 --select agreement --out ~/.cache/voiceflow/distill
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.common import MODEL_TYPES, SPEAKERS, count_parameters, create_model, data_dir, load_checkpoint
from models.data import (
    ami_clips,
    ami_training_window,
    ami_windows,
    audio_crops_source,
    augment_window,
    frame_labels,
    load_noise,
    load_pool,
    simulate_window,
    synthetic_pool,
    unlabelled_window,
)
from models.fast_cnn import freeze_batch_norm
from models.losses import (
    distillation_loss,
    frame_errors,
    pit_powerset_loss,
    pit_soft_powerset_loss,
    powerset_to_multilabel,
    teacher_agreement,
)
from models.teacher import Teacher, TeacherError


@dataclass(frozen=True)
class BatchPlan:
    """What a training batch is made of, besides the simulated conversations."""

    ami: dict | None = None  # fine-tuning clips (models.data.ami_clips)
    ami_share: float = 0.0
    ami_extra: float = 0.0
    unlabelled: list | None = None  # recordings for teacher-only windows
    unlabelled_share: float = 0.0
    gain_db: tuple[float, float] = (0.0, 0.0)
    p_telephone: float = 0.0


NO_EXTRAS = BatchPlan()


def make_batch(seed: int, step: int, size: int, pool, noise, geometry,
               plan: BatchPlan = NO_EXTRAS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`size` windows -> (waves [B, 1, samples], labels [B, frames, 3], labelled [B] bool).
    The first round(size * ami_share) are crops of the `ami` clips (when given; a share
    `ami_extra` of them with an added simulated talker), the next round(size *
    unlabelled_share) crops of the unlabelled recordings (no labels: `labelled` False, for a
    teacher only), the rest simulated conversations. Every window is then augmented
    (`augment_window`). A pure function of (seed, step)."""
    rng = np.random.default_rng([seed, step])
    n_ami = int(round(size * plan.ami_share)) if plan.ami else 0
    n_unl = int(round(size * plan.unlabelled_share)) if plan.unlabelled else 0
    waves, labels, labelled = [], [], []
    for i in range(size):
        if i < n_ami:
            w, act = ami_training_window(rng, plan.ami, pool=pool, p_extra=plan.ami_extra)
        elif i < n_ami + n_unl:
            w, act = unlabelled_window(rng, plan.unlabelled), None
        else:
            w, act = simulate_window(rng, pool, noise)
        waves.append(augment_window(rng, w, plan.gain_db, plan.p_telephone))
        labels.append(frame_labels(act, geometry) if act is not None
                      else np.zeros((geometry["frames"], SPEAKERS), np.float32))
        labelled.append(act is not None)
    return np.stack(waves)[:, None, :], np.stack(labels), np.array(labelled)


class Prefetcher:
    """Simulates the next batches (and runs the teacher on them) in a background thread;
    numpy's FFTs and ONNX Runtime release the GIL."""

    def __init__(self, seed, start, size, pool, noise, geometry, plan: BatchPlan, teacher=None, depth: int = 3):
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.args = (seed, size, pool, noise, geometry, plan, teacher)
        self.step = start
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        seed, size, pool, noise, geometry, plan, teacher = self.args
        step = self.step
        while not self.stop:
            x, y, labelled = make_batch(seed, step, size, pool, noise, geometry, plan)
            self.q.put((x, y, labelled, teacher(x) if teacher is not None else None))
            step += 1

    def next(self):
        return self.q.get()


@torch.no_grad()
def evaluate(model, waves: np.ndarray, labels: np.ndarray, device, batch: int = 16,
             teacher_probs: np.ndarray | None = None) -> dict[str, float]:
    """Loss and frame errors against the labels; with the teacher's posteriors of the same
    windows also `agreement` (frames where the student's most likely class is the
    teacher's, best permutation per window) and `kd_loss` (soft cross-entropy)."""
    model.eval()
    losses, hyps, outputs, kd = [], [], [], []
    for i in range(0, len(waves), batch):
        x = torch.from_numpy(waves[i: i + batch]).to(device)
        if x.dim() == 2:
            x = x[:, None, :]
        y = torch.from_numpy(labels[i: i + batch]).to(device)
        lp = model(x)
        losses.append(float(pit_powerset_loss(lp, y)) * len(x))
        hyps.append(powerset_to_multilabel(lp))
        if teacher_probs is not None:
            outputs.append(lp.cpu().numpy())
            kd.append(float(pit_soft_powerset_loss(lp, torch.from_numpy(teacher_probs[i: i + batch]).to(device)).sum()))
    out = frame_errors(np.concatenate(hyps), labels)
    out["loss"] = sum(losses) / len(waves)
    if teacher_probs is not None:
        out["agreement"] = teacher_agreement(np.concatenate(outputs), teacher_probs)
        out["kd_loss"] = sum(kd) / len(waves)
    return out


def lr_at(step: int, total: int, peak: float, warmup: int, time_progress: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to 2 % of the peak. With a time budget the decay
    follows whichever runs out first, the steps or the minutes."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_progress))
    return peak * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-type", choices=MODEL_TYPES, default="fast-cnn")
    ap.add_argument("--data", help="shared data folder (default $VOICEFLOW_DATA or ../shared/data)")
    ap.add_argument("--out", type=Path, help="run folder (default .voiceflow/models-runs/MODEL_TYPE)")
    ap.add_argument("--checkpoint", type=Path, help="initial weights: a .pt from this tool, an exported fp32 "
                    ".onnx of the fast CNN (continues from a shipped model; implies --freeze-bn), or for the "
                    "sophisticated model a wav2vec2-base encoder state dict")
    ap.add_argument("--freeze-bn", action="store_true", help="keep BatchNorm statistics fixed (fine-tuning)")
    ap.add_argument("--steps", type=int, default=1800)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--val-every", type=int, default=100)
    ap.add_argument("--val-windows", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop (and save) after this long; 0 = no limit")
    ap.add_argument("--no-ami", action="store_true", help="skip the ami-dev validation")
    ap.add_argument("--ami-train", default="", help="comma-separated ami-dev clips to fine-tune on, e.g. "
                    "trn00,trn01 (default none: ami-dev is validation only)")
    ap.add_argument("--ami-share", type=float, default=0.25, help="share of each batch taken from --ami-train")
    ap.add_argument("--ami-extra-talker", type=float, default=0.0,
                    help="share of the ami-dev crops that get one more (simulated) talker when they have room")
    ap.add_argument("--teacher", type=Path, help="distil from this powerset segmentation model (ONNX, the "
                    "engine's contract, e.g. .voiceflow/models/segmentation-3.0.onnx): the student learns its "
                    "posteriors on every window, and the true labels where they exist (--kd-weight)")
    ap.add_argument("--kd-weight", type=float, default=0.8,
                    help="with --teacher: weight of the teacher's soft targets against the true labels")
    ap.add_argument("--teacher-threads", type=int, default=1, help="ONNX Runtime threads of the teacher")
    ap.add_argument("--unlabelled", type=Path, nargs="*", default=[],
                    help="16 kHz recordings without labels: with --teacher, a share (--unlabelled-share) of "
                    "each batch is random windows of them, learnt from the teacher alone")
    ap.add_argument("--unlabelled-share", type=float, default=0.1)
    ap.add_argument("--gain-db", type=float, nargs=2, default=(0.0, 0.0), metavar=("LOW", "HIGH"),
                    help="random gain of every training window in dB, e.g. -12 12 (x0.25-x4)")
    ap.add_argument("--telephone-share", type=float, default=0.0,
                    help="share of training windows turned into telephone-band (300-3400 Hz) copies")
    ap.add_argument("--select", choices=("ami", "val", "agreement"), default="ami",
                    help="best.pt = lowest frame error on ami-dev (ami) or on the simulated validation set "
                    "(val), or with --teacher the highest mean agreement with the teacher on the held-back "
                    "simulated and ami-dev windows (agreement)")
    ap.add_argument("--synthetic-data", action="store_true",
                    help="synthetic voices instead of the shared data (smoke tests only)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    args = ap.parse_args(argv)
    if args.select == "agreement" and not args.teacher:
        ap.error("--select agreement needs --teacher")
    if args.unlabelled and not args.teacher:
        ap.error("--unlabelled windows have no labels: they need --teacher")
    if not 0.0 <= args.kd_weight <= 1.0:
        ap.error("--kd-weight must lie in [0, 1]")

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    data = data_dir(args.data)
    out = args.out or Path(__file__).resolve().parent.parent / ".voiceflow" / "models-runs" / args.model_type
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)

    model = create_model(args.model_type)
    geometry = model.geometry()
    teacher = None
    if args.teacher:
        try:
            teacher = Teacher(args.teacher, geometry, threads=args.teacher_threads)
        except TeacherError as e:
            ap.error(str(e))
        print(f"teacher: {teacher.name} ({args.teacher}), soft-target weight {args.kd_weight}", flush=True)
    freeze_bn = args.freeze_bn
    if args.checkpoint:
        info = load_checkpoint(model, args.checkpoint)
        if args.checkpoint.suffix == ".onnx":
            freeze_bn = True  # the file has no batch statistics left
            print(f"initial weights from {args.checkpoint} ({info['checkpoint_model']}), BatchNorm frozen", flush=True)
    model.to(device)

    def train_mode() -> None:
        model.train()
        if freeze_bn:
            freeze_batch_norm(model)

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    print(f"{args.model_type}: {count_parameters(model):,} parameters, {count_parameters(model, True):,} "
          f"trainable; device {device}; {geometry['frames']} frames per window", flush=True)

    step, history, best = 0, [], float("inf")
    last = out / "last.pt"
    if last.exists():
        ck = torch.load(last, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, history, best = ck["step"], ck["history"], ck["best"]
        print(f"resumed from {last} at step {step}", flush=True)

    if args.synthetic_data:
        pool, val_pool = synthetic_pool(seed=0), synthetic_pool(speakers=3, seed=1)
        noise = [np.random.default_rng(0).standard_normal(160000).astype(np.float32)]
        args.no_ami = True
    else:
        pool, val_pool, noise = load_pool(data, "train"), load_pool(data, "val"), load_noise(data)
    val_waves, val_labels, _ = make_batch(args.seed + 1000, 0, args.val_windows, val_pool, noise, geometry)
    ami = None if args.no_ami or not (data / "ami-dev").is_dir() else ami_windows(data, geometry)
    ami_train_names = tuple(n for n in args.ami_train.split(",") if n)
    ami_train = ami_clips(data, ami_train_names) if ami_train_names else None
    ami_heldout = None
    if ami is not None and ami_train:
        heldout = tuple(n for n in ami_clips(data) if n not in ami_train)
        ami_heldout = ami_windows(data, geometry, names=heldout) if heldout else None
        print(f"fine-tuning on ami-dev {','.join(ami_train)} ({args.ami_share:.0%} of each batch); "
              f"held out: {','.join(heldout)}", flush=True)
    print(f"train speakers {len(pool)}, validation speakers {len(val_pool)}, validation windows "
          f"{len(val_waves)} simulated + {0 if ami is None else len(ami[0])} ami-dev", flush=True)
    # the teacher's posteriors of the fixed validation windows, computed once
    targets = {}
    if teacher is not None:
        held = {"val": val_waves, "ami": ami and ami[0], "ami_heldout": ami_heldout and ami_heldout[0]}
        for key, waves in held.items():
            if waves is not None:
                targets[key] = np.concatenate([teacher(waves[i: i + 32]) for i in range(0, len(waves), 32)])
    plan = BatchPlan(ami=ami_train, ami_share=args.ami_share, ami_extra=args.ami_extra_talker,
                     unlabelled=audio_crops_source(args.unlabelled) if args.unlabelled else None,
                     unlabelled_share=args.unlabelled_share, gain_db=tuple(args.gain_db),
                     p_telephone=args.telephone_share)

    def validate_and_save(step_now: int, train_loss: float, elapsed: float) -> None:
        nonlocal best
        rec = {"step": step_now, "train_loss": train_loss, "minutes": round(elapsed / 60, 2),
               "lr": opt.param_groups[0]["lr"]}
        rec["val"] = evaluate(model, val_waves, val_labels, device, teacher_probs=targets.get("val"))
        if ami is not None:
            rec["ami"] = evaluate(model, ami[0], ami[1], device, teacher_probs=targets.get("ami"))
        if ami_heldout is not None:
            rec["ami_heldout"] = evaluate(model, ami_heldout[0], ami_heldout[1], device,
                                          teacher_probs=targets.get("ami_heldout"))
        train_mode()
        history.append(rec)
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        msg = (f"step {step_now:5d}  train {train_loss:.4f}  val loss {rec['val']['loss']:.4f} "
               f"der {rec['val']['der']:.3f}")
        if "ami" in rec:
            msg += f"  ami loss {rec['ami']['loss']:.4f} der {rec['ami']['der']:.3f}"
        if "ami_heldout" in rec:
            msg += f"  held-out ami der {rec['ami_heldout']['der']:.3f}"
        if teacher is not None:
            agreements = {k: rec[k]["agreement"] for k in ("val", "ami", "ami_heldout") if k in rec}
            msg += "  teacher agreement " + " ".join(f"{k} {v:.3f}" for k, v in agreements.items())
        print(msg + f"  ({rec['minutes']} min)", flush=True)
        if args.select == "agreement":
            # held-back audio only: the simulated validation speakers and the ami-dev clips not trained on
            held = [rec["val"]["agreement"], rec["ami_heldout" if "ami_heldout" in rec else "ami"]["agreement"]] \
                if "ami" in rec else [rec["val"]["agreement"]]
            score = 1.0 - float(np.mean(held))
        elif args.select == "ami" and "ami" in rec:
            score = rec["ami"]["der"]
        else:
            score = rec["val"]["der"]
        ck = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step_now, "history": history,
              "best": min(best, score), "model_type": args.model_type, "geometry": geometry, "args": vars(args)}
        if score < best:
            best = score
            torch.save({"model": model.state_dict(), "step": step_now, "model_type": args.model_type,
                        "metrics": rec}, out / "best.pt")
        tmp = out / "last.pt.tmp"
        torch.save(ck, tmp)
        tmp.replace(last)

    prefetch = Prefetcher(args.seed, step, args.batch_size, pool, noise, geometry, plan, teacher)
    train_mode()
    t0 = time.time()
    spent0 = history[-1]["minutes"] * 60 if history else 0.0  # time of the runs before a resume
    first = step

    def time_progress(step_now: int) -> float:
        if args.max_minutes <= 0:
            return 0.0
        return (spent0 + time.time() - t0) / (args.max_minutes * 60)

    running = []
    while step < args.steps:
        x, y, labelled, soft = prefetch.next()
        x = torch.from_numpy(x).to(device)
        y = torch.from_numpy(y).to(device)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup, time_progress(step))
        if soft is None:
            loss = pit_powerset_loss(model(x), y)
        else:
            loss = distillation_loss(model(x), torch.from_numpy(soft).to(device), y,
                                     torch.from_numpy(labelled).to(device), args.kd_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        running.append(float(loss.detach()))
        step += 1
        if step % 10 == 0:
            print(f"  step {step}  loss {np.mean(running[-10:]):.4f}  {(spent0 + time.time() - t0) / 60:.1f} min  "
                  f"lr {opt.param_groups[0]['lr']:.2e}  ({(time.time() - t0) / max(1, step - first):.2f} s/step)",
                  flush=True)
        stop = args.max_minutes > 0 and time_progress(step) >= 1.0
        if step % args.val_every == 0 or step == args.steps or stop:
            validate_and_save(step, float(np.mean(running[-args.val_every:])), spent0 + time.time() - t0)
        if stop:
            print(f"time budget of {args.max_minutes} min reached at step {step}", flush=True)
            break
    prefetch.stop = True
    if not (out / "best.pt").exists() and last.exists():
        ck = torch.load(last, map_location="cpu", weights_only=False)
        torch.save({"model": ck["model"], "step": ck["step"], "model_type": args.model_type}, out / "best.pt")
    print(f"done: {out}/last.pt, {out}/best.pt", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
