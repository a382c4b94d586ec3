"""ONNX Runtime helpers shared by export and benchmark: sessions, timing, metadata."""

from __future__ import annotations

import hashlib
import platform
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

OPT_LEVELS = {
    "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def session(path: Path | str, threads: int = 1, provider: str = "CPUExecutionProvider",
            opt_level: str = "all") -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = OPT_LEVELS[opt_level]
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=[provider])


def stats_ms(times_s: list[float]) -> dict[str, float]:
    t = np.asarray(times_s) * 1000.0
    return {"mean_ms": round(float(t.mean()), 3), "p50_ms": round(float(np.percentile(t, 50)), 3),
            "p95_ms": round(float(np.percentile(t, 95)), 3), "p99_ms": round(float(np.percentile(t, 99)), 3),
            "min_ms": round(float(t.min()), 3), "runs": len(t)}


def time_fn(fn, warmup: int = 10, runs: int = 100) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return stats_ms(times)


def bench_onnx(path: Path | str, window: np.ndarray, threads: int = 1, provider: str = "CPUExecutionProvider",
               warmup: int = 10, runs: int = 100) -> dict[str, float]:
    s = session(path, threads, provider)
    feed = {"waveform": window.reshape(1, 1, -1).astype(np.float32)}
    return time_fn(lambda: s.run(["scores"], feed), warmup, runs)


def read_metadata(path: Path | str) -> dict[str, str]:
    m = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def set_metadata(model: onnx.ModelProto, props: dict[str, str]) -> None:
    keep = [p for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    for p in keep:
        model.metadata_props.add(key=p.key, value=p.value)
    for k, v in sorted(props.items()):
        model.metadata_props.add(key=k, value=v)


def contract_frames(meta: dict[str, str]) -> int:
    """frames() as the engine computes it from the metadata."""
    w = int(meta["voiceflow.window_samples"])
    step = int(meta["voiceflow.frame_step_samples"])
    off = int(meta["voiceflow.frame_offset_samples"])
    length = int(meta.get("voiceflow.frame_length_samples", step))
    return (w - off - length) // step + 1 if w - off >= length else 0


def sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# CPU features that decide convolution speed, fp32 and above all int8 (VNNI).
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8")


def machine() -> dict[str, str]:
    cpu, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    cpu = cpu or platform.processor() or "unknown"
    isa = " ".join(f for f in ISA_FLAGS if f in flags) or "unknown"
    return {"cpu": cpu, "isa": isa, "python": platform.python_version(), "onnxruntime": ort.__version__,
            "onnx": onnx.__version__, "platform": platform.platform()}
