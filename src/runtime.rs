//! The process-wide ONNX Runtime environment and where its library is found.
//!
//! ONNX Runtime allows one environment per process, so it lives in a process-wide cell.
//! The library is looked up, in order, at: the path given through the API, the
//! `ORT_DYLIB_PATH` environment variable, and the project's set-up folder
//! (`$VOICEFLOW_HOME/onnxruntime/`, by default `.voiceflow/` in the source tree the library
//! was built from). A build with the `cuda` feature prefers the GPU runtime of
//! `make setup-gpu` (`$VOICEFLOW_HOME/onnxruntime-gpu/`) when it is installed: it runs CPU
//! models too, so one process can hold CPU and CUDA models. A missing, unloadable or too
//! old library is an error, never a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;

use crate::error::{Error, Result, Status};

/// Oldest ONNX Runtime minor version (1.x) that voiceflow accepts.
pub const MIN_ORT_MINOR: u32 = 31;

/// File name of the library inside the set-up folder.
const ORT_LIBRARY_FILE: &str = "libonnxruntime.so";

/// The environment, once it has been created successfully; failures are not cached, so
/// a caller can retry with another library path.
static ENVIRONMENT: Mutex<Option<(Environment, PathBuf)>> = Mutex::new(None);

/// The folder that `make setup` fills: `$VOICEFLOW_HOME`, else `.voiceflow/` next to the
/// sources this library was built from.
pub fn default_home() -> PathBuf {
    match std::env::var_os("VOICEFLOW_HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".voiceflow"),
    }
}

/// Where the ONNX Runtime library would be looked for, with where that choice came from.
pub fn resolve_library_path(explicit: Option<&Path>) -> (PathBuf, &'static str) {
    if let Some(path) = explicit {
        return (path.to_path_buf(), "the path given to voiceflow");
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return (PathBuf::from(path), "ORT_DYLIB_PATH");
    }
    let gpu = crate::gpu::runtime_dir().join(ORT_LIBRARY_FILE);
    if cfg!(feature = "cuda") && gpu.is_file() {
        (gpu, "the voiceflow GPU set-up folder")
    } else {
        (
            default_home().join("onnxruntime").join(ORT_LIBRARY_FILE),
            "the voiceflow set-up folder",
        )
    }
}

/// Returns the process-wide ONNX Runtime environment, loading the library on first use.
///
/// Once a library is loaded it stays loaded for the life of the process; a later call that
/// names another library gets the loaded one.
pub fn environment(explicit_library: Option<&Path>) -> Result<Environment> {
    let mut slot = ENVIRONMENT
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    if let Some((env, _)) = slot.as_ref() {
        return Ok(env.clone());
    }
    let (path, source) = resolve_library_path(explicit_library);
    let env = load(&path, source)?;
    *slot = Some((env.clone(), path));
    Ok(env)
}

/// Path of the loaded ONNX Runtime library, if one is loaded.
pub fn loaded_library() -> Option<PathBuf> {
    let slot = ENVIRONMENT
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    slot.as_ref().map(|(_, path)| path.clone())
}

fn load(path: &Path, source: &str) -> Result<Environment> {
    const FIX: &str = "run `make setup` (it installs ONNX Runtime 1.32 into .voiceflow/), \
                       or point ORT_DYLIB_PATH at libonnxruntime.so 1.31 or newer";
    let unavailable = |what: String| {
        Error::new(
            Status::RuntimeUnavailable,
            format!(
                "ONNX Runtime library {} (from {source}) {what}; {FIX}",
                path.display()
            ),
        )
    };
    if !path.is_file() {
        return Err(unavailable("does not exist".into()));
    }
    // ort panics (rather than erroring) on some malformed libraries; keep that inside.
    let built = catch_unwind(AssertUnwindSafe(|| {
        ort::init_from(path)
            .map_err(|e| match e {
                ort::LoadDynamicError::BadVersion { version_str, .. } => format!(
                    "is version {version_str}, older than the 1.{MIN_ORT_MINOR} voiceflow needs"
                ),
                other => format!("could not be loaded: {other}"),
            })?
            .with_name("voiceflow")
            .build()
            .map_err(|e| format!("failed to create an environment: {e}"))
    }));
    match built {
        Ok(Ok(env)) => Ok(env),
        Ok(Err(what)) => Err(unavailable(what)),
        Err(_) => Err(unavailable("is not a usable ONNX Runtime library".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins() {
        let (path, source) = resolve_library_path(Some(Path::new("/x/libort.so")));
        assert_eq!(path, PathBuf::from("/x/libort.so"));
        assert!(source.contains("given"));
    }

    #[test]
    fn missing_library_is_an_error_naming_path_and_fix() {
        let err = load(Path::new("/nonexistent/libonnxruntime.so"), "test").unwrap_err();
        assert_eq!(err.status(), Status::RuntimeUnavailable);
        assert!(err.message().contains("/nonexistent/libonnxruntime.so"));
        assert!(err.message().contains("make setup"));
    }
}
