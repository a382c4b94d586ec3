//! The GPU runtime that `make setup-gpu` installs, and GPU facts for reports.
//!
//! `scripts/setup_gpu.sh` puts ONNX Runtime with the CUDA execution provider and the CUDA /
//! cuDNN libraries it needs into one folder, `$VOICEFLOW_HOME/onnxruntime-gpu/`. The CUDA
//! provider library has no run path of its own, so before the first CUDA session voiceflow
//! loads those libraries from the runtime's folder (dependencies first, as ONNX Runtime's
//! Python `preload_dlls` does): the provider then finds them already loaded, with no
//! `LD_LIBRARY_PATH`. A runtime elsewhere (e.g. `ORT_DYLIB_PATH` into a system CUDA set-up)
//! without these files next to it relies on the system's library search instead.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::runtime;

/// Folder of the GPU runtime inside the set-up folder.
pub fn runtime_dir() -> PathBuf {
    runtime::default_home().join("onnxruntime-gpu")
}

/// CUDA 13 and cuDNN 9 libraries of the `onnxruntime-gpu` 1.31 wheel's `cuda`/`cudnn`
/// extras, each after the libraries it links to. cuDNN loads its sub-libraries itself
/// (they sit next to it, found through its `$ORIGIN` run path).
pub const CUDA_LIBRARIES: [&str; 7] = [
    "libcudart.so.13",
    "libcublasLt.so.13",
    "libcublas.so.13",
    "libcurand.so.10",
    "libcufft.so.12",
    "libnvrtc.so.13",
    "libcudnn.so.9",
];

/// Outcome of the preload, kept for the life of the process (libraries never unload).
static PRELOADED: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// Loads [`CUDA_LIBRARIES`] from the folder of the ONNX Runtime library in use, once per
/// process. A folder without them is left to the system's search (not an error here: the
/// CUDA provider then reports what it cannot find).
pub fn preload_cuda_libraries(ort_library: &Path) -> Result<(), String> {
    let mut slot = PRELOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(done) = slot.as_ref() {
        return done.clone();
    }
    let dir = std::fs::canonicalize(ort_library)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let result = if dir.join(CUDA_LIBRARIES[0]).is_file() {
        CUDA_LIBRARIES.iter().try_for_each(|name| {
            ort::util::preload_dylib(dir.join(name))
                .map_err(|e| format!("could not load {}: {e}", dir.join(name).display()))
        })
    } else {
        Ok(())
    };
    *slot = Some(result.clone());
    result
}

/// Whether the loaded ONNX Runtime has the CUDA execution provider (is a GPU build).
#[cfg(feature = "cuda")]
pub(crate) fn cuda_provider_available() -> Result<bool, String> {
    use ort::ep::ExecutionProvider;
    ort::ep::CUDA::is_available().map_err(|e| e.to_string())
}

/// Whether the loaded ONNX Runtime has the CUDA execution provider: never asked in a
/// build without the `cuda` feature.
#[cfg(not(feature = "cuda"))]
pub(crate) fn cuda_provider_available() -> Result<bool, String> {
    Ok(false)
}

/// The CUDA execution provider on GPU `index`; registration errors are returned, never
/// silently replaced by the CPU.
#[cfg(feature = "cuda")]
pub(crate) fn cuda_provider(index: u32) -> Option<ort::ep::ExecutionProviderDispatch> {
    Some(
        ort::ep::CUDA::default()
            .with_device_id(index as i32)
            .build()
            .error_on_failure(),
    )
}

/// No CUDA execution provider in a build without the `cuda` feature.
#[cfg(not(feature = "cuda"))]
pub(crate) fn cuda_provider(_index: u32) -> Option<ort::ep::ExecutionProviderDispatch> {
    None
}

/// GPU memory this process holds, in MiB, as `nvidia-smi` reports it; `None` when it
/// cannot tell (no `nvidia-smi`, no GPU, or this process holds no GPU memory).
pub fn process_gpu_memory_mib() -> Option<f64> {
    let out = std::process::Command::new("nvidia-smi")
        .args([
            "--query-compute-apps=pid,used_memory",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_compute_apps(&String::from_utf8_lossy(&out.stdout), std::process::id())
}

/// Sums the `used_memory` column of `nvidia-smi --query-compute-apps` rows of `pid`.
fn parse_compute_apps(csv: &str, pid: u32) -> Option<f64> {
    let mine: Vec<f64> = csv
        .lines()
        .filter_map(|line| {
            let (p, mib) = line.split_once(',')?;
            (p.trim().parse::<u32>().ok()? == pid).then(|| mib.trim().parse::<f64>().ok())?
        })
        .collect();
    (!mine.is_empty()).then(|| mine.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_apps_rows_of_this_pid_are_summed() {
        let csv = "123, 500\n456, 1200\n123, 24\nbad line\n";
        assert_eq!(parse_compute_apps(csv, 123), Some(524.0));
        assert_eq!(parse_compute_apps(csv, 456), Some(1200.0));
        assert_eq!(parse_compute_apps(csv, 789), None);
        assert_eq!(parse_compute_apps("", 1), None);
    }

    #[test]
    fn a_folder_without_cuda_libraries_is_left_to_the_system() {
        // The CPU runtime's folder has no CUDA libraries: nothing is loaded, no error.
        let dir = std::env::temp_dir().join(format!("vf-no-cuda-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            preload_cuda_libraries(&dir.join("libonnxruntime.so")),
            Ok(())
        );
    }
}
