//! Faults a file can cause: model files that break the contract (wrong declared values,
//! renamed outputs, missing keys), and corrupted model files (truncated, bytes flipped).
//! Each is a `Model` error naming the file, or a model that works; never a crash, and
//! the sessions already running on another model are unharmed.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use voiceflow::{Config, Model, ModelOptions, Status};

fn models_dir() -> PathBuf {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    voiceflow::runtime::default_home().join("models")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voiceflow-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replaces every occurrence of `from` by `to` (same length, so the protobuf stays
/// well-formed and only the meaning changes).
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut hits = 0;
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            hits += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(hits > 0, "{:?} not found", String::from_utf8_lossy(from));
    out
}

fn open_segmentation(path: &Path) -> voiceflow::Result<Model> {
    Model::open(&ModelOptions {
        segmentation: Some(path.to_path_buf()),
        ..ModelOptions::default()
    })
}

fn open_embedding(path: &Path) -> voiceflow::Result<Model> {
    Model::open(&ModelOptions {
        embedding: Some(path.to_path_buf()),
        ..ModelOptions::default()
    })
}

fn expect_model_error(result: voiceflow::Result<Model>, path: &Path, says: &str) {
    let err = result.err().expect("a broken model must be refused");
    assert_eq!(err.status(), Status::Model, "{err}");
    let message = err.message();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(says), "{message} should say {says:?}");
}

#[test]
fn wrong_contract_model_files_are_model_errors_naming_the_problem() {
    let models = models_dir();
    let dir = scratch_dir("wrong-contract");
    let vad = std::fs::read(models.join("silero_vad.onnx")).unwrap();
    let ge2e = std::fs::read(models.join("ge2e.onnx")).unwrap();

    let cases: [(&str, Vec<u8>, bool, &str); 5] = [
        (
            "rate.onnx",
            patch(
                &vad,
                b"\x15voiceflow.sample_rate\x12\x0516000",
                b"\x15voiceflow.sample_rate\x12\x0548000",
            ),
            true,
            "only 16000 is supported",
        ),
        (
            "missing_key.onnx",
            patch(&vad, b"voiceflow.chunk_samples", b"voiceflow.chunk_samplez"),
            true,
            "voiceflow.chunk_samples is missing",
        ),
        (
            "renamed_output.onnx",
            patch(&vad, b"speech_probs", b"speech_prob_"),
            true,
            "speech_probs",
        ),
        (
            "unknown_kind.onnx",
            patch(
                &vad,
                b"\x0evoiceflow.kind\x12\x03vad",
                b"\x0evoiceflow.kind\x12\x03xyz",
            ),
            true,
            "unknown voiceflow.kind",
        ),
        (
            "wrong_dim.onnx",
            patch(
                &ge2e,
                b"\x17voiceflow.embedding_dim\x12\x03256",
                b"\x17voiceflow.embedding_dim\x12\x03255",
            ),
            false,
            "255",
        ),
    ];
    for (name, bytes, as_segmentation, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let result = if as_segmentation {
            open_segmentation(&path)
        } else {
            open_embedding(&path)
        };
        expect_model_error(result, &path, says);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A small deterministic generator (xorshift64*), so the corrupted files are the same on
/// every run.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn corrupted_model_files_are_refused_or_work_and_never_crash() {
    let models = models_dir();
    let dir = scratch_dir("corrupted");
    let original = std::fs::read(models.join("silero_vad.onnx")).unwrap();
    // A session on the default model streams while the corrupted files are tried.
    let audio = example_audio();
    let mut session = voiceflow::Session::new(model(), Config::default()).unwrap();
    let mut chunks = audio[..16_000 * 20].chunks(16_000);

    let mut rng = Xorshift(0x5eed_cafe_f00d_d00d);
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for len in [
        0,
        1,
        4,
        16,
        100,
        1_000,
        10_000,
        original.len() / 2,
        original.len() - 1,
    ] {
        variants.push((
            format!("truncated to {len} bytes"),
            original[..len].to_vec(),
        ));
    }
    for round in 0..24 {
        let mut bytes = original.clone();
        let flips = 1 + round % 8;
        for _ in 0..flips {
            let at = (rng.next() % bytes.len() as u64) as usize;
            bytes[at] ^= (rng.next() % 255 + 1) as u8;
        }
        variants.push((format!("{flips} bytes flipped (round {round})"), bytes));
    }
    let (mut refused, mut opened) = (0, 0);
    for (i, (what, bytes)) in variants.iter().enumerate() {
        let path = dir.join(format!("variant{i}.onnx"));
        std::fs::write(&path, bytes).unwrap();
        match open_segmentation(&path) {
            Ok(_) => opened += 1,
            Err(e) => {
                assert_eq!(e.status(), Status::Model, "{what}: {e}");
                assert!(
                    e.message().contains(&path.display().to_string()),
                    "{what}: {e}"
                );
                refused += 1;
            }
        }
        if let Some(piece) = chunks.next() {
            session.push(piece, 16_000, 1).unwrap();
        }
    }
    eprintln!("corrupted model files: {refused} refused, {opened} opened and ran");
    assert!(refused >= 9, "every truncated file is refused");
    for piece in chunks {
        session.push(piece, 16_000, 1).unwrap();
    }
    session.flush().unwrap();
    let got = session.poll();
    let clean = diarize(
        model(),
        Config::default(),
        &audio[..16_000 * 20],
        16_000,
        1,
        16_000,
    );
    assert_eq!(got, clean, "the running session was not affected");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_push_of_a_billion_samples_is_refused_up_front() {
    let mut session = voiceflow::Session::new(model(), Config::default()).unwrap();
    // A real slice this size would be 4 GB; the limit is checked on the length alone,
    // so the check is shown through the documented constant and one over it.
    let limit = voiceflow::pipeline::MAX_PUSH_SAMPLES;
    assert!(limit < 1_000_000_000);
    let over = vec![0i16; limit + 1];
    let err = session.push_i16(&over, 16_000, 1).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("nothing was consumed"), "{err}");
    assert_eq!(session.stats().audio_seconds, 0.0);
    session.push(&[0.0; 1600], 16_000, 1).unwrap();
    assert!(session.stats().audio_seconds > 0.0);
}
