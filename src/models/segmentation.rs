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
                if self.classes.is_empty() {
                    for (o, v) in out.iter_mut().zip(row) {
                        *o = if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 };
                    }
                } else if self.hard_powerset() {
                    // The most likely class's speakers are active (NaN scores never win).
                    let best = (0..classes)
                        .filter(|&c| !row[c].is_nan())
                        .max_by(|&a, &b| row[a].total_cmp(&row[b]));
                    for &k in best.map_or(&[][..], |c| &self.classes[c]) {
                        out[k] = 1.0;
                    }
                } else {
                    // Speaker k's probability is the mass of every class that contains k.
                    for (members, log_p) in self.classes.iter().zip(row) {
                        let p = if log_p.is_finite() { log_p.exp() } else { 0.0 };
                        for &k in members {
                            out[k] += p;
                        }
                    }
                    out.iter_mut().for_each(|v| *v = v.min(1.0));
                }
            }
            Ok(())
        })
    }
}
