//! Speaker embedding models (`embedding` contract): waveform in, one L2-normalised
//! voiceprint per batch row out.

use ort::value::TensorRef;

use super::contract::EmbeddingContract;
use super::onnx::OnnxModel;
use crate::error::{Error, Result};

pub struct EmbeddingModel {
    onnx: OnnxModel,
    contract: EmbeddingContract,
}

impl EmbeddingModel {
    pub(crate) fn new(onnx: OnnxModel, contract: EmbeddingContract) -> Result<Self> {
        onnx.require_io(&["waveform"], &["embedding"])?;
        let model = EmbeddingModel { onnx, contract };
        let mut probe = Vec::new();
        model.embed(&vec![0.0; model.contract.min_samples], 1, &mut probe)?;
        Ok(model)
    }

    pub fn contract(&self) -> &EmbeddingContract {
        &self.contract
    }

    /// Embeds `rows` equally long waveforms stored back to back in `batch`, in one
    /// inference call; writes `rows x embedding_dim` values (re-normalised) to `out`.
    pub fn embed(&self, batch: &[f32], rows: usize, out: &mut Vec<f32>) -> Result<()> {
        let dim = self.contract.embedding_dim;
        debug_assert!(rows > 0 && batch.len().is_multiple_of(rows));
        let len = batch.len() / rows;
        self.onnx.with_session(|session| {
            let err = |e: ort::Error| Error::inference("embedding model", e);
            let outputs = session
                .run(ort::inputs![
                    "waveform" => TensorRef::from_array_view(([rows, len], batch)).map_err(err)?,
                ])
                .map_err(err)?;
            let (_, values) = outputs["embedding"]
                .try_extract_tensor::<f32>()
                .map_err(err)?;
            if values.len() != rows * dim {
                return Err(Error::model(
                    self.onnx.path(),
                    format!("returned {} values, expected {rows} x {dim}", values.len()),
                ));
            }
            out.clear();
            out.extend_from_slice(values);
            Ok(())
        })?;
        for v in out.chunks_exact_mut(dim) {
            normalize(v);
        }
        Ok(())
    }
}

/// Scales `v` to unit L2 norm; non-finite or zero vectors become zero.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm.is_finite() && norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    } else {
        v.iter_mut().for_each(|x| *x = 0.0);
    }
}
