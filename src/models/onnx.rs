//! One ONNX model file opened with ONNX Runtime, shared by all streams.
//!
//! `ort` needs `&mut Session` to run, so a model keeps a small pool of ONNX Runtime
//! sessions: a run takes an idle one (creating it when all are busy) and puts it back.
//! Streams used one after another share a single session; memory grows only with the
//! number of streams that run inference at the same instant.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session;

use crate::error::{Error, Result};

/// Execution provider of a model's ONNX Runtime sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Cpu,
    /// CUDA on the GPU with this index.
    Cuda(u32),
}

/// Largest model file voiceflow will read (guards against absurd inputs).
const MAX_MODEL_BYTES: u64 = 2 << 30;

pub(crate) struct OnnxModel {
    path: PathBuf,
    bytes: Vec<u8>,
    environment: Environment,
    intra_threads: usize,
    provider: Provider,
    idle: Mutex<Vec<Session>>,
    input_names: Vec<String>,
    output_names: Vec<String>,
}

impl OnnxModel {
    /// Reads and opens `path`; returns it with its metadata properties.
    /// A CUDA provider that cannot start is a `DeviceUnavailable` error.
    pub fn open(
        path: &Path,
        environment: Environment,
        intra_threads: usize,
        provider: Provider,
    ) -> Result<(Self, HashMap<String, String>)> {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::model(path, format!("cannot be read: {e}")))?
            .len();
        if size > MAX_MODEL_BYTES {
            return Err(Error::model(
                path,
                format!("is {size} bytes, larger than any voiceflow model"),
            ));
        }
        let bytes =
            std::fs::read(path).map_err(|e| Error::model(path, format!("cannot be read: {e}")))?;
        let mut model = OnnxModel {
            path: path.to_path_buf(),
            bytes,
            environment,
            intra_threads,
            provider,
            idle: Mutex::new(Vec::new()),
            input_names: Vec::new(),
            output_names: Vec::new(),
        };
        let session = model.new_session()?;
        let names = |outlets: &[ort::value::Outlet]| -> Vec<String> {
            outlets.iter().map(|o| o.name().to_string()).collect()
        };
        model.input_names = names(session.inputs());
        model.output_names = names(session.outputs());
        let metadata = session
            .metadata()
            .map_err(|e| Error::model(path, format!("metadata unreadable: {e}")))?;
        let mut props = HashMap::new();
        for key in metadata.custom_keys().unwrap_or_default() {
            if let Some(value) = metadata.custom(&key) {
                props.insert(key, value);
            }
        }
        drop(metadata);
        model
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(session);
        Ok((model, props))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the graph has the inputs and outputs a contract names.
    pub fn require_io(&self, inputs: &[&str], outputs: &[&str]) -> Result<()> {
        for (wanted, have, what) in [
            (inputs, &self.input_names, "input"),
            (outputs, &self.output_names, "output"),
        ] {
            for name in wanted {
                if !have.iter().any(|h| h == name) {
                    return Err(Error::model(
                        &self.path,
                        format!("has no {what} named {name:?} (it has {have:?})"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn new_session(&self) -> Result<Session> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::model(&self.path, format!("ONNX Runtime rejected it: {e}"))
        };
        let mut builder = Session::builder(&self.environment)
            .map_err(|e| fail(&e))?
            .with_intra_threads(self.intra_threads)
            .map_err(|e| fail(&e))?
            .with_inter_threads(1)
            .map_err(|e| fail(&e))?;
        if let Provider::Cuda(index) = self.provider {
            let cuda = crate::gpu::cuda_provider(index).ok_or_else(|| {
                Error::device("voiceflow was built without the `cuda` cargo feature")
            })?;
            builder = builder.with_execution_providers([cuda]).map_err(|e| {
                let cause = e.to_string();
                let hint = if cause.contains("libcuda.so") {
                    " (no NVIDIA driver on this machine)"
                } else {
                    ""
                };
                Error::device(format!(
                    "the CUDA execution provider could not start on GPU {index}{hint}: {}",
                    cause.trim()
                ))
            })?;
        }
        match (builder.commit_from_memory(&self.bytes), self.provider) {
            (Ok(session), _) => Ok(session),
            (Err(e), Provider::Cpu) => Err(fail(&e)),
            (Err(e), Provider::Cuda(index)) => {
                // The model or the device? A model that builds on the CPU is fine, so
                // then the GPU is what failed (bad index, out of memory, old driver...).
                let builds_on_cpu = Session::builder(&self.environment)
                    .ok()
                    .and_then(|mut b| b.commit_from_memory(&self.bytes).ok())
                    .is_some();
                if builds_on_cpu {
                    Err(Error::device(format!(
                        "ONNX Runtime could not build a CUDA session on GPU {index} for {}: {e}",
                        self.path.display()
                    )))
                } else {
                    Err(fail(&e))
                }
            }
        }
    }

    /// Runs `f` with exclusive use of one ONNX Runtime session of this model.
    pub fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> Result<R>) -> Result<R> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut session = match pooled {
            Some(s) => s,
            None => self.new_session()?,
        };
        let result = f(&mut session);
        // A session that saw a panic in `f` is dropped with the unwinding stack instead.
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(session);
        result
    }
}
