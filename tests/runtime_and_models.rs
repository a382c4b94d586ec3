//! Failures outside the audio path: ONNX Runtime missing, unloadable or too old; model
//! files missing, corrupt or of the wrong kind. Each runs the CLI in its own process,
//! because ONNX Runtime can be loaded only once per process.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn voiceflow(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_voiceflow"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the voiceflow binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn diarize_with(extra: &[&str], env: &[(&str, &str)]) -> Output {
    let wav = path_str(&example_wav());
    let mut args = vec!["diarize", wav.as_str()];
    args.extend_from_slice(extra);
    voiceflow(&args, env)
}

fn setup_models() -> std::path::PathBuf {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    voiceflow::runtime::default_home().join("models")
}

#[test]
fn missing_runtime_names_the_path_and_the_fix() {
    let out = diarize_with(&[], &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("/nonexistent/libonnxruntime.so") && err.contains("make setup"),
        "{err}"
    );
    assert!(
        err.contains("ORT_DYLIB_PATH"),
        "says where the path came from: {err}"
    );
}

#[test]
fn a_file_that_is_not_a_library_is_refused() {
    let wav = path_str(&example_wav());
    let out = diarize_with(&[], &[("ORT_DYLIB_PATH", wav.as_str())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("could not be loaded"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn too_old_runtime_is_refused_with_its_version() {
    // A stand-in library that reports ONNX Runtime 1.20.0.
    let dir = std::env::temp_dir().join(format!("voiceflow-old-ort-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("fake_ort.c");
    std::fs::write(
        &source,
        r#"
        typedef struct { const void *(*GetApi)(unsigned); const char *(*GetVersionString)(void); } Base;
        static const void *get_api(unsigned v) { (void)v; return 0; }
        static const char *version(void) { return "1.20.0"; }
        static const Base base = { get_api, version };
        const Base *OrtGetApiBase(void) { return &base; }
        "#,
    )
    .unwrap();
    let lib = dir.join("libonnxruntime.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&source)
        .status()
        .expect("a C compiler");
    assert!(built.success());
    let out = diarize_with(&[], &[("ORT_DYLIB_PATH", lib.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("1.20.0") && err.contains("older"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn model_files_missing_corrupt_or_of_the_wrong_kind_are_model_errors() {
    let models = setup_models();
    let out = diarize_with(&["--segmentation", "/nonexistent/seg.onnx"], &[]);
    assert!(
        stderr(&out).contains("/nonexistent/seg.onnx") && stderr(&out).contains("does not exist")
    );

    let ge2e = path_str(&models.join("ge2e.onnx"));
    let out = diarize_with(&["--segmentation", ge2e.as_str()], &[]);
    assert!(stderr(&out).contains("expected one of"), "{}", stderr(&out));

    let vad = path_str(&models.join("silero_vad.onnx"));
    let out = diarize_with(&["--embedding", vad.as_str()], &[]);
    assert!(stderr(&out).contains("is a Vad model"), "{}", stderr(&out));

    let dir = std::env::temp_dir().join(format!("voiceflow-bad-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(models.join("silero_vad.onnx")).unwrap();
    let truncated = dir.join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let garbage = dir.join("garbage.onnx");
    std::fs::write(&garbage, b"not an onnx model at all").unwrap();
    for bad in [&truncated, &garbage] {
        let out = diarize_with(&["--segmentation", bad.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(
            err.contains(bad.to_str().unwrap()) && err.contains("model"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_writes_rttm_json_and_text() {
    setup_models();
    let out = diarize_with(&["--format", "rttm"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 10);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (f[0], f[1], f.len()),
            ("SPEAKER", "conversation", 10),
            "{line}"
        );
    }
    let out = diarize_with(&["--format", "json", "--num-speakers", "2"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["uri"], "conversation");
    let ids: std::collections::BTreeSet<u64> = doc["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["speaker_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let out = diarize_with(&["--set", "bogus=1"], &[]);
    assert!(stderr(&out).contains("bogus"));
    assert!(Path::new(env!("CARGO_BIN_EXE_voiceflow")).is_file());
}

#[test]
fn bench_reports_speed_and_memory_as_json() {
    setup_models();
    let wav = path_str(&example_wav());
    let out = voiceflow(&["bench", wav.as_str(), "--extra-sessions", "2"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["real_time_factor", "time_to_first_segment_seconds"] {
        assert!(report[key].as_f64().unwrap() > 0.0, "{key}: {report}");
    }
    assert!(
        report["step_ms"]["p99"].as_f64().unwrap() >= report["step_ms"]["p50"].as_f64().unwrap()
    );
    assert!(report["rss_mb"]["peak"].as_f64().unwrap() > 10.0);
    assert!(report["steps"].as_u64().unwrap() > 100);
}
