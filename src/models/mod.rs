//! Models: loaded once, immutable, `Send + Sync`, shared by any number of sessions.

pub mod contract;
mod embedding;
mod onnx;
mod segmentation;
mod vad;

use std::path::PathBuf;

pub use contract::{
    EmbeddingContract, ModelKind, Provenance, RecommendedSettings, SegmentationContract,
    VadContract,
};
pub use embedding::{normalize, EmbeddingModel};
pub use segmentation::SegmentationModel;
pub use vad::{VadModel, VadState};

use crate::error::{Error, Result};
use crate::runtime;
use contract::Metadata;
use onnx::OnnxModel;

/// Where to find the models and ONNX Runtime, and how many threads inference may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOptions {
    /// Segmentation model: a `vad` model (one speaker) or a `segmentation` model
    /// (K local speakers). Default: silero VAD from the set-up folder.
    pub segmentation: Option<PathBuf>,
    /// Embedding model. Default: the GE2E encoder from the set-up folder.
    pub embedding: Option<PathBuf>,
    /// ONNX Runtime library; see [`runtime::environment`] for the search order.
    pub runtime_library: Option<PathBuf>,
    /// Intra-op threads of each inference (1..=64). Default 1.
    pub intra_threads: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            segmentation: None,
            embedding: None,
            runtime_library: None,
            intra_threads: 1,
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
}

/// Default model paths inside the set-up folder.
pub fn default_model_path(kind: ModelKind) -> PathBuf {
    let file = match kind {
        ModelKind::Vad | ModelKind::Segmentation => "silero_vad.onnx",
        ModelKind::Embedding => "ge2e.onnx",
    };
    runtime::default_home().join("models").join(file)
}

impl Model {
    /// Loads ONNX Runtime (if not loaded yet) and both models, checking each against the
    /// model contract and running it once on silence.
    pub fn open(options: &ModelOptions) -> Result<Model> {
        if !(1..=64).contains(&options.intra_threads) {
            return Err(Error::config(
                "intra_threads",
                format!("{} must be in 1..=64", options.intra_threads),
            ));
        }
        let env = runtime::environment(options.runtime_library.as_deref())?;
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
            let (onnx, props) = OnnxModel::open(&path, env.clone(), options.intra_threads)?;
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
        })
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    pub fn embedder(&self) -> &EmbeddingModel {
        &self.embedder
    }

    /// Binarization settings the segmentation model recommends for its scores; a
    /// session uses them for the settings its config leaves unset.
    pub fn recommended_settings(&self) -> RecommendedSettings {
        match &self.segmenter {
            Segmenter::Vad(m) => m.contract().recommended,
            Segmenter::Windowed(m) => m.contract().recommended,
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
