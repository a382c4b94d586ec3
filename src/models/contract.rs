//! The model contract: every model file declares itself in ONNX `metadata_props`
//! (`voiceflow.*` keys), so the engine needs no hard-coded shapes. Parsing is pure and
//! independent of ONNX Runtime, so it can be tested and fuzzed on its own.

use std::collections::HashMap;
use std::path::Path;

use crate::config::ClusterCount;
use crate::error::{Error, Result};

/// Sample rate every voiceflow model works at.
pub const MODEL_SAMPLE_RATE: u32 = 16_000;

/// Upper bound on any length declared by a model, so a corrupt file cannot make the engine
/// allocate absurd buffers (60 s of audio).
const MAX_DECLARED_SAMPLES: usize = 60 * MODEL_SAMPLE_RATE as usize;

/// Which role a model file plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Streaming voice activity detector (one speaker): silero VAD.
    Vad,
    /// Windowed segmentation with K local speakers.
    Segmentation,
    /// Speaker embedding (voiceprint) model.
    Embedding,
}

/// How a segmentation model encodes speaker activity per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputEncoding {
    /// Log-probabilities over the powerset of local speakers: class 0 is silence, then
    /// every subset of 1..=max_overlap speakers, by size and then lexicographically.
    /// `hard` (metadata `voiceflow.powerset_decoding` = `hard`): each frame's most likely
    /// class decides which speakers are active (1) or not (0), as pyannote decodes its
    /// powerset models; else (`soft`, the default) a speaker's activity is the
    /// probability mass of the classes that contain it.
    Powerset { max_overlap: usize, hard: bool },
    /// Independent per-speaker probabilities in 0..=1.
    Multilabel,
}

/// Declared identity of any model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub name: String,
    pub version: String,
}

/// Settings a model recommends for its own outputs. Scores and distances of different
/// models are calibrated differently (a powerset model's secondary speakers carry
/// probability mass almost everywhere; CAM++ voiceprints of one voice are as far apart as
/// GE2E voiceprints of two), so one engine default cannot suit them all. The engine uses
/// them unless the caller set the value.
///
/// A segmentation model may declare the binarization keys `voiceflow.onset`,
/// `voiceflow.offset` and `voiceflow.tau_active` (each in the open range 0..1); an
/// embedding model may declare `voiceflow.delta_new`, the cosine distance (0..2) above
/// which a voiceprint founds a new speaker, and `voiceflow.cluster_threshold`, the
/// average-linkage distance at which the offline clustering stops merging,
/// `voiceflow.cluster_count` (`gap` or `threshold`, see [`ClusterCount`]), and the two
/// distances for band-limited input (`voiceflow.delta_new_narrowband`,
/// `voiceflow.cluster_threshold_narrowband`): a stream pushed at
/// [`NARROWBAND_MAX_HZ`](crate::pipeline::NARROWBAND_MAX_HZ) or less (telephone audio)
/// has nothing above 4 kHz, and a wideband speaker encoder's voiceprints of such speech
/// lie closer together, different voices included.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RecommendedSettings {
    pub onset: Option<f32>,
    pub offset: Option<f32>,
    pub tau_active: Option<f32>,
    pub delta_new: Option<f32>,
    pub cluster_threshold: Option<f32>,
    pub cluster_count: Option<ClusterCount>,
    pub narrowband: NarrowbandDistances,
}

/// An embedding model's distances for band-limited (telephone) input, where it declares
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NarrowbandDistances {
    pub delta_new: Option<f32>,
    pub cluster_threshold: Option<f32>,
}

/// Contract of a `vad` model (inputs `input` [n, context+chunk], `h`, `c`
/// [1, 1, state]; outputs `speech_probs` [n], `hn`, `cn`).
#[derive(Debug, Clone, PartialEq)]
pub struct VadContract {
    pub chunk_samples: usize,
    pub context_samples: usize,
    pub state_size: usize,
    pub recommended: RecommendedSettings,
    pub provenance: Provenance,
}

/// Contract of a `segmentation` model (input `[batch, 1, window_samples]`, output
/// `[batch, frames, classes]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentationContract {
    pub window_samples: usize,
    pub frame_step_samples: usize,
    pub frame_offset_samples: usize,
    /// Receptive field of one frame (defaults to the step).
    pub frame_length_samples: usize,
    pub speakers: usize,
    pub encoding: OutputEncoding,
    pub recommended: RecommendedSettings,
    pub provenance: Provenance,
}

/// Contract of an `embedding` model (input `[batch, samples]`, output `[batch, dim]`,
/// L2-normalised).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingContract {
    pub embedding_dim: usize,
    /// Recommended new-speaker distance (`voiceflow.delta_new`), if declared.
    pub delta_new: Option<f32>,
    /// Recommended offline clustering distance (`voiceflow.cluster_threshold`).
    pub cluster_threshold: Option<f32>,
    /// Recommended way of counting speakers offline (`voiceflow.cluster_count`: `gap` or
    /// `threshold`).
    pub cluster_count: Option<ClusterCount>,
    /// The two distances above for band-limited input (`voiceflow.delta_new_narrowband`,
    /// `voiceflow.cluster_threshold_narrowband`).
    pub narrowband: NarrowbandDistances,
    /// Preferred input length; longer speech is embedded in pieces of this size.
    pub window_samples: usize,
    /// Shortest input the model gives a meaningful voiceprint for.
    pub min_samples: usize,
    pub provenance: Provenance,
}

impl SegmentationContract {
    /// Number of output classes the model must produce per frame.
    pub fn classes(&self) -> usize {
        match self.encoding {
            OutputEncoding::Powerset { max_overlap, .. } => {
                powerset_classes(self.speakers, max_overlap).len()
            }
            OutputEncoding::Multilabel => self.speakers,
        }
    }

    /// Number of frames per window.
    pub fn frames(&self) -> usize {
        let usable = self
            .window_samples
            .saturating_sub(self.frame_offset_samples);
        if usable < self.frame_length_samples {
            0
        } else {
            (usable - self.frame_length_samples) / self.frame_step_samples + 1
        }
    }
}

/// Speaker subsets of the powerset encoding, in class order.
pub fn powerset_classes(speakers: usize, max_overlap: usize) -> Vec<Vec<usize>> {
    fn combinations(
        n: usize,
        k: usize,
        start: usize,
        current: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            combinations(n, k, i + 1, current, out);
            current.pop();
        }
    }
    let mut out = vec![Vec::new()];
    for size in 1..=max_overlap.min(speakers) {
        combinations(speakers, size, 0, &mut Vec::new(), &mut out);
    }
    out
}

/// `voiceflow.*` metadata of one model file, with typed accessors whose errors name the
/// file and the key.
pub struct Metadata<'a> {
    path: &'a Path,
    props: HashMap<String, String>,
}

impl<'a> Metadata<'a> {
    pub fn new(path: &'a Path, props: HashMap<String, String>) -> Self {
        Metadata { path, props }
    }

    fn text(&self, key: &str) -> Result<&str> {
        self.props
            .get(&format!("voiceflow.{key}"))
            .map(|v| v.trim())
            .ok_or_else(|| {
                Error::model(
                    self.path,
                    format!("metadata key voiceflow.{key} is missing"),
                )
            })
    }

    fn count(&self, key: &str, min: usize, max: usize) -> Result<usize> {
        let raw = self.text(key)?;
        match raw.parse::<usize>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(Error::model(
                self.path,
                format!("metadata voiceflow.{key} = {raw:?} must be an integer in {min}..={max}"),
            )),
        }
    }

    fn optional_count(&self, key: &str, min: usize, max: usize) -> Result<Option<usize>> {
        if self.props.contains_key(&format!("voiceflow.{key}")) {
            self.count(key, min, max).map(Some)
        } else {
            Ok(None)
        }
    }

    /// An optional probability-like setting in the open range 0..1.
    fn optional_unit(&self, key: &str) -> Result<Option<f32>> {
        let Some(raw) = self.props.get(&format!("voiceflow.{key}")) else {
            return Ok(None);
        };
        match raw.trim().parse::<f32>() {
            Ok(v) if v > 0.0 && v < 1.0 => Ok(Some(v)),
            _ => Err(Error::model(
                self.path,
                format!(
                    "metadata voiceflow.{key} = {raw:?} must be a number in the open range 0..1"
                ),
            )),
        }
    }

    /// An optional cosine distance in the half-open range 0..=2 (0 excluded).
    fn optional_distance(&self, key: &str) -> Result<Option<f32>> {
        let Some(raw) = self.props.get(&format!("voiceflow.{key}")) else {
            return Ok(None);
        };
        match raw.trim().parse::<f32>() {
            Ok(v) if v > 0.0 && v <= 2.0 => Ok(Some(v)),
            _ => Err(Error::model(
                self.path,
                format!("metadata voiceflow.{key} = {raw:?} must be a cosine distance in 0..=2 (0 excluded)"),
            )),
        }
    }

    /// The optional recommended binarization settings (see [`RecommendedSettings`]).
    pub fn recommended(&self) -> Result<RecommendedSettings> {
        let r = RecommendedSettings {
            onset: self.optional_unit("onset")?,
            offset: self.optional_unit("offset")?,
            tau_active: self.optional_unit("tau_active")?,
            delta_new: None,
            cluster_threshold: None,
            cluster_count: None,
            narrowband: NarrowbandDistances::default(),
        };
        if let (Some(on), Some(off)) = (r.onset, r.offset) {
            if off > on {
                return Err(Error::model(
                    self.path,
                    format!("metadata voiceflow.offset {off} must be <= voiceflow.onset {on}"),
                ));
            }
        }
        Ok(r)
    }

    /// The declared kind, checked against what the caller expects.
    pub fn expect_kind(&self, expected: &[ModelKind]) -> Result<ModelKind> {
        let kind = match self.text("kind")? {
            "vad" => ModelKind::Vad,
            "segmentation" => ModelKind::Segmentation,
            "embedding" => ModelKind::Embedding,
            other => {
                return Err(Error::model(
                    self.path,
                    format!("unknown voiceflow.kind {other:?}"),
                ))
            }
        };
        if !expected.contains(&kind) {
            return Err(Error::model(
                self.path,
                format!("is a {kind:?} model, expected one of {expected:?}"),
            ));
        }
        let rate = self.count("sample_rate", 1, 1_000_000)?;
        if rate != MODEL_SAMPLE_RATE as usize {
            return Err(Error::model(
                self.path,
                format!("voiceflow.sample_rate is {rate}, only {MODEL_SAMPLE_RATE} is supported"),
            ));
        }
        Ok(kind)
    }

    fn provenance(&self) -> Provenance {
        let get = |k: &str| self.text(k).unwrap_or("unknown").to_string();
        Provenance {
            name: get("name"),
            version: get("version"),
        }
    }

    pub fn vad(&self) -> Result<VadContract> {
        Ok(VadContract {
            chunk_samples: self.count("chunk_samples", 1, MAX_DECLARED_SAMPLES)?,
            context_samples: self.count("context_samples", 0, MAX_DECLARED_SAMPLES)?,
            state_size: self.count("state_size", 1, 4096)?,
            recommended: self.recommended()?,
            provenance: self.provenance(),
        })
    }

    pub fn segmentation(&self) -> Result<SegmentationContract> {
        let window_samples = self.count("window_samples", 1, MAX_DECLARED_SAMPLES)?;
        let frame_step_samples = self.count("frame_step_samples", 1, window_samples)?;
        let frame_offset_samples = self.count("frame_offset_samples", 0, window_samples - 1)?;
        let frame_length_samples = self
            .optional_count("frame_length_samples", 1, window_samples)?
            .unwrap_or(frame_step_samples);
        let speakers = self.count("speakers", 1, 16)?;
        let encoding = match self.text("output")? {
            "powerset" => OutputEncoding::Powerset {
                max_overlap: self.count("max_overlap", 1, speakers)?,
                hard: match self
                    .props
                    .get("voiceflow.powerset_decoding")
                    .map(|v| v.trim())
                {
                    None | Some("soft") => false,
                    Some("hard") => true,
                    Some(other) => {
                        return Err(Error::model(
                            self.path,
                            format!("voiceflow.powerset_decoding {other:?} must be soft or hard"),
                        ))
                    }
                },
            },
            "multilabel" => OutputEncoding::Multilabel,
            other => {
                return Err(Error::model(
                    self.path,
                    format!("voiceflow.output {other:?} must be powerset or multilabel"),
                ))
            }
        };
        let contract = SegmentationContract {
            window_samples,
            frame_step_samples,
            frame_offset_samples,
            frame_length_samples,
            speakers,
            encoding,
            recommended: self.recommended()?,
            provenance: self.provenance(),
        };
        if contract.frames() == 0 {
            return Err(Error::model(
                self.path,
                "declared window holds no output frame",
            ));
        }
        Ok(contract)
    }

    pub fn embedding(&self) -> Result<EmbeddingContract> {
        let window_samples = self.count("window_samples", 400, MAX_DECLARED_SAMPLES)?;
        Ok(EmbeddingContract {
            embedding_dim: self.count("embedding_dim", 1, 8192)?,
            delta_new: self.optional_distance("delta_new")?,
            cluster_threshold: self.optional_distance("cluster_threshold")?,
            cluster_count: match self.props.get("voiceflow.cluster_count").map(|v| v.trim()) {
                None => None,
                Some("threshold") => Some(ClusterCount::Threshold),
                Some("gap") => Some(ClusterCount::Gap),
                Some(other) => {
                    return Err(Error::model(
                        self.path,
                        format!(
                            "metadata voiceflow.cluster_count = {other:?} must be gap or threshold"
                        ),
                    ))
                }
            },
            narrowband: NarrowbandDistances {
                delta_new: self.optional_distance("delta_new_narrowband")?,
                cluster_threshold: self.optional_distance("cluster_threshold_narrowband")?,
            },
            window_samples,
            min_samples: self
                .optional_count("min_samples", 400, window_samples)?
                .unwrap_or(window_samples / 2),
            provenance: self.provenance(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("voiceflow.{k}"), v.to_string()))
            .collect()
    }

    fn segmentation_props() -> Vec<(&'static str, &'static str)> {
        vec![
            ("kind", "segmentation"),
            ("sample_rate", "16000"),
            ("window_samples", "80000"),
            ("frame_step_samples", "270"),
            ("frame_offset_samples", "0"),
            ("frame_length_samples", "991"),
            ("speakers", "3"),
            ("output", "powerset"),
            ("max_overlap", "2"),
        ]
    }

    #[test]
    fn powerset_order_matches_pyannote() {
        let classes = powerset_classes(3, 2);
        assert_eq!(
            classes,
            vec![
                vec![],
                vec![0],
                vec![1],
                vec![2],
                vec![0, 1],
                vec![0, 2],
                vec![1, 2]
            ]
        );
        assert_eq!(powerset_classes(4, 2).len(), 11);
    }

    #[test]
    fn parses_segmentation_contract() {
        let p = Path::new("seg.onnx");
        let m = Metadata::new(p, meta(&segmentation_props()));
        assert_eq!(
            m.expect_kind(&[ModelKind::Segmentation, ModelKind::Vad])
                .unwrap(),
            ModelKind::Segmentation
        );
        let c = m.segmentation().unwrap();
        assert_eq!(c.classes(), 7);
        assert_eq!(c.frames(), 293);
        assert_eq!(
            c.encoding,
            OutputEncoding::Powerset {
                max_overlap: 2,
                hard: false
            }
        );
        let mut props = segmentation_props();
        props.push(("powerset_decoding", "hard"));
        let c = Metadata::new(p, meta(&props)).segmentation().unwrap();
        assert_eq!(
            c.encoding,
            OutputEncoding::Powerset {
                max_overlap: 2,
                hard: true
            }
        );
        props.push(("powerset_decoding", "argmax"));
        let e = Metadata::new(p, meta(&props)).segmentation().unwrap_err();
        assert!(e.message().contains("voiceflow.powerset_decoding"));
    }

    #[test]
    fn wrong_kind_missing_key_and_bad_values_are_model_errors() {
        let p = Path::new("x.onnx");
        let m = Metadata::new(p, meta(&segmentation_props()));
        let e = m.expect_kind(&[ModelKind::Embedding]).unwrap_err();
        assert!(e.message().contains("expected"), "{}", e.message());

        let mut props = segmentation_props();
        props.retain(|(k, _)| *k != "speakers");
        let e = Metadata::new(p, meta(&props)).segmentation().unwrap_err();
        assert!(
            e.message().contains("voiceflow.speakers"),
            "{}",
            e.message()
        );

        let mut props = segmentation_props();
        props.push(("sample_rate", "8000"));
        let e = Metadata::new(p, meta(&props))
            .expect_kind(&[ModelKind::Segmentation])
            .unwrap_err();
        assert!(e.message().contains("sample_rate"));

        for bad in ["-3", "abc", "99999999999999999999", ""] {
            let mut props = segmentation_props();
            props.push(("window_samples", bad));
            assert!(
                Metadata::new(p, meta(&props)).segmentation().is_err(),
                "{bad}"
            );
        }
        let e = Metadata::new(p, HashMap::new())
            .expect_kind(&[ModelKind::Vad])
            .unwrap_err();
        assert!(e.message().contains("voiceflow.kind"));
    }

    #[test]
    fn recommended_settings_are_optional_and_checked() {
        let p = Path::new("seg.onnx");
        let c = Metadata::new(p, meta(&segmentation_props()))
            .segmentation()
            .unwrap();
        assert_eq!(c.recommended, RecommendedSettings::default());

        let mut props = segmentation_props();
        props.extend([
            ("onset", "0.5"),
            ("offset", " 0.35 "),
            ("tau_active", "0.45"),
        ]);
        let c = Metadata::new(p, meta(&props)).segmentation().unwrap();
        assert_eq!(
            c.recommended,
            RecommendedSettings {
                onset: Some(0.5),
                offset: Some(0.35),
                tau_active: Some(0.45),
                delta_new: None,
                cluster_threshold: None,
                cluster_count: None,
                narrowband: NarrowbandDistances::default(),
            }
        );

        for (key, bad) in [
            ("onset", "1.5"),
            ("offset", "0"),
            ("tau_active", "NaN"),
            ("onset", "high"),
        ] {
            let mut props = segmentation_props();
            props.push((key, bad));
            let e = Metadata::new(p, meta(&props)).segmentation().unwrap_err();
            assert!(
                e.message().contains(&format!("voiceflow.{key}")),
                "{key}={bad}: {}",
                e.message()
            );
        }
        let mut props = segmentation_props();
        props.extend([("onset", "0.3"), ("offset", "0.4")]);
        let e = Metadata::new(p, meta(&props)).segmentation().unwrap_err();
        assert!(e.message().contains("voiceflow.offset"), "{}", e.message());
    }

    #[test]
    fn embedding_defaults_min_samples() {
        let p = Path::new("e.onnx");
        let m = Metadata::new(
            p,
            meta(&[
                ("kind", "embedding"),
                ("sample_rate", "16000"),
                ("embedding_dim", "256"),
                ("window_samples", "25440"),
            ]),
        );
        let c = m.embedding().unwrap();
        assert_eq!(
            (
                c.embedding_dim,
                c.window_samples,
                c.min_samples,
                c.delta_new
            ),
            (256, 25440, 12720, None)
        );
    }

    #[test]
    fn embedding_recommends_its_new_speaker_distance() {
        let p = Path::new("e.onnx");
        let props = |delta: &str| {
            meta(&[
                ("kind", "embedding"),
                ("sample_rate", "16000"),
                ("embedding_dim", "192"),
                ("window_samples", "48000"),
                ("delta_new", delta),
                ("cluster_threshold", "0.5"),
                ("delta_new_narrowband", "0.6"),
                ("cluster_threshold_narrowband", "0.45"),
                ("cluster_count", "gap"),
            ])
        };
        let c = Metadata::new(p, props(" 0.62")).embedding().unwrap();
        assert_eq!((c.delta_new, c.cluster_threshold), (Some(0.62), Some(0.5)));
        assert_eq!(c.cluster_count, Some(ClusterCount::Gap));
        assert_eq!(
            c.narrowband,
            NarrowbandDistances {
                delta_new: Some(0.6),
                cluster_threshold: Some(0.45)
            }
        );
        for bad in ["0", "-0.5", "2.5", "NaN", "far"] {
            let e = Metadata::new(p, props(bad)).embedding().unwrap_err();
            assert!(
                e.message().contains("voiceflow.delta_new"),
                "{bad}: {}",
                e.message()
            );
        }
    }

    #[test]
    fn an_unknown_cluster_count_is_refused() {
        let p = Path::new("e.onnx");
        let props = |count: &str| {
            meta(&[
                ("kind", "embedding"),
                ("sample_rate", "16000"),
                ("embedding_dim", "192"),
                ("window_samples", "48000"),
                ("cluster_count", count),
            ])
        };
        let threshold = Metadata::new(p, props("threshold")).embedding().unwrap();
        assert_eq!(threshold.cluster_count, Some(ClusterCount::Threshold));
        let e = Metadata::new(p, props("ward")).embedding().unwrap_err();
        assert!(
            e.message().contains("voiceflow.cluster_count"),
            "{}",
            e.message()
        );
    }
}
