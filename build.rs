//! Generates the C header from `src/capi` with cbindgen into Cargo's `OUT_DIR`.
//! The committed `include/voiceflow.h` is checked against it by a test, so an ABI change
//! cannot go unnoticed.

use std::path::PathBuf;

fn main() {
    // cbindgen parses the whole crate (a `pub const` anywhere lands in the header), so
    // any source change must regenerate it, not only changes under src/capi.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("voiceflow.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(&out);
        }
        Err(e) => panic!("cbindgen failed: {e}"),
    }
    println!(
        "cargo:rustc-env=VOICEFLOW_GENERATED_HEADER={}",
        out.display()
    );
}
