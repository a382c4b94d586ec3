"""Latency benchmark: PyTorch vs ONNX Runtime, several models and execution providers.

    python -m models.benchmark [--models fast-cnn,sophisticated] [--onnx models/fast_cnn.onnx ...]
                               [--threads 1] [--runs 200] [--json report.json]

For each model type it times the PyTorch model (eval, no_grad, BatchNorm folded) and every
ONNX file given for it (default: the committed models/fast_cnn.onnx and
models/fast_cnn.int8.onnx for fast-cnn; a fresh fp32 export for a model type without a
file) on every available execution provider (CPU always; CUDA when ONNX Runtime and the
machine offer it), one 5 s window per call, and reports mean/p50/p95/p99. The fast-cnn
target is P99 <= 100 ms per 5 s window on one CPU thread; the margin is printed and the
exit status is 1 when an fp32/int8 fast-cnn CPU run misses it (--no-fail to report only).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import onnxruntime as ort
import torch

from models.common import MODEL_TYPES, count_parameters
from models.export_onnx import REPO, example_windows, export_fp32, load_model
from models.onnx_utils import bench_onnx, machine, read_metadata, time_fn

TARGET_P99_MS = {"fast-cnn": 100.0}
# Speed goals of the fast CNN per precision (p50, one thread), reported with their margin;
# int8 speed depends on the CPU's integer dot-product instructions (AVX-512 VNNI / AVX-VNNI
# run it about 2x faster than plain AVX2), so these are reported, not enforced.
GOAL_P50_MS = {("fast-cnn", "fp32"): 25.0, ("fast-cnn", "int8"): 6.0}
DEFAULT_ONNX = {"fast-cnn": [REPO / "models" / "fast_cnn.onnx", REPO / "models" / "fast_cnn.int8.onnx"]}


def providers() -> list[str]:
    avail = ort.get_available_providers()
    return [p for p in ("CPUExecutionProvider", "CUDAExecutionProvider") if p in avail]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="fast-cnn", help=f"comma-separated model types ({', '.join(MODEL_TYPES)})")
    ap.add_argument("--model-type", choices=MODEL_TYPES, help="a single model type (same as --models)")
    ap.add_argument("--checkpoint", type=Path, help="weights for the PyTorch run of the (single) model type")
    ap.add_argument("--onnx", type=Path, action="append", help="ONNX file(s) to time (repeatable)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--json", type=Path, default=REPO / ".voiceflow" / "models-bench.json")
    ap.add_argument("--no-fail", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    types = [args.model_type] if args.model_type else [t.strip() for t in args.models.split(",") if t.strip()]
    window = example_windows(1)[0]
    results, misses = [], 0
    print(f"machine: {machine()['cpu']} ({machine()['isa']}); threads {args.threads}; providers {providers()}")
    print(f"{'model':<14} {'runtime':<34} {'mean':>8} {'p50':>8} {'p95':>8} {'p99':>8}  (ms per 5 s window)")
    for mt in types:
        model, _ = load_model(mt, args.checkpoint if len(types) == 1 else None)
        runs = args.runs if mt == "fast-cnn" else max(5, args.runs // 20)
        fused = model.fuse().eval()
        x = torch.from_numpy(window.reshape(1, 1, -1))
        with torch.no_grad():
            r = time_fn(lambda f=fused, x=x: f(x), args.warmup if mt == "fast-cnn" else 2, runs)
        rows = [{"model_type": mt, "runtime": "pytorch", "precision": "fp32", "provider": "cpu", **r}]
        # --onnx files go to the model type whose name their metadata declares
        files = [p for p in (args.onnx or []) if read_metadata(p).get("voiceflow.name") == model.name]
        if not args.onnx:
            files = [p for p in DEFAULT_ONNX.get(mt, []) if p.exists()]
        tmp = None
        if not files:
            tmp = tempfile.TemporaryDirectory()
            f = Path(tmp.name) / f"{mt}.onnx"
            export_fp32(model, f)
            files = [f]
        for f in files:
            meta = read_metadata(f)
            for prov in providers():
                r = bench_onnx(f, window, args.threads, prov, args.warmup if mt == "fast-cnn" else 2, runs)
                rows.append({"model_type": mt, "runtime": "onnxruntime", "file": f.name,
                             "precision": meta.get("voiceflow.precision", "fp32"), "provider": prov, **r})
        if tmp:
            tmp.cleanup()
        for row in rows:
            label = row["runtime"] if row["runtime"] == "pytorch" else f"ort {row['provider'][:-17]} {row['file']}"
            line = (f"{mt:<14} {label:<34} {row['mean_ms']:8.2f} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
                    f"{row['p99_ms']:8.2f}")
            target = TARGET_P99_MS.get(mt)
            if target and row["runtime"] == "onnxruntime" and row["provider"] == "CPUExecutionProvider":
                margin = target - row["p99_ms"]
                row["target_p99_ms"], row["margin_ms"], row["meets_target"] = target, round(margin, 3), margin >= 0
                verdict = "OK" if margin >= 0 else "MISSED"
                line += f"   target P99 <= {target:.0f} ms: {verdict}, margin {margin:+.2f} ms"
                misses += 0 if margin >= 0 or args.threads != 1 else 1
                goal = GOAL_P50_MS.get((mt, row["precision"]))
                if goal:
                    row["goal_p50_ms"], row["meets_p50_goal"] = goal, row["p50_ms"] <= goal
                    line += f"; p50 goal <= {goal:.0f} ms: {'OK' if row['meets_p50_goal'] else 'MISSED'}"
            print(line, flush=True)
            row["parameters"] = count_parameters(model)
            results.append(row)
    report = {"machine": machine(), "threads": args.threads, "window_s": 5.0, "runs": args.runs,
              "torch": torch.__version__, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report -> {args.json}")
    return 1 if misses and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
