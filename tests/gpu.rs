//! GPU test: `make test-gpu` on a machine with an NVIDIA GPU, after `make setup-gpu`.
//! Not part of `make test` (CI machines have no GPU): built only with the `cuda` feature,
//! and it FAILS, naming the cause, when CUDA cannot be used. It runs the fast CNN and the
//! FP16 sophisticated model on CUDA, checks that their segments agree with the CPU's on
//! the example conversation, and prints per-window latency (p50/p95/p99), the session's
//! real-time factor and the GPU memory this process holds.
#![cfg(feature = "cuda")]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use common::*;
use voiceflow::models::{Device, Segmenter};
use voiceflow::{Config, Model, ModelOptions, Segment};

/// The sophisticated model's exports (`make test-gpu` makes them); override with
/// `VOICEFLOW_SOPHISTICATED_FP16` / `VOICEFLOW_SOPHISTICATED_FP32`.
fn sophisticated(var: &str, file: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        voiceflow::runtime::default_home()
            .join("models-export")
            .join(file)
    })
}

fn open(segmentation: PathBuf, device: Device) -> Arc<Model> {
    let options = ModelOptions {
        segmentation: Some(segmentation.clone()),
        device,
        intra_threads: 4,
        ..ModelOptions::default()
    };
    let model = Model::open(&options).unwrap_or_else(|e| {
        panic!(
            "{} on {device}: {e}\n(this test needs an NVIDIA GPU, its driver and `make setup-gpu`)",
            segmentation.display()
        )
    });
    assert_eq!(model.device().fallback, None);
    if device.wants_gpu() {
        assert_eq!(model.device().used, "cuda:0");
    }
    Arc::new(model)
}

/// Powerset models want their own thresholds (the defaults suit the VAD); the fast CNN
/// declares these, the untrained sophisticated model declares none.
fn config() -> Config {
    Config {
        onset: Some(0.5),
        offset: Some(0.35),
        tau_active: Some(0.5),
        ..Config::default()
    }
}

/// Segments of a whole session, pushed in 1 s pieces (two windows per push, so batched),
/// with the session's real-time factor.
fn run(model: Arc<Model>, audio: &[f32]) -> (Vec<Segment>, f64) {
    let started = Instant::now();
    let segments = diarize(model, config(), audio, 16_000, 1, 16_000);
    let rtf = started.elapsed().as_secs_f64() / (audio.len() as f64 / 16_000.0);
    (segments, rtf)
}

/// Agreement of two segmentations, one taken as the reference (best label mapping); two
/// empty ones agree (an untrained model may find no speech at all).
fn agree(reference: &[Segment], other: &[Segment]) -> f64 {
    if reference.is_empty() {
        return if other.is_empty() { 1.0 } else { 0.0 };
    }
    let truth: Vec<(String, f64, f64)> = reference
        .iter()
        .map(|s| (s.speaker.to_string(), s.start, s.end))
        .collect();
    agreement(&truth, other)
}

fn window_latency_ms(model: &Model, runs: usize) -> (f64, f64, f64) {
    let Segmenter::Windowed(seg) = model.segmenter() else {
        panic!("a windowed segmentation model")
    };
    let audio = example_audio();
    let window = &audio[16_000..16_000 + seg.contract().window_samples];
    let mut out = Vec::new();
    for _ in 0..10 {
        seg.infer_batch(window, 1, &mut out).unwrap(); // warm-up: kernels, arena, cuDNN search
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            seg.infer_batch(window, 1, &mut out).unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.95), at(0.99))
}

fn report(name: &str, model: &Model, cpu: &[Segment], gpu: &[Segment], rtf: (f64, f64)) {
    let (p50, p95, p99) = window_latency_ms(model, 200);
    println!(
        "{name}: per 5 s window on cuda:0 p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms; \
         session RTF cpu {:.4}, cuda {:.4}; segments cpu {} cuda {}, agreement {:.3}; \
         GPU memory {:?} MiB",
        rtf.0,
        rtf.1,
        cpu.len(),
        gpu.len(),
        agree(cpu, gpu),
        voiceflow::gpu::process_gpu_memory_mib()
    );
}

#[test]
fn fast_cnn_and_sophisticated_fp16_agree_on_cpu_and_cuda() {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    let audio = example_audio();

    let fast = repo().join("models/fast_cnn.onnx");
    let gpu_model = open(fast.clone(), Device::Cuda(0)); // first: fail fast without CUDA
    let (cpu, cpu_rtf) = run(open(fast, Device::Cpu), &audio);
    let (gpu, gpu_rtf) = run(Arc::clone(&gpu_model), &audio);
    report("fast-cnn fp32", &gpu_model, &cpu, &gpu, (cpu_rtf, gpu_rtf));
    assert_eq!(speakers(&cpu), speakers(&gpu), "cpu {cpu:?}\ncuda {gpu:?}");
    assert!(agree(&cpu, &gpu) >= 0.98, "cpu {cpu:?}\ncuda {gpu:?}");

    // The FP16 export on the GPU against the FP32 export (same weights) on the CPU, on
    // the first 20 s (the CPU takes seconds per window of this model).
    let clip = &audio[..20 * 16_000];
    let fp32 = sophisticated("VOICEFLOW_SOPHISTICATED_FP32", "sophisticated.onnx");
    let fp16 = sophisticated("VOICEFLOW_SOPHISTICATED_FP16", "sophisticated.fp16.onnx");
    let gpu_model = open(fp16, Device::Cuda(0));
    let (cpu, cpu_rtf) = run(open(fp32, Device::CpuThreads(8)), clip);
    let (gpu, gpu_rtf) = run(Arc::clone(&gpu_model), clip);
    report(
        "sophisticated fp16",
        &gpu_model,
        &cpu,
        &gpu,
        (cpu_rtf, gpu_rtf),
    );
    assert_eq!(speakers(&cpu), speakers(&gpu), "cpu {cpu:?}\ncuda {gpu:?}");
    assert!(agree(&cpu, &gpu) >= 0.95, "cpu {cpu:?}\ncuda {gpu:?}");
}
