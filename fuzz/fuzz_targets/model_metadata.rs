//! The model contract parser on arbitrary `metadata_props`: a contract or a `Model` error
//! naming the file, never a panic. Keys are drawn mostly from the real ones so that the
//! fuzzer reaches the value checks.
#![no_main]

use std::collections::HashMap;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use voiceflow::models::contract::Metadata;
use voiceflow::models::ModelKind;
use voiceflow::Status;

const KEYS: [&str; 17] = [
    "kind",
    "sample_rate",
    "name",
    "version",
    "license",
    "chunk_samples",
    "context_samples",
    "state_size",
    "window_samples",
    "frame_step_samples",
    "frame_offset_samples",
    "frame_length_samples",
    "speakers",
    "output",
    "max_overlap",
    "embedding_dim",
    "min_samples",
];

#[derive(arbitrary::Arbitrary, Debug)]
enum Key {
    Known(u8),
    Other(String),
}

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    props: Vec<(Key, String)>,
    expected: u8,
}

fuzz_target!(|input: Input| {
    let props: HashMap<String, String> = input
        .props
        .into_iter()
        .map(|(key, value)| {
            let key = match key {
                Key::Known(i) => format!("voiceflow.{}", KEYS[usize::from(i) % KEYS.len()]),
                Key::Other(k) => k,
            };
            (key, value)
        })
        .collect();
    let path = Path::new("fuzz.onnx");
    let meta = Metadata::new(path, props);
    let expected: &[ModelKind] = match input.expected % 3 {
        0 => &[ModelKind::Vad, ModelKind::Segmentation],
        1 => &[ModelKind::Embedding],
        _ => &[ModelKind::Segmentation],
    };
    let check = |e: voiceflow::Error| {
        assert_eq!(e.status(), Status::Model);
        assert!(e.message().contains("fuzz.onnx"), "{}", e.message());
    };
    match meta.expect_kind(expected) {
        Err(e) => check(e),
        Ok(ModelKind::Vad) => {
            if let Err(e) = meta.vad() {
                check(e);
            }
        }
        Ok(ModelKind::Segmentation) => match meta.segmentation() {
            Ok(contract) => {
                assert!(contract.frames() > 0);
                assert!(contract.classes() > 0);
            }
            Err(e) => check(e),
        },
        Ok(ModelKind::Embedding) => match meta.embedding() {
            Ok(contract) => assert!(contract.min_samples <= contract.window_samples),
            Err(e) => check(e),
        },
    }
});
