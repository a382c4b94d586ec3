//! Session configuration: every field has a sane default and is validated at session
//! creation, with an error that names the field.

use crate::error::{Error, Result, Status};
use crate::models::contract::RecommendedSettings;
use crate::voiceprint::Voiceprint;

/// Hard cap on global speakers per session; keeps tracker memory bounded.
pub const MAX_SPEAKERS_LIMIT: u32 = 64;

/// Upper bound of the number of speakers when no hint gives one.
const DEFAULT_MAX_SPEAKERS: u32 = 20;

// Engine defaults of the settings a segmentation model may recommend instead (tuned on
// ami-dev for the silero VAD segmenter's probabilities). Not `pub`: cbindgen would put
// them into the C header; `Config::default().onset()` etc. expose them.
const DEFAULT_ONSET: f32 = 0.15;
const DEFAULT_OFFSET: f32 = 0.08;
const DEFAULT_TAU_ACTIVE: f32 = 0.15;
// For embedding models that recommend no distance (tuned for GE2E).
const DEFAULT_DELTA_NEW: f32 = 0.3;

/// Most speakers one config may enroll ([`Config::enroll`]).
pub const MAX_ENROLLED_SPEAKERS: usize = 64;

/// Longest stream (seconds of audio) an offline or refining session may take: 24 hours.
/// What it keeps grows with the speech it hears (README, section Offline mode).
pub const MAX_OFFLINE_AUDIO_LIMIT: f32 = 86_400.0;

/// How a session answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Final segments while the stream runs, a few seconds behind it; memory stays
    /// bounded however long the stream.
    #[default]
    Streaming,
    /// Nothing until flush; then every voiceprint of the stream is clustered at once, the
    /// best answer. Memory grows with the stream's speech.
    Offline,
}

/// How the offline clustering decides the number of speakers (`cluster_count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterCount {
    /// Average-linkage clustering stops merging at `cluster_threshold`.
    Threshold,
    /// Ward-linkage clustering is cut at the largest gap between successive merge
    /// heights; speakers whose centroids end within 0.4 `cluster_threshold` are then one
    /// voice. No distance to tune per stream; measured with CAM++ on wideband speech
    /// (section Offline mode of the README).
    Gap,
}

/// Streaming and clustering settings of one session. Times are in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// How far behind the newest audio a segment may still change. Frames older than this
    /// are final. Clamped to at least one `step`; larger values let more windows vote on
    /// each frame. Default 2.5 s.
    pub latency: f32,
    /// Time between two windows. Default 0.5 s.
    pub step: f32,
    /// Length of the analysis window for the VAD segmenter (contract-driven segmentation
    /// models use their own window). Default 3.0 s.
    pub vad_window: f32,
    /// A local speaker counts as active in a window when its activity exceeds this.
    /// `None`: the segmentation model's recommendation (`voiceflow.tau_active`), else
    /// 0.15. Same rule for `onset` and `offset`.
    pub tau_active: Option<f32>,
    /// Cosine distance above which a local speaker becomes a new global speaker.
    /// `None`: the embedding model's recommendation (`voiceflow.delta_new`), else 0.3.
    pub delta_new: Option<f32>,
    /// Seconds of clean speech a local speaker needs in a window to update its centroid.
    pub rho_update: f32,
    /// Seconds of clean speech needed to compute an embedding at all.
    pub min_embedding_speech: f32,
    /// Hysteresis thresholds of binarization: a speaker turns on above `onset` and off
    /// below `offset`. `None`: the model's recommendation, else 0.15 /
    /// 0.08.
    pub onset: Option<f32>,
    pub offset: Option<f32>,
    /// Segments shorter than this are dropped.
    pub min_duration_on: f32,
    /// Gaps shorter than this inside one speaker's speech are filled.
    pub min_duration_off: f32,
    /// Exact number of speakers, when known. It must lie within `min_speakers` and
    /// `max_speakers` when those are given too (a contradiction is refused).
    pub num_speakers: Option<u32>,
    /// Lower bound of the number of speakers (new speakers are created more readily
    /// until it is reached). `None`: 1.
    pub min_speakers: Option<u32>,
    /// Upper bound of the number of speakers (past it, speech goes to the nearest one).
    /// `None`: 20, or `min_speakers` if that is larger.
    pub max_speakers: Option<u32>,
    /// A new speaker becomes final (gets a public id) only after this much speech; until
    /// then it can be merged into a close existing speaker. Guards against phantoms.
    pub min_new_speaker_speech: f32,
    /// Longest clean speech (seconds) one voiceprint is computed from, at most the
    /// embedding model's window. Embedding cost grows with it. Default 1.6 s.
    pub max_embedding_speech: f32,
    /// Seconds of new clean speech a local speaker needs before its voiceprint is
    /// computed again (in between it keeps its global speaker). A speaker without a
    /// global speaker yet is embedded as soon as it has `min_embedding_speech`. Smaller
    /// is more reactive, larger is cheaper. Default 0: a fresh voiceprint at every step
    /// in which the speaker talks; silent steps cost nothing. (With segmentation-3.0
    /// and CAM++, 0.5 s was 5-7 DER points worse on the simulated conversations: the
    /// segmenter's local speakers do not follow one voice reliably enough from window
    /// to window for the previous attribution to be kept.)
    pub embedding_interval: f32,
    /// Offline clustering: average-linkage cosine distance past which two groups of
    /// voiceprints are different speakers. `None`: the embedding model's recommendation
    /// (`voiceflow.cluster_threshold`), else the effective `delta_new`.
    pub cluster_threshold: Option<f32>,
    /// Offline clustering: how the number of speakers is decided. `None`: the embedding
    /// model's recommendation (`voiceflow.cluster_count`), else
    /// [`ClusterCount::Threshold`]; a stream pushed at 8 kHz or less always uses
    /// `Threshold` unless set here (the gap count merged telephone voices).
    pub cluster_count: Option<ClusterCount>,
    /// Streaming (the default) or offline; see [`Mode`].
    pub mode: Mode,
    /// Streaming sessions only: also keep the voiceprints and, at flush, produce the
    /// offline answer as a second result (`Session::poll_refined`). The live segments
    /// stay as they were. Costs an offline session's memory.
    pub refine: bool,
    /// Most seconds of audio an offline or refining session accepts (a push past it is
    /// refused with `Status::LimitReached`, nothing consumed; flush then gives the
    /// answer for all audio before it). Default and maximum 86400 (24 h).
    pub max_offline_audio: f32,
    /// Known speakers ([`Config::enroll`]): the k-th (from 0) is reported as speaker id k
    /// under its name whenever a speaker of the stream is within `known_speaker_threshold`
    /// of it; the other speakers are numbered from `speakers.len()`. Their voiceprints
    /// must come from the session's embedding model (checked at session creation).
    pub speakers: Vec<Voiceprint>,
    /// Cosine distance within which a speaker of the stream is taken for an enrolled one.
    /// `None`: the effective `delta_new` (the embedding model's recommendation).
    pub known_speaker_threshold: Option<f32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            latency: 2.5,
            step: 0.5,
            vad_window: 3.0,
            tau_active: None,
            delta_new: None,
            rho_update: 0.5,
            min_embedding_speech: 0.3,
            onset: None,
            offset: None,
            min_duration_on: 0.25,
            min_duration_off: 0.8,
            num_speakers: None,
            min_speakers: None,
            max_speakers: None,
            min_new_speaker_speech: 2.0,
            embedding_interval: 0.0,
            max_embedding_speech: 1.6,
            cluster_threshold: None,
            cluster_count: None,
            mode: Mode::Streaming,
            refine: false,
            max_offline_audio: MAX_OFFLINE_AUDIO_LIMIT,
            speakers: Vec::new(),
            known_speaker_threshold: None,
        }
    }
}

impl Config {
    /// Effective activity threshold (see [`Config::tau_active`](Config#structfield.tau_active)).
    pub fn tau_active(&self) -> f32 {
        self.tau_active.unwrap_or(DEFAULT_TAU_ACTIVE)
    }

    /// Effective new-speaker distance (see [`Config::delta_new`](Config#structfield.delta_new)).
    pub fn delta_new(&self) -> f32 {
        self.delta_new.unwrap_or(DEFAULT_DELTA_NEW)
    }

    /// Effective offline clustering distance (see
    /// [`Config::cluster_threshold`](Config#structfield.cluster_threshold)).
    pub fn cluster_threshold(&self) -> f32 {
        self.cluster_threshold.unwrap_or_else(|| self.delta_new())
    }

    /// Effective known-speaker distance (see
    /// [`Config::known_speaker_threshold`](Config#structfield.known_speaker_threshold)).
    pub fn known_speaker_threshold(&self) -> f32 {
        self.known_speaker_threshold
            .unwrap_or_else(|| self.delta_new())
    }

    /// Enrolls a known speaker and returns the id its speech will be reported under (the
    /// number of speakers enrolled before it). Refused, changing nothing: a voiceprint
    /// without a name, a name already enrolled, a dimension or model that differs from
    /// the speakers enrolled before, and more than [`MAX_ENROLLED_SPEAKERS`].
    pub fn enroll(&mut self, voiceprint: Voiceprint) -> Result<u32> {
        let refuse = |message: String| Err(Error::new(Status::InvalidArgument, message));
        let Some(name) = voiceprint.name() else {
            return refuse("an enrolled voiceprint needs a name".into());
        };
        if self.speakers.len() >= MAX_ENROLLED_SPEAKERS {
            return refuse(format!(
                "{MAX_ENROLLED_SPEAKERS} speakers are enrolled already, the most one \
                 config takes"
            ));
        }
        if self.speakers.iter().any(|s| s.name() == Some(name)) {
            return refuse(format!("a speaker named {name:?} is enrolled already"));
        }
        if let Some(first) = self.speakers.first() {
            if (first.model(), first.model_version(), first.dim())
                != (
                    voiceprint.model(),
                    voiceprint.model_version(),
                    voiceprint.dim(),
                )
            {
                return refuse(format!(
                    "voiceprint {name:?} comes from embedding model {:?} {:?} ({} \
                     dimensions), the speakers enrolled before from {:?} {:?} ({})",
                    voiceprint.model(),
                    voiceprint.model_version(),
                    voiceprint.dim(),
                    first.model(),
                    first.model_version(),
                    first.dim()
                ));
            }
        }
        self.speakers.push(voiceprint);
        Ok(self.speakers.len() as u32 - 1)
    }

    /// Effective hysteresis onset.
    pub fn onset(&self) -> f32 {
        self.onset.unwrap_or(DEFAULT_ONSET)
    }

    /// Effective hysteresis offset.
    pub fn offset(&self) -> f32 {
        self.offset.unwrap_or(DEFAULT_OFFSET)
    }

    /// Effective way of counting speakers offline (see
    /// [`Config::cluster_count`](Config#structfield.cluster_count)).
    pub fn cluster_count(&self) -> ClusterCount {
        self.cluster_count.unwrap_or(ClusterCount::Threshold)
    }

    /// The settings the caller left unset (`None`) taken from the models'
    /// recommendations, where they make one; values the caller set always win.
    pub fn with_recommended(&self, recommended: &RecommendedSettings) -> Config {
        Config {
            tau_active: self.tau_active.or(recommended.tau_active),
            onset: self.onset.or(recommended.onset),
            offset: self.offset.or(recommended.offset),
            delta_new: self.delta_new.or(recommended.delta_new),
            cluster_threshold: self.cluster_threshold.or(recommended.cluster_threshold),
            cluster_count: self.cluster_count.or(recommended.cluster_count),
            ..self.clone()
        }
    }

    /// [`Config::with_recommended`] for band-limited input (a stream pushed at
    /// [`NARROWBAND_MAX_HZ`](crate::pipeline::NARROWBAND_MAX_HZ) or less): `delta_new`
    /// and `cluster_threshold`, where the caller left them unset, come from the embedding
    /// model's narrowband recommendation when it makes one, and speakers are counted at
    /// the threshold (a gap count found 2 of the 4 voices of the 8 kHz eval stream, whose
    /// voiceprints lie close together). The known-speaker threshold stays the wideband
    /// one: enrolled voiceprints usually come from other recordings, often wideband ones
    /// (not measured across channels yet).
    pub fn with_narrowband_recommended(&self, recommended: &RecommendedSettings) -> Config {
        let wideband = self.with_recommended(recommended);
        let narrowband = &recommended.narrowband;
        Config {
            delta_new: self
                .delta_new
                .or(narrowband.delta_new)
                .or(wideband.delta_new),
            cluster_threshold: self
                .cluster_threshold
                .or(narrowband.cluster_threshold)
                .or(wideband.cluster_threshold),
            cluster_count: self.cluster_count.or(Some(ClusterCount::Threshold)),
            known_speaker_threshold: Some(wideband.known_speaker_threshold()),
            ..wideband
        }
    }

    /// Checks every field (unset model-dependent ones at their engine default); the
    /// error names the first invalid one.
    pub fn validate(&self) -> Result<()> {
        let positive = |field: &str, v: f32, max: f32| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(Error::config(
                    field,
                    format!("{v} must be > 0 and <= {max}"),
                ))
            }
        };
        let non_negative = |field: &str, v: f32, max: f32| {
            if v.is_finite() && (0.0..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::config(field, format!("{v} must be in 0..={max}")))
            }
        };
        let unit = |field: &str, v: f32| {
            if v.is_finite() && v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(Error::config(
                    field,
                    format!("{v} must be in the open range 0..1"),
                ))
            }
        };
        positive("step", self.step, 10.0)?;
        positive("latency", self.latency, 60.0)?;
        positive("vad_window", self.vad_window, 30.0)?;
        if self.vad_window < self.step {
            return Err(Error::config(
                "vad_window",
                format!("{} must be >= step {}", self.vad_window, self.step),
            ));
        }
        unit("tau_active", self.tau_active())?;
        positive("delta_new", self.delta_new(), 2.0)?;
        positive("cluster_threshold", self.cluster_threshold(), 2.0)?;
        positive(
            "known_speaker_threshold",
            self.known_speaker_threshold(),
            2.0,
        )?;
        non_negative("rho_update", self.rho_update, 30.0)?;
        positive("min_embedding_speech", self.min_embedding_speech, 30.0)?;
        unit("onset", self.onset())?;
        unit("offset", self.offset())?;
        if self.offset() > self.onset() {
            return Err(Error::config(
                "offset",
                format!("{} must be <= onset {}", self.offset(), self.onset()),
            ));
        }
        non_negative("min_duration_on", self.min_duration_on, 60.0)?;
        non_negative("min_duration_off", self.min_duration_off, 60.0)?;
        non_negative("min_new_speaker_speech", self.min_new_speaker_speech, 600.0)?;
        non_negative("embedding_interval", self.embedding_interval, 60.0)?;
        positive("max_embedding_speech", self.max_embedding_speech, 60.0)?;
        if self.max_embedding_speech < self.min_embedding_speech {
            return Err(Error::config(
                "max_embedding_speech",
                format!(
                    "{} must be >= min_embedding_speech {}",
                    self.max_embedding_speech, self.min_embedding_speech
                ),
            ));
        }
        positive(
            "max_offline_audio",
            self.max_offline_audio,
            MAX_OFFLINE_AUDIO_LIMIT,
        )?;
        if self.refine && self.mode == Mode::Offline {
            return Err(Error::config(
                "refine",
                "is for streaming sessions: an offline session's segments already are \
                 the refined result",
            ));
        }
        for (field, hint) in [
            ("num_speakers", self.num_speakers),
            ("min_speakers", self.min_speakers),
            ("max_speakers", self.max_speakers),
        ] {
            if let Some(n) = hint.filter(|n| !(1..=MAX_SPEAKERS_LIMIT).contains(n)) {
                return Err(Error::config(
                    field,
                    format!("{n} must be in 1..={MAX_SPEAKERS_LIMIT}"),
                ));
            }
        }
        if let (Some(min), Some(max)) = (self.min_speakers, self.max_speakers) {
            if min > max {
                return Err(Error::config(
                    "min_speakers",
                    format!("{min} is more than max_speakers {max}"),
                ));
            }
        }
        if let Some(n) = self.num_speakers {
            let below = self.min_speakers.filter(|&min| n < min).map(|v| ("min", v));
            let above = self.max_speakers.filter(|&max| n > max).map(|v| ("max", v));
            if let Some((bound, value)) = below.or(above) {
                return Err(Error::config(
                    "num_speakers",
                    format!(
                        "{n} contradicts {bound}_speakers {value}: an exact count must lie \
                         within the bounds (or leave the bounds unset)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Names accepted by [`Config::set`].
    pub const KEYS: [&'static str; 23] = [
        "latency",
        "step",
        "vad_window",
        "tau_active",
        "delta_new",
        "rho_update",
        "min_embedding_speech",
        "onset",
        "offset",
        "min_duration_on",
        "min_duration_off",
        "min_new_speaker_speech",
        "num_speakers",
        "min_speakers",
        "max_speakers",
        "embedding_interval",
        "max_embedding_speech",
        "cluster_threshold",
        "cluster_count",
        "mode",
        "refine",
        "max_offline_audio",
        "known_speaker_threshold",
    ];

    /// Sets a field by name (the C API's and the CLI's way in). The speaker counts
    /// (`num_speakers`, `min_speakers`, `max_speakers`) are whole numbers in 1..=64, or 0
    /// for no hint; anything else is refused here, naming the value, and changes nothing. `mode` is 0 (streaming) or 1 (offline),
    /// `refine` 0 or 1, `cluster_count` 0 (threshold) or 1 (gap). Range checks happen in [`Config::validate`].
    pub fn set(&mut self, key: &str, value: f64) -> Result<()> {
        let count = |v: f64| -> Result<Option<u32>> {
            if v == 0.0 {
                Ok(None)
            } else if v.fract() == 0.0 && (1.0..=f64::from(MAX_SPEAKERS_LIMIT)).contains(&v) {
                Ok(Some(v as u32))
            } else {
                Err(Error::new(
                    Status::InvalidArgument,
                    format!(
                        "config.{key}: {value} must be a whole number in \
                         1..={MAX_SPEAKERS_LIMIT}, or 0 for no hint"
                    ),
                ))
            }
        };
        let v = value as f32;
        match key {
            "latency" => self.latency = v,
            "step" => self.step = v,
            "vad_window" => self.vad_window = v,
            "tau_active" => self.tau_active = Some(v),
            "delta_new" => self.delta_new = Some(v),
            "rho_update" => self.rho_update = v,
            "min_embedding_speech" => self.min_embedding_speech = v,
            "onset" => self.onset = Some(v),
            "offset" => self.offset = Some(v),
            "min_duration_on" => self.min_duration_on = v,
            "min_duration_off" => self.min_duration_off = v,
            "min_new_speaker_speech" => self.min_new_speaker_speech = v,
            "num_speakers" => self.num_speakers = count(value)?,
            "min_speakers" => self.min_speakers = count(value)?,
            "max_speakers" => self.max_speakers = count(value)?,
            "embedding_interval" => self.embedding_interval = v,
            "max_embedding_speech" => self.max_embedding_speech = v,
            "cluster_threshold" => self.cluster_threshold = Some(v),
            "cluster_count" => {
                self.cluster_count = Some(match value {
                    0.0 => ClusterCount::Threshold,
                    1.0 => ClusterCount::Gap,
                    _ => return Err(choice("cluster_count", value, "0 (threshold) or 1 (gap)")),
                })
            }
            "mode" => {
                self.mode = match value {
                    0.0 => Mode::Streaming,
                    1.0 => Mode::Offline,
                    _ => return Err(choice("mode", value, "0 (streaming) or 1 (offline)")),
                }
            }
            "refine" => {
                self.refine = match value {
                    0.0 => false,
                    1.0 => true,
                    _ => return Err(choice("refine", value, "0 (off) or 1 (on)")),
                }
            }
            "max_offline_audio" => self.max_offline_audio = v,
            "known_speaker_threshold" => self.known_speaker_threshold = Some(v),
            other => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!(
                        "unknown config key {other:?} (known: {})",
                        Config::KEYS.join(", ")
                    ),
                ))
            }
        }
        Ok(())
    }

    /// Whether the session keeps its windows and voiceprints for a clustering at flush.
    pub fn records(&self) -> bool {
        self.mode == Mode::Offline || self.refine
    }

    /// Effective (min, max) number of speakers: the exact count when given, else the
    /// bounds, with the defaults for those not given.
    pub fn speaker_bounds(&self) -> (u32, u32) {
        match self.num_speakers {
            Some(n) => (n, n),
            None => {
                let min = self.min_speakers.unwrap_or(1);
                (
                    min,
                    self.max_speakers.unwrap_or(DEFAULT_MAX_SPEAKERS.max(min)),
                )
            }
        }
    }
}

fn choice(key: &str, value: f64, allowed: &str) -> Error {
    Error::new(
        Status::InvalidArgument,
        format!("{key} {value} is not one of {allowed}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::contract::NarrowbandDistances;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn each_invalid_field_is_named() {
        let cases = [
            ("step", 0.0),
            ("latency", f64::NAN),
            ("onset", 1.5),
            ("offset", 0.9),
            ("delta_new", -1.0),
            ("vad_window", 0.1),
            ("embedding_interval", -1.0),
            ("max_offline_audio", 0.0),
            ("max_offline_audio", 1e6),
        ];
        for (field, value) in cases {
            let mut c = Config::default();
            c.set(field, value).unwrap();
            let err = c.validate().unwrap_err();
            assert!(err.message().contains(field), "{field}: {}", err.message());
            // The value given is in the message, as it was given.
            let shown = format!("{}", value as f32);
            assert!(err.message().contains(&shown), "{field}: {}", err.message());
        }
        let c = Config {
            min_speakers: Some(5),
            max_speakers: Some(2),
            ..Config::default()
        };
        let message = c.validate().unwrap_err().message().to_string();
        assert!(
            message.contains("min_speakers: 5") && message.contains("2"),
            "{message}"
        );
    }

    #[test]
    fn speaker_counts_must_be_whole_and_in_range_and_show_the_value() {
        for key in ["num_speakers", "min_speakers", "max_speakers"] {
            for value in [2.5, -1.0, f64::NAN, f64::INFINITY, 65.0, 1e12] {
                let mut c = Config::default();
                let err = c.set(key, value).unwrap_err();
                assert_eq!(err.status(), crate::Status::InvalidArgument);
                let message = err.message();
                assert!(message.contains(key), "{message}");
                assert!(message.contains(&format!("{value}")), "{message}");
                assert!(!message.contains("4294967295"), "{message}");
                assert_eq!(c, Config::default(), "a refused value changes nothing");
            }
            let mut c = Config::default();
            c.set(key, 3.0).unwrap();
            c.set(key, 0.0).unwrap();
            assert_eq!(c, Config::default(), "0 removes the hint");
        }
    }

    #[test]
    fn contradicting_count_hints_are_refused() {
        let mut c = Config::default();
        c.set("num_speakers", 3.0).unwrap();
        c.set("max_speakers", 2.0).unwrap();
        let message = c.validate().unwrap_err().message().to_string();
        assert!(
            message.contains("num_speakers: 3 contradicts max_speakers 2"),
            "{message}"
        );
        c.set("max_speakers", 0.0).unwrap();
        c.set("min_speakers", 4.0).unwrap();
        let message = c.validate().unwrap_err().message().to_string();
        assert!(message.contains("contradicts min_speakers 4"), "{message}");
        // Consistent hints are fine, and the exact count wins.
        c.set("min_speakers", 2.0).unwrap();
        c.set("max_speakers", 5.0).unwrap();
        c.validate().unwrap();
        assert_eq!(c.speaker_bounds(), (3, 3));
        // An exact count above the default upper bound needs no max_speakers.
        let c = Config {
            num_speakers: Some(30),
            ..Config::default()
        };
        c.validate().unwrap();
        assert_eq!(c.speaker_bounds(), (30, 30));
        let c = Config {
            min_speakers: Some(25),
            ..Config::default()
        };
        assert_eq!(c.speaker_bounds(), (25, 25));
        assert_eq!(Config::default().speaker_bounds(), (1, 20));
    }

    #[test]
    fn set_by_name_covers_every_key() {
        for key in Config::KEYS {
            let mut c = Config::default();
            let switch = ["mode", "refine", "cluster_count"].contains(&key);
            c.set(key, if switch { 1.0 } else { 7.0 }).unwrap();
            assert_ne!(c, Config::default(), "{key} changed nothing");
        }
        let mut c = Config::default();
        assert!(c.set("bogus", 1.0).unwrap_err().message().contains("bogus"));
        c.set("num_speakers", 0.0).unwrap();
        assert_eq!(c.num_speakers, None);
        assert!(c
            .set("max_speakers", 2.5)
            .unwrap_err()
            .message()
            .contains("max_speakers: 2.5"));
        let mut c = Config::default();
        assert!(c.set("mode", 2.0).unwrap_err().message().contains("mode"));
        assert!(c
            .set("refine", 0.5)
            .unwrap_err()
            .message()
            .contains("refine"));
        c.set("mode", 1.0).unwrap();
        assert!(c.records());
        c.set("refine", 1.0).unwrap();
        assert!(c.validate().unwrap_err().message().contains("refine"));
        c.set("mode", 0.0).unwrap();
        c.validate().unwrap();
        assert!(c.records());
    }

    #[test]
    fn narrowband_input_takes_the_narrowband_distances_the_caller_left_unset() {
        let recommended = RecommendedSettings {
            delta_new: Some(0.7),
            cluster_threshold: Some(0.62),
            narrowband: NarrowbandDistances {
                delta_new: None,
                cluster_threshold: Some(0.52),
            },
            ..RecommendedSettings::default()
        };
        let distances = |c: &Config| {
            (
                c.delta_new(),
                c.cluster_threshold(),
                c.known_speaker_threshold(),
            )
        };
        let narrowband = Config::default().with_narrowband_recommended(&recommended);
        // No narrowband delta_new: the wideband one; the known-speaker distance stays
        // the wideband effective one.
        assert_eq!(distances(&narrowband), (0.7, 0.52, 0.7));
        let mut caller = Config::default();
        caller.set("cluster_threshold", 0.4).unwrap();
        assert_eq!(
            distances(&caller.with_narrowband_recommended(&recommended)),
            (0.7, 0.4, 0.7)
        );
        // Without narrowband recommendations it is the wideband config.
        let plain = RecommendedSettings {
            narrowband: NarrowbandDistances::default(),
            ..recommended
        };
        assert_eq!(
            distances(&Config::default().with_narrowband_recommended(&plain)),
            distances(&Config::default().with_recommended(&plain))
        );
    }

    #[test]
    fn caller_settings_win_over_model_recommendations_over_defaults() {
        let recommended = RecommendedSettings {
            onset: Some(0.5),
            offset: Some(0.35),
            tau_active: None,
            delta_new: Some(0.7),
            cluster_threshold: None,
            cluster_count: None,
            narrowband: NarrowbandDistances::default(),
        };
        let plain = Config::default().with_recommended(&recommended);
        assert_eq!(
            (
                plain.onset(),
                plain.offset(),
                plain.tau_active(),
                plain.delta_new()
            ),
            (0.5, 0.35, DEFAULT_TAU_ACTIVE, 0.7)
        );
        let mut caller = Config::default();
        caller.set("onset", 0.6).unwrap();
        caller.set("tau_active", 0.3).unwrap();
        caller.set("delta_new", 0.4).unwrap();
        let mixed = caller.with_recommended(&recommended);
        assert_eq!(
            (
                mixed.onset(),
                mixed.offset(),
                mixed.tau_active(),
                mixed.delta_new()
            ),
            (0.6, 0.35, 0.3, 0.4)
        );
        let untouched = Config::default().with_recommended(&RecommendedSettings::default());
        assert_eq!(
            (
                untouched.onset(),
                untouched.offset(),
                untouched.tau_active(),
                untouched.delta_new()
            ),
            (
                DEFAULT_ONSET,
                DEFAULT_OFFSET,
                DEFAULT_TAU_ACTIVE,
                DEFAULT_DELTA_NEW
            )
        );
        // A caller's offset is checked against the model's onset, not the engine's.
        let mut c = Config::default();
        c.set("offset", 0.4).unwrap();
        assert!(c.validate().is_err());
        c.with_recommended(&RecommendedSettings {
            onset: Some(0.6),
            ..RecommendedSettings::default()
        })
        .validate()
        .unwrap();
    }

    #[test]
    fn cluster_count_comes_from_the_caller_the_model_or_the_default_and_not_on_telephone_audio() {
        assert_eq!(Config::default().cluster_count(), ClusterCount::Threshold);
        let recommended = RecommendedSettings {
            cluster_count: Some(ClusterCount::Gap),
            ..RecommendedSettings::default()
        };
        let config = Config::default();
        assert_eq!(
            config.with_recommended(&recommended).cluster_count(),
            ClusterCount::Gap
        );
        // A stream pushed at 8 kHz or less counts at the threshold...
        assert_eq!(
            config
                .with_narrowband_recommended(&recommended)
                .cluster_count(),
            ClusterCount::Threshold
        );
        // ...unless the caller chose.
        let mut caller = Config::default();
        caller.set("cluster_count", 1.0).unwrap();
        assert_eq!(
            caller
                .with_narrowband_recommended(&recommended)
                .cluster_count(),
            ClusterCount::Gap
        );
        caller.set("cluster_count", 0.0).unwrap();
        assert_eq!(
            caller.with_recommended(&recommended).cluster_count(),
            ClusterCount::Threshold
        );
        let e = caller.set("cluster_count", 2.0).unwrap_err();
        assert!(e.message().contains("cluster_count"), "{}", e.message());
        assert_eq!(
            caller.cluster_count,
            Some(ClusterCount::Threshold),
            "unchanged"
        );
    }
}
