//! The committed C header is exactly what cbindgen generates from `src/capi`.

#[test]
fn committed_header_matches_cbindgen_output() {
    let generated = std::fs::read_to_string(env!("VOICEFLOW_GENERATED_HEADER"))
        .expect("build.rs wrote the header");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/voiceflow.h"))
            .expect("include/voiceflow.h exists");
    assert!(
        generated == committed,
        "include/voiceflow.h is stale: run `make header` and commit it"
    );
}
