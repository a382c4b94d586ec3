//! Streaming voice activity detection with silero VAD (`vad` contract): one speech
//! probability per chunk of 512 samples, with recurrent state carried between calls.

use ort::value::TensorRef;

use super::contract::VadContract;
use super::onnx::OnnxModel;
use crate::error::{Error, Result};

pub struct VadModel {
    onnx: OnnxModel,
    contract: VadContract,
}

/// Per-stream recurrent state of the VAD.
#[derive(Debug, Clone)]
pub struct VadState {
    h: Vec<f32>,
    c: Vec<f32>,
    /// Last `context_samples` of the previous chunk (the model looks back that far).
    context: Vec<f32>,
    /// Scratch for the model's input rows; kept to avoid allocating every step.
    rows: Vec<f32>,
}

impl VadModel {
    pub(crate) fn new(onnx: OnnxModel, contract: VadContract) -> Result<Self> {
        onnx.require_io(&["input", "h", "c"], &["speech_probs", "hn", "cn"])?;
        let model = VadModel { onnx, contract };
        // Prove the declared shapes at open time, not in the middle of a stream.
        let mut probs = Vec::new();
        model.process(
            &mut model.new_state(),
            &vec![0.0; model.contract.chunk_samples],
            &mut probs,
        )?;
        if probs.len() != 1 {
            return Err(Error::model(
                model.onnx.path(),
                "returned a wrong number of speech probabilities",
            ));
        }
        Ok(model)
    }

    pub fn contract(&self) -> &VadContract {
        &self.contract
    }

    pub fn new_state(&self) -> VadState {
        VadState {
            h: vec![0.0; self.contract.state_size],
            c: vec![0.0; self.contract.state_size],
            context: vec![0.0; self.contract.context_samples],
            rows: Vec::new(),
        }
    }

    /// Appends one speech probability per chunk of `samples` (whose length must be a
    /// multiple of the chunk size) to `probs`, in one inference call.
    pub fn process(
        &self,
        state: &mut VadState,
        samples: &[f32],
        probs: &mut Vec<f32>,
    ) -> Result<()> {
        let chunk = self.contract.chunk_samples;
        debug_assert_eq!(samples.len() % chunk, 0);
        let n = samples.len() / chunk;
        if n == 0 {
            return Ok(());
        }
        let width = self.contract.context_samples + chunk;
        state.rows.clear();
        for piece in samples.chunks_exact(chunk) {
            state.rows.extend_from_slice(&state.context);
            state.rows.extend_from_slice(piece);
            let keep = state.context.len();
            state.context.copy_from_slice(&piece[chunk - keep..]);
        }
        let hidden = [1usize, 1, self.contract.state_size];
        let VadState { h, c, rows, .. } = state;
        self.onnx.with_session(|session| {
            let err = |e: ort::Error| Error::inference("silero VAD", e);
            let outputs = session
                .run(ort::inputs![
                    "input" => TensorRef::from_array_view(([n, width], rows.as_slice())).map_err(err)?,
                    "h" => TensorRef::from_array_view((hidden, h.as_slice())).map_err(err)?,
                    "c" => TensorRef::from_array_view((hidden, c.as_slice())).map_err(err)?,
                ])
                .map_err(err)?;
            let (_, p) = outputs["speech_probs"].try_extract_tensor::<f32>().map_err(err)?;
            let (_, hn) = outputs["hn"].try_extract_tensor::<f32>().map_err(err)?;
            let (_, cn) = outputs["cn"].try_extract_tensor::<f32>().map_err(err)?;
            if p.len() != n || hn.len() != h.len() || cn.len() != c.len() {
                return Err(Error::inference("silero VAD", "unexpected output shape"));
            }
            probs.extend(p.iter().map(|v| if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 }));
            h.copy_from_slice(hn);
            c.copy_from_slice(cn);
            Ok(())
        })
    }
}
