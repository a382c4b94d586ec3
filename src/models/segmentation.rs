//! Windowed segmentation models (`segmentation` contract): a fixed window of waveform in,
//! per-frame activity of K local speakers out.

use ort::value::TensorRef;

use super::contract::{powerset_classes, OutputEncoding, SegmentationContract};
use super::onnx::OnnxModel;
use crate::error::{Error, Result};

pub struct SegmentationModel {
    onnx: OnnxModel,
    contract: SegmentationContract,
    /// Speakers of each powerset class (empty for multilabel models).
    classes: Vec<Vec<usize>>,
}

impl SegmentationModel {
    pub(crate) fn new(onnx: OnnxModel, contract: SegmentationContract) -> Result<Self> {
        onnx.require_io(&["waveform"], &["scores"])?;
        let classes = match contract.encoding {
            OutputEncoding::Powerset { max_overlap, .. } => {
                powerset_classes(contract.speakers, max_overlap)
            }
            OutputEncoding::Multilabel => Vec::new(),
        };
        let model = SegmentationModel {
            onnx,
            contract,
            classes,
        };
        let mut probe = Vec::new();
        model.infer_batch(&vec![0.0; model.contract.window_samples], 1, &mut probe)?;
        Ok(model)
    }

    pub fn contract(&self) -> &SegmentationContract {
        &self.contract
    }

    fn hard_powerset(&self) -> bool {
        matches!(
            self.contract.encoding,
            OutputEncoding::Powerset { hard: true, .. }
        )
    }

    /// Runs `rows` windows stored back to back in `windows` in one inference and writes
    /// their activities (`rows x frames x speakers`, row-major) into `activity`.
    pub fn infer_batch(&self, windows: &[f32], rows: usize, activity: &mut Vec<f32>) -> Result<()> {
        let c = &self.contract;
        debug_assert_eq!(windows.len(), rows * c.window_samples);
        let (frames, speakers, classes) = (c.frames(), c.speakers, c.classes());
        activity.clear();
        activity.resize(rows * frames * speakers, 0.0);
        self.onnx.with_session(|session| {
            let err = |e: ort::Error| Error::inference("segmentation model", e);
            let input = TensorRef::from_array_view(([rows, 1, c.window_samples], windows))
                .map_err(err)?;
            let outputs = session
                .run(ort::inputs!["waveform" => input])
                .map_err(err)?;
            let (shape, scores) = outputs["scores"].try_extract_tensor::<f32>().map_err(err)?;
            if shape.len() != 3
                || shape[0] as usize != rows
                || shape[1] as usize != frames
                || shape[2] as usize != classes
            {
                return Err(Error::model(
                    self.onnx.path(),
                    format!("output shape {shape:?} does not match the declared [{rows}, {frames}, {classes}]"),
                ));
            }
            for (frame, row) in scores.chunks_exact(classes).enumerate() {
                let out = &mut activity[frame * speakers..(frame + 1) * speakers];
                decode_frame(&self.classes, self.hard_powerset(), row, out);
            }
            Ok(())
        })
    }
}

/// Per-speaker activity (`out`, zeroed) of one output frame `row`: multilabel scores as
/// they are (clamped); powerset log-probabilities (`classes`: the speakers of each class)
/// either as the mass of the classes containing each speaker, or (`hard`) as 1 for the
/// speakers of the most likely class.
fn decode_frame(classes: &[Vec<usize>], hard: bool, row: &[f32], out: &mut [f32]) {
    if classes.is_empty() {
        for (o, v) in out.iter_mut().zip(row) {
            *o = if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            };
        }
    } else if hard {
        // NaN scores never win.
        let best = (0..row.len())
            .filter(|&c| !row[c].is_nan())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]));
        for &k in best.map_or(&[][..], |c| &classes[c]) {
            out[k] = 1.0;
        }
    } else {
        for (members, log_p) in classes.iter().zip(row) {
            let p = if log_p.is_finite() { log_p.exp() } else { 0.0 };
            for &k in members {
                out[k] += p;
            }
        }
        out.iter_mut().for_each(|v| *v = v.min(1.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powerset_frames_decode_soft_or_hard() {
        let classes = powerset_classes(3, 2); // {}, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}
                                              // Most likely: {0, 1} (0.4); speaker 0 alone 0.35, silence 0.25.
        let row = [0.25f32, 0.35, 0.0, 0.0, 0.4, 0.0, 0.0].map(|p| p.ln());
        let decode = |hard: bool, row: &[f32]| {
            let mut out = [0.0f32; 3];
            decode_frame(&classes, hard, row, &mut out);
            out
        };
        let soft = decode(false, &row);
        assert!((soft[0] - 0.75).abs() < 1e-6 && (soft[1] - 0.4).abs() < 1e-6 && soft[2] == 0.0);
        assert_eq!(decode(true, &row), [1.0, 1.0, 0.0]);
        // Silence most likely: nobody; a NaN score never wins.
        let quiet = [0.9f32, 0.05, 0.05, 0.0, 0.0, 0.0, 0.0].map(|p| p.ln());
        assert_eq!(decode(true, &quiet), [0.0; 3]);
        let mut broken = quiet;
        broken[3] = f32::NAN;
        assert_eq!(decode(true, &broken), [0.0; 3]);
        // Multilabel scores are clamped probabilities.
        let mut out = [0.0f32; 2];
        decode_frame(&[], false, &[1.5, f32::NAN], &mut out);
        assert_eq!(out, [1.0, 0.0]);
    }
}
