//! Device choice on a CPU-only machine: every CI run. `make test` runs this file twice,
//! once built without and once with the `cuda` feature; each build checks its own
//! behaviour (no skips). Each case runs the CLI in its own process, because ONNX Runtime
//! is loaded once per process and these cases need different runtimes.

mod common;

use std::process::{Command, Output};

use common::*;

/// The CPU-only ONNX Runtime of `make setup`, named explicitly so that a `cuda` build
/// does not pick the GPU runtime of `make setup-gpu` when that is installed.
fn cpu_runtime() -> String {
    path_str(&voiceflow::runtime::default_home().join("onnxruntime/libonnxruntime.so"))
}

fn diarize(args: &[&str]) -> Output {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    let wav = path_str(&example_wav());
    Command::new(env!("CARGO_BIN_EXE_voiceflow"))
        .args(["diarize", wav.as_str(), "--format", "rttm"])
        .args(args)
        .env("ORT_DYLIB_PATH", cpu_runtime())
        .output()
        .expect("run the voiceflow binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Why CUDA cannot be used here: the build, or (with the feature) the CPU-only runtime.
fn expected_cause() -> &'static str {
    if cfg!(feature = "cuda") {
        "CPU-only build without the CUDA execution provider"
    } else {
        "built without the `cuda` cargo feature"
    }
}

#[test]
fn cuda_without_fallback_is_a_clear_error() {
    for device in ["cuda", "cuda:1"] {
        let out = diarize(&["--device", device]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty(), "no segments on failure");
        assert!(err.contains("is unavailable"), "{err}");
        assert!(err.contains(expected_cause()), "{err}");
        assert!(
            err.contains("allow CPU fallback"),
            "says the way out: {err}"
        );
    }
}

#[test]
fn cuda_with_fallback_runs_on_cpu_says_so_and_matches_cpu() {
    let cpu = diarize(&["--device", "cpu"]);
    assert!(cpu.status.success(), "{}", text(&cpu.stderr));
    assert!(
        cpu.stderr.is_empty(),
        "no device note on the CPU: {}",
        text(&cpu.stderr)
    );
    for args in [
        &["--device", "cuda", "--allow-cpu-fallback"][..],
        &["--device", "best"][..],
    ] {
        let out = diarize(args);
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("device cpu (fallback from") && err.contains(expected_cause()),
            "the fallback is reported with its cause: {err}"
        );
        assert_eq!(text(&out.stdout), text(&cpu.stdout), "same segments as cpu");
    }
}

#[test]
fn cpu_thread_counts_and_bad_device_strings() {
    let two = diarize(&["--device", "cpu:2"]);
    assert!(two.status.success(), "{}", text(&two.stderr));
    assert!(!two.stdout.is_empty());
    for bad in ["gpu", "cuda:-1", "cpu:0", "cuda:x"] {
        let out = diarize(&["--device", bad]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad}: {err}");
        assert!(
            err.contains(&format!("device {bad:?}")) && err.contains("expected \"cpu\""),
            "{err}"
        );
    }
}

#[test]
fn bench_reports_the_device() {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    let wav = path_str(&example_wav());
    let out = Command::new(env!("CARGO_BIN_EXE_voiceflow"))
        .args(["bench", wav.as_str(), "--extra-sessions", "0"])
        .args(["--device", "best", "--max-batch", "4"])
        .env("ORT_DYLIB_PATH", cpu_runtime())
        .output()
        .expect("run the voiceflow binary");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["device"], "cpu");
    assert_eq!(report["device_requested"], "best");
    assert!(
        report["device_fallback"]
            .as_str()
            .is_some_and(|r| r.contains(expected_cause())),
        "{report}"
    );
    assert!(
        report["gpu_memory_mb"].is_null(),
        "no GPU memory on the CPU"
    );
    // The default segmenter (segmentation-3.0) is windowed: it batches as asked.
    assert_eq!(report["max_batch"], 4);
}
