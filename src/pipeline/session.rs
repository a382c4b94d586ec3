//! One audio stream: push audio as it arrives, poll final segments, flush at the end.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::aggregator::Aggregator;
use super::binarize::{keep_loudest, BinarizeSettings, Binarizer};
use super::clean_speech;
use super::clustering::ClusterSettings;
use super::continuity;
use super::naming::Naming;
use super::offline::{answer, AnswerSettings, Enrolled, OfflineAnswer};
use super::recording::Recording;
use super::segment::{end_at, Segment};
use super::stage::{LocalActivity, Stage};
use super::tracker::{LocalObservation, Tracker, TrackerSettings};
use crate::audio::{i16_to_f32, SampleRing, StreamResampler};
use crate::config::{Config, Mode};
use crate::error::{Error, Result, Status};
use crate::models::{Model, Segmenter};
use crate::voiceprint::Voiceprint;

/// Sample rate of everything after the resampler.
const RATE: u32 = crate::models::contract::MODEL_SAMPLE_RATE;
/// Input frames converted per slice, so a huge push never needs a huge buffer.
const PUSH_SLICE_FRAMES: usize = 16_384;
/// Speech (seconds of joint activity) a local speaker must share with a speaker of the
/// previous window to be taken for the same voice.
const MIN_SHARED_SECONDS: f32 = 0.2;
/// Most samples (all channels counted) one push may carry: 64 Mi, 256 MB of f32, 70 minutes
/// of 16 kHz mono. A push blocks its caller while it is processed, so an absurd count
/// (a corrupted length, an uninitialised variable) is refused up front instead of
/// blocking the host for hours; split longer audio into several pushes.
pub const MAX_PUSH_SAMPLES: usize = 1 << 26;
/// Highest input sample rate taken for band-limited (telephone) audio: the session then
/// switches to the embedding model's narrowband distances
/// ([`Config::with_narrowband_recommended`]) at the first push.
pub const NARROWBAND_MAX_HZ: u32 = 8_000;

/// Counters a session keeps about its own work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionStats {
    /// Seconds of audio consumed (at 16 kHz, after resampling).
    pub audio_seconds: f64,
    /// Windows processed.
    pub steps: u64,
    /// Embedding inference calls and the voiceprints they produced.
    pub embedding_calls: u64,
    pub embeddings: u64,
    /// Global speakers created (tentative ones included) and confirmed.
    pub speakers_created: usize,
    pub speakers_confirmed: usize,
    /// Bytes an offline or refining session keeps for its flush (0 for plain streaming).
    pub kept_bytes: usize,
    /// Speakers of the offline answer, once flushed.
    pub offline_speakers: usize,
    /// Wall time spent attributing the windows' local speakers to the stream's speakers
    /// and publishing segments (tracker, aggregation, binarization, naming): the part of
    /// a step that enrolled speakers add work to.
    pub attribution_seconds: f64,
}

/// Local speakers of one window and the voiceprints computed for them.
struct Voiceprints {
    active: Vec<bool>,
    /// Seconds of clean (non-overlapped) speech per local speaker.
    clean_seconds: Vec<f32>,
    /// Local speakers with a fresh voiceprint, in `embeddings` row order.
    rows: Vec<usize>,
    /// Window frames each local speaker's voiceprint audio came from.
    #[cfg(feature = "eval-oracle")]
    frames: Vec<Vec<usize>>,
}

/// A diarization session over one audio stream.
///
/// Created from a shared [`Model`]; use it from one thread at a time (it is `Send`).
/// In [`Mode::Streaming`] memory is bounded: it keeps about one window of audio and one
/// centroid per speaker, whatever the stream length. An offline or refining session also
/// keeps every window's activity and voiceprints for the flush ([`SessionStats::kept_bytes`]).
pub struct Session {
    model: Arc<Model>,
    config: Config,
    input: Option<StreamResampler>,
    ring: SampleRing,
    stage: Stage,
    tracker: Tracker,
    aggregator: Aggregator,
    binarizer: Binarizer,
    binarize: BinarizeSettings,
    /// Public ids of the live segments, and those segments until polled.
    live_names: Naming,
    live: VecDeque<Segment>,
    /// The effective config for a narrowband stream, where the embedding model's
    /// recommendation makes it differ; taken at the first push.
    narrowband_config: Option<Config>,
    /// Kept for the offline answer (offline mode, or `refine`).
    recording: Option<Recording>,
    /// The offline answer, once flushed, and its public ids.
    answer: Option<OfflineAnswer>,
    answer_names: Naming,
    /// Whether each slot's speaker continues the previous window's (see `continuity`).
    continued: Vec<bool>,
    frame_samples: u64,
    step_samples: u64,
    latency_samples: u64,
    next_step_end: u64,
    flushed: bool,
    broken: Option<Error>,
    stats: SessionStats,
    step_times: Option<Vec<f32>>,
    // Scratch buffers reused across steps to avoid steady-state allocation.
    mono: Vec<f32>,
    activity: LocalActivity,
    /// The previous window's activity, local speakers in their slots (see `continuity`;
    /// kept for multi-speaker segmenters only).
    previous_activity: LocalActivity,
    /// Frames of activity a local speaker must share with its slot's speaker in the
    /// previous window to continue it.
    min_shared_frames: f32,
    reorder_scratch: Vec<f32>,
    /// Activities of one batch of windows, and where those windows end.
    activities: Vec<LocalActivity>,
    batch_ends: Vec<u64>,
    clean: Vec<Vec<f32>>,
    /// Seconds of new clean speech per local speaker since its last voiceprint.
    speech_since_embedding: Vec<f32>,
    /// Whether each slot's voice has had a voiceprint since it started (offline mode).
    voiced: Vec<bool>,
    batch: Vec<f32>,
    embeddings: Vec<f32>,
    public_scores: Vec<f32>,
}

impl Session {
    /// Starts a session on `model` with `config` (validated here).
    pub fn new(model: Arc<Model>, config: Config) -> Result<Session> {
        let recommended = model.recommended_settings();
        let narrowband = config.with_narrowband_recommended(&recommended);
        let config = config.with_recommended(&recommended);
        config.validate()?;
        narrowband.validate()?;
        let narrowband_config = ((
            narrowband.delta_new(),
            narrowband.cluster_threshold(),
            narrowband.cluster_count(),
        ) != (
            config.delta_new(),
            config.cluster_threshold(),
            config.cluster_count(),
        ))
            .then_some(narrowband);
        let embedder = model.embedder().contract();
        for (i, speaker) in config.speakers.iter().enumerate() {
            speaker
                .check_model(embedder)
                .map_err(|e| Error::config(&format!("speakers[{i}]"), e.message()))?;
        }
        let naming = || Naming::new(config.speakers.len());
        let seconds = |s: f32| (s * RATE as f32).round() as u64;
        let segmenter = model.segmenter();
        let frame_samples = Stage::frame_samples(segmenter) as u64;
        let step_samples = seconds(config.step).max(1);
        let window_samples = match segmenter {
            Segmenter::Vad(_) => seconds(config.vad_window),
            Segmenter::Windowed(m) => m.contract().window_samples as u64,
        };
        let embed_window = model.embedder().contract().window_samples as u64;
        // Room for one batch of windows: each window's audio must still be there when its
        // step runs after the batched segmentation.
        let batch_steps = model.max_batch() as u64;
        let ring = SampleRing::new(
            (window_samples.max(embed_window) + step_samples * batch_steps + frame_samples)
                as usize,
        );
        let stage = Stage::new(segmenter, window_samples as usize);
        let (min_speakers, max_speakers) = config.speaker_bounds();
        // An enrolled voiceprint weighs as many voiceprints as its speech would make.
        let known: Vec<(&[f32], f32)> = config
            .speakers
            .iter()
            .map(|v| {
                let weight = (v.speech_seconds() / config.max_embedding_speech).max(1.0);
                (v.vector(), weight)
            })
            .collect();
        let settings = TrackerSettings {
            delta_new: config.delta_new(),
            rho_update: config.rho_update,
            min_speakers,
            max_speakers,
            min_new_speaker_speech: config.min_new_speaker_speech,
            known_threshold: config.known_speaker_threshold(),
        };
        let tracker = Tracker::with_known(settings, &known);
        let frames = |s: f32| ((s * RATE as f32) / frame_samples as f32).round() as i64;
        let binarize = BinarizeSettings {
            onset: config.onset(),
            offset: config.offset(),
            min_on: frames(config.min_duration_on),
            min_off: frames(config.min_duration_off),
            frame_seconds: frame_samples as f64 / f64::from(RATE),
        };
        let local_speakers = match segmenter {
            Segmenter::Vad(_) => 1,
            Segmenter::Windowed(m) => m.contract().speakers,
        };
        let recording = config.records().then(|| {
            Recording::new(
                model.embedder().contract().embedding_dim,
                local_speakers,
                frame_samples as f32 / RATE as f32,
            )
        });
        Ok(Session {
            latency_samples: seconds(config.latency).max(step_samples),
            live_names: naming(),
            live: VecDeque::new(),
            answer_names: naming(),
            model,
            config,
            input: None,
            ring,
            stage,
            tracker,
            aggregator: Aggregator::default(),
            binarizer: Binarizer::new(binarize.clone()),
            binarize,
            narrowband_config,
            recording,
            answer: None,
            continued: Vec::new(),
            frame_samples,
            step_samples,
            next_step_end: step_samples,
            flushed: false,
            broken: None,
            stats: SessionStats::default(),
            step_times: None,
            mono: Vec::new(),
            activity: LocalActivity::default(),
            previous_activity: LocalActivity::default(),
            min_shared_frames: MIN_SHARED_SECONDS * RATE as f32 / frame_samples as f32,
            reorder_scratch: Vec::new(),
            activities: Vec::new(),
            batch_ends: Vec::new(),
            clean: Vec::new(),
            speech_since_embedding: Vec::new(),
            voiced: Vec::new(),
            batch: Vec::new(),
            embeddings: Vec::new(),
            public_scores: Vec::new(),
        })
    }

    /// The session's effective config: the caller's, with unset settings taken from the
    /// models' recommendations (from the first push of a stream at
    /// [`NARROWBAND_MAX_HZ`] or less, the embedding model's narrowband distances).
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn stats(&self) -> SessionStats {
        SessionStats {
            speakers_created: self.tracker.len(),
            speakers_confirmed: self.tracker.confirmed(),
            kept_bytes: self.recording.as_ref().map_or(0, Recording::bytes),
            offline_speakers: self.answer.as_ref().map_or(0, |a| a.voiceprints.len()),
            ..self.stats.clone()
        }
    }

    /// Starts (or stops) recording the compute time of each step, for benchmarks.
    pub fn record_step_times(&mut self, on: bool) {
        self.step_times = on.then(Vec::new);
    }

    /// Returns and clears the recorded step compute times, in seconds.
    pub fn take_step_times(&mut self) -> Vec<f32> {
        self.step_times
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Voiceprint of a speaker (a segment's id) that has appeared in this stream's
    /// segments (in offline mode: once flushed): its centroid now, the seconds of speech
    /// in its segments so far, its name when enrolled. `None` for an id no segment had.
    pub fn voiceprint(&self, speaker: u32) -> Option<Voiceprint> {
        if self.config.mode == Mode::Offline {
            return self.refined_voiceprint(speaker);
        }
        let label = self.live_names.label_of(speaker)?;
        let vector = self
            .tracker
            .voiceprint(self.binarizer.track_of_label(label)?)?;
        self.voiceprint_of(speaker, vector, self.live_names.speech_seconds(speaker))
    }

    /// Voiceprint of a speaker of the offline answer (the refined result of a streaming
    /// session, the segments of an offline one), once flushed.
    pub fn refined_voiceprint(&self, speaker: u32) -> Option<Voiceprint> {
        let label = self.answer_names.label_of(speaker)?;
        let vector = self.answer.as_ref()?.voiceprints.get(label as usize)?;
        self.voiceprint_of(speaker, vector, self.answer_names.speech_seconds(speaker))
    }

    fn voiceprint_of(&self, speaker: u32, vector: &[f32], speech: f64) -> Option<Voiceprint> {
        let model = &self.model.embedder().contract().provenance;
        Voiceprint::new(
            &model.name,
            &model.version,
            vector.to_vec(),
            speech as f32,
            self.speaker_name(speaker),
        )
        .ok()
    }

    /// Name of speaker id `speaker`: the enrolled speaker's for ids below the number
    /// enrolled (whether or not it spoke), else `None`.
    pub fn speaker_name(&self, speaker: u32) -> Option<&str> {
        self.config.speakers.get(speaker as usize)?.name()
    }

    /// Pushes interleaved f32 samples in -1..1 at any rate in 8..=192 kHz.
    ///
    /// A rejected push (NaN/Inf sample, bad rate or channel count, a rate that differs
    /// from earlier pushes, a length that is not a whole number of frames, push after
    /// flush, more than [`MAX_PUSH_SAMPLES`] samples) consumes nothing and leaves the session
    /// usable. An empty push consumes nothing and is checked the same way (so it too is
    /// refused after flush).
    pub fn push(&mut self, samples: &[f32], sample_rate: u32, channels: u32) -> Result<()> {
        let first = self.check_push(samples.len(), sample_rate, channels)?;
        if let Some(i) = samples.iter().position(|v| !v.is_finite()) {
            return Err(Error::new(
                Status::InvalidAudio,
                format!(
                    "sample {i} of the push is {}; nothing was consumed",
                    samples[i]
                ),
            ));
        }
        self.accept_format(first, samples.len());
        let channels = channels as usize;
        for slice in samples.chunks(PUSH_SLICE_FRAMES * channels) {
            self.consume(slice.iter().copied())?;
        }
        Ok(())
    }

    /// Pushes interleaved 16-bit PCM samples; same rules as [`Session::push`].
    pub fn push_i16(&mut self, samples: &[i16], sample_rate: u32, channels: u32) -> Result<()> {
        let first = self.check_push(samples.len(), sample_rate, channels)?;
        self.accept_format(first, samples.len());
        let channels = channels as usize;
        for slice in samples.chunks(PUSH_SLICE_FRAMES * channels) {
            self.consume(slice.iter().map(|&v| i16_to_f32(v)))?;
        }
        Ok(())
    }

    fn check_usable(&self) -> Result<()> {
        if let Some(e) = &self.broken {
            return Err(Error::new(
                Status::InvalidState,
                format!("session stopped after an earlier failure: {}", e.message()),
            ));
        }
        Ok(())
    }

    /// Validates a push before anything is consumed. Returns the converter for a first
    /// push; the caller installs it only once the push is accepted, so a rejected (or
    /// empty) first push does not fix the stream's format.
    fn check_push(
        &self,
        len: usize,
        sample_rate: u32,
        channels: u32,
    ) -> Result<Option<StreamResampler>> {
        self.check_usable()?;
        if self.flushed {
            return Err(Error::new(
                Status::InvalidState,
                "push after flush: the stream has ended",
            ));
        }
        if self.config.records() && channels > 0 && sample_rate > 0 {
            let seconds = (len / channels as usize) as f64 / f64::from(sample_rate);
            let limit = f64::from(self.config.max_offline_audio);
            if self.stats.audio_seconds + seconds > limit + 1e-3 {
                return Err(Error::new(
                    Status::LimitReached,
                    format!(
                        "this push would take the stream past max_offline_audio ({limit} s), \
                         the most an offline or refining session keeps; nothing was \
                         consumed, flush for the answer up to here"
                    ),
                ));
            }
        }
        if len > MAX_PUSH_SAMPLES {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "{len} samples in one push is more than the maximum {MAX_PUSH_SAMPLES}; \
                     nothing was consumed, split the audio into smaller pushes"
                ),
            ));
        }
        if !(1..=32).contains(&channels) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("channel count {channels} is outside 1..=32"),
            ));
        }
        if !len.is_multiple_of(channels as usize) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("{len} samples is not a whole number of {channels}-channel frames"),
            ));
        }
        match &self.input {
            Some(r) if r.input_rate() != sample_rate || r.channels() != channels as usize => {
                Err(Error::new(
                    Status::UnsupportedSampleRate,
                    format!(
                    "format changed mid-stream from {} Hz x {} to {sample_rate} Hz x {channels}",
                    r.input_rate(),
                    r.channels()
                ),
                ))
            }
            Some(_) => Ok(None),
            None => StreamResampler::new(sample_rate, channels, RATE).map(Some),
        }
    }

    /// Installs the converter of an accepted first push, and the narrowband distances
    /// when the stream is band-limited.
    fn accept_format(&mut self, first: Option<StreamResampler>, len: usize) {
        let Some(first) = first.filter(|_| len > 0) else {
            return;
        };
        if first.input_rate() <= NARROWBAND_MAX_HZ {
            if let Some(narrowband) = self.narrowband_config.take() {
                self.tracker.set_delta_new(narrowband.delta_new());
                self.config = narrowband;
            }
        }
        self.input = Some(first);
    }

    fn consume(&mut self, samples: impl Iterator<Item = f32>) -> Result<()> {
        let mut mono = std::mem::take(&mut self.mono);
        mono.clear();
        let converted = match self.input.as_mut() {
            Some(r) => r.push(samples, &mut mono),
            None => Ok(()),
        };
        let result = converted.and_then(|_| self.process(&mono));
        self.mono = mono;
        self.fail_on_error(result)
    }

    fn fail_on_error<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.broken = Some(e.clone());
        }
        result
    }

    /// Appends 16 kHz mono audio, running a step at every step boundary. The steps whose
    /// windows this audio completes (at most one batch at a time) share one segmentation
    /// inference; each is still done before this call returns, so batching adds no latency.
    fn process(&mut self, mut audio: &[f32]) -> Result<()> {
        let batch_limit = self.model.max_batch() as u64;
        while !audio.is_empty() {
            let len = audio.len() as u64;
            let to_next = self.next_step_end - self.ring.end();
            let ready = if len < to_next {
                0
            } else {
                (1 + (len - to_next) / self.step_samples).min(batch_limit)
            };
            let take = match ready {
                0 => len,
                n => to_next + (n - 1) * self.step_samples,
            };
            let (now, rest) = audio.split_at(take as usize);
            self.ring.push(now);
            self.stage.feed(self.model.segmenter(), now)?;
            self.stats.audio_seconds += now.len() as f64 / f64::from(RATE);
            audio = rest;
            if ready > 0 {
                self.steps(ready as usize)?;
            }
        }
        Ok(())
    }

    /// Runs the next `n` steps, whose windows are all in the ring: one segmentation
    /// inference for all of them, then each step in order.
    fn steps(&mut self, n: usize) -> Result<()> {
        let started = Instant::now();
        let model = Arc::clone(&self.model);
        self.batch_ends.clear();
        self.batch_ends
            .extend((0..n as u64).map(|i| self.next_step_end + i * self.step_samples));
        if self.activities.len() < n {
            self.activities.resize_with(n, LocalActivity::default);
        }
        self.stage.windows(
            model.segmenter(),
            &self.ring,
            &self.batch_ends,
            &mut self.activities[..n],
        )?;
        // Each step is charged an equal share of the batched inference.
        let segmentation_share = started.elapsed() / n as u32;
        for i in 0..n {
            std::mem::swap(&mut self.activity, &mut self.activities[i]);
            let result = self.step(self.batch_ends[i], segmentation_share);
            std::mem::swap(&mut self.activity, &mut self.activities[i]);
            result?;
            self.next_step_end += self.step_samples;
        }
        Ok(())
    }

    /// One window whose local activity is in `self.activity`: embeddings, tracking,
    /// aggregation, finalisation.
    fn step(&mut self, end: u64, segmentation_time: std::time::Duration) -> Result<()> {
        let started = Instant::now();
        let model = Arc::clone(&self.model);
        self.continue_local_speakers();
        let voiceprints = self.voiceprints(&model, end)?;
        let dim = model.embedder().contract().embedding_dim;
        #[cfg(feature = "eval-oracle")]
        let (oracle_tau, frame_s) = (
            self.config.tau_active(),
            self.frame_samples as f64 / RATE as f64,
        );
        #[cfg(feature = "eval-oracle")]
        super::oracle::mark_voiceprints(
            &self.activity,
            &voiceprints.rows,
            &voiceprints.frames,
            &mut self.embeddings,
            dim,
            frame_s,
        );
        let observations: Vec<LocalObservation> = (0..self.activity.speakers)
            .map(|k| LocalObservation {
                active: voiceprints.active[k],
                embedding: voiceprints
                    .rows
                    .iter()
                    .position(|&r| r == k)
                    .map(|row| &self.embeddings[row * dim..(row + 1) * dim]),
                clean_speech: voiceprints.clean_seconds[k],
            })
            .collect();
        if let Some(recording) = self.recording.as_mut() {
            recording.record(
                &self.activity,
                self.config.tau_active(),
                &voiceprints.active,
                &self.continued,
                |k| observations[k].embedding,
            );
        }
        if self.config.mode == Mode::Streaming {
            let attribution_started = Instant::now();
            let step_seconds = self.step_samples as f32 / RATE as f32;
            let mut assigned = self.tracker.assign(&observations, step_seconds);
            let binarizer = &self.binarizer;
            self.tracker
                .merge_into_known(&mut assigned, |p| !binarizer.has_released(p));
            #[cfg(feature = "eval-oracle")]
            let assigned = super::oracle::assignment(assigned, &self.activity, oracle_tau, frame_s);
            let a = &self.activity;
            for f in 0..a.frames {
                let frame = a.first_frame + f as i64;
                self.aggregator.cover(frame);
                for (k, g) in assigned.iter().enumerate() {
                    if let Some(g) = *g {
                        self.aggregator.add(frame, g, a.get(f, k));
                    }
                }
            }
            let final_until =
                (end.saturating_sub(self.latency_samples) / self.frame_samples) as i64;
            self.finalize(final_until);
            self.publish();
            self.stats.attribution_seconds += attribution_started.elapsed().as_secs_f64();
        }

        self.stats.steps += 1;
        if let Some(times) = self.step_times.as_mut() {
            times.push((started.elapsed() + segmentation_time).as_secs_f32());
        }
        Ok(())
    }

    /// Puts the window's local speakers into the slots of the previous window's speakers
    /// they continue, so per-slot state (last global speaker, speech since the last
    /// voiceprint) follows the voice; a slot whose speaker is not continued loses it.
    fn continue_local_speakers(&mut self) {
        let speakers = self.activity.speakers;
        if speakers > 1 {
            let alignment = continuity::align(
                &self.previous_activity,
                &self.activity,
                self.min_shared_frames,
            );
            continuity::apply(
                &mut self.activity,
                &alignment.slot,
                &mut self.reorder_scratch,
            );
            self.continued.clone_from(&alignment.continues);
            for (slot, continued) in alignment.continues.into_iter().enumerate() {
                if !continued {
                    self.tracker.forget_local(slot);
                    if let Some(speech) = self.speech_since_embedding.get_mut(slot) {
                        *speech = 0.0;
                    }
                    if let Some(voiced) = self.voiced.get_mut(slot) {
                        *voiced = false;
                    }
                }
            }
            self.previous_activity.copy_from(&self.activity);
        }
    }

    /// Which local speakers are active, their clean speech, and fresh voiceprints (one
    /// batched inference into `self.embeddings`) for those that need one.
    fn voiceprints(&mut self, model: &Model, end: u64) -> Result<Voiceprints> {
        let locals = self.activity.speakers;
        let tau = self.config.tau_active();

        // Clean (non-overlapped) speech of each active local speaker, newest last.
        let embed_contract = model.embedder().contract();
        let max_clean = embed_contract
            .window_samples
            .min((self.config.max_embedding_speech * RATE as f32) as usize);
        // Pieces shorter than the model's minimum are repeated up to it (see below).
        let min_clean = (self.config.min_embedding_speech * RATE as f32) as usize;
        let min_model = embed_contract.min_samples;
        self.clean.resize_with(locals, Vec::new);
        self.speech_since_embedding.resize(locals, 0.0);
        let mut active = vec![false; locals];
        let mut clean_seconds = vec![0.0f32; locals];
        let frame_seconds = self.frame_samples as f32 / RATE as f32;
        let max_frames = (max_clean as u64 / self.frame_samples).max(1) as usize;
        let min_clean_frames = (min_clean as u64).div_ceil(self.frame_samples) as usize;
        let step_start = (end - self.step_samples) as i64 / self.frame_samples as i64;
        let mut needs_embedding = vec![false; locals];
        #[cfg(feature = "eval-oracle")]
        let mut oracle_frames = vec![Vec::new(); locals];
        for k in 0..locals {
            self.clean[k].clear();
            let a = &self.activity;
            active[k] = (0..a.frames).any(|f| a.get(f, k) > tau);
            if !active[k] {
                continue;
            }
            let chosen = clean_speech::select(a, k, tau, min_clean_frames, max_frames);
            #[cfg(feature = "eval-oracle")]
            oracle_frames[k].clone_from(&chosen.frames);
            for &f in &chosen.frames {
                let start = (a.first_frame + f as i64) * self.frame_samples as i64;
                self.ring.extend_range(
                    start,
                    start + self.frame_samples as i64,
                    &mut self.clean[k],
                );
            }
            clean_seconds[k] = chosen.alone as f32 * frame_seconds;
            // A new voiceprint only once enough new speech has come in; until then the
            // speaker keeps its global speaker (a silent step would repeat the last one).
            let new_frames = chosen
                .frames
                .iter()
                .filter(|&&f| a.first_frame + f as i64 >= step_start)
                .count();
            self.speech_since_embedding[k] += new_frames as f32 * frame_seconds;
            // (An offline session runs no tracker: whether the slot's voice has had a
            // voiceprint since it started says the same.)
            let known = match self.config.mode {
                Mode::Streaming => self.tracker.last_global(k).is_some(),
                Mode::Offline => self.voiced.get(k).copied().unwrap_or(false),
            };
            needs_embedding[k] =
                self.speech_since_embedding[k] >= self.config.embedding_interval || !known;
        }

        // One batched inference for every speaker with enough clean speech; shorter
        // pieces are repeated up to the batch's length.
        let embed_rows: Vec<usize> = (0..locals)
            .filter(|&k| active[k] && needs_embedding[k] && self.clean[k].len() >= min_clean)
            .collect();
        self.voiced.resize(locals, false);
        for &k in &embed_rows {
            self.speech_since_embedding[k] = 0.0;
            self.voiced[k] = true;
        }
        if !embed_rows.is_empty() {
            let len = embed_rows
                .iter()
                .map(|&k| self.clean[k].len())
                .max()
                .unwrap_or(0)
                .max(min_model);
            self.batch.clear();
            for &k in &embed_rows {
                let piece = &self.clean[k];
                self.batch.extend(piece.iter().cycle().take(len));
            }
            model
                .embedder()
                .embed(&self.batch, embed_rows.len(), &mut self.embeddings)?;
            self.stats.embedding_calls += 1;
            self.stats.embeddings += embed_rows.len() as u64;
        }
        Ok(Voiceprints {
            active,
            clean_seconds,
            rows: embed_rows,
            #[cfg(feature = "eval-oracle")]
            frames: oracle_frames,
        })
    }

    /// Makes every frame before `until` final and binarizes it.
    fn finalize(&mut self, until: i64) {
        let one_speaker_per_frame = matches!(self.model.segmenter(), Segmenter::Vad(_));
        // The tracker does not change while frames are finalised: resolve each global
        // speaker's public id (a nearest-centroid search for tentative ones) once.
        let public_ids: Vec<Option<u32>> = (0..self.tracker.len())
            .map(|g| self.tracker.public_id(g))
            .collect();
        #[cfg(feature = "eval-oracle")]
        let public_ids = super::oracle::public_ids(public_ids);
        let Session {
            aggregator,
            binarizer,
            public_scores,
            ..
        } = self;
        aggregator.finalize(until, |frame, per_speaker| {
            public_scores.clear();
            for (g, &score) in per_speaker.iter().enumerate() {
                if let Some(id) = public_ids.get(g).copied().flatten() {
                    let id = id as usize;
                    if public_scores.len() <= id {
                        public_scores.resize(id + 1, 0.0);
                    }
                    public_scores[id] = (public_scores[id] + score).min(1.0);
                }
            }
            if one_speaker_per_frame {
                keep_loudest(public_scores);
            }
            binarizer.push_frame(frame, public_scores);
        });
    }

    /// Moves the segments the binarizer released to the live queue under their public
    /// ids (see `naming`), each speaker's id decided from its voiceprint at its first.
    fn publish(&mut self) {
        let Session {
            binarizer,
            tracker,
            live_names,
            live,
            ..
        } = self;
        while let Some(mut segment) = binarizer.ready().pop_front() {
            live_names.name_live(&mut segment, |label| {
                tracker.known_of(binarizer.track_of_label(label)?)
            });
            live.push_back(segment);
        }
    }

    /// Ends the stream: processes the buffered tail and closes every open segment.
    /// Afterwards pushes are refused; polling returns the remaining segments.
    pub fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        if self.flushed {
            return Ok(());
        }
        self.flushed = true;
        let mut mono = std::mem::take(&mut self.mono);
        mono.clear();
        let result = (|| {
            if let Some(r) = self.input.as_mut() {
                r.flush(&mut mono)?;
            }
            self.process(&mono)?;
            let stream_end = self.ring.end();
            if stream_end + self.step_samples > self.next_step_end {
                // Unprocessed tail: pad with silence up to the next step boundary.
                let pad = vec![0.0; (self.next_step_end - stream_end) as usize];
                self.process(&pad)?;
            }
            let end_frame = stream_end.div_ceil(self.frame_samples) as i64;
            self.finalize(end_frame);
            self.binarizer.finish(end_frame);
            let end_seconds = stream_end as f64 / f64::from(RATE);
            end_at(self.binarizer.ready(), end_seconds);
            self.publish();
            self.stats.audio_seconds = end_seconds;
            if let Some(recording) = self.recording.take() {
                let mut answer = self.offline_answer(&recording, end_frame, end_seconds);
                self.answer_names.name_all(&answer.known);
                answer
                    .segments
                    .iter_mut()
                    .for_each(|s| self.answer_names.rename(s));
                self.answer = Some(answer);
            }
            Ok(())
        })();
        self.mono = mono;
        self.fail_on_error(result)
    }

    /// Clusters everything `recording` kept (the flush of an offline or refining session).
    fn offline_answer(
        &self,
        recording: &Recording,
        end_frame: i64,
        end_seconds: f64,
    ) -> OfflineAnswer {
        let (min_speakers, max_speakers) = self.config.speaker_bounds();
        let enrolled: Vec<Vec<f32>> = self
            .config
            .speakers
            .iter()
            .map(|v| v.vector().to_vec())
            .collect();
        answer(
            recording,
            &Enrolled {
                voiceprints: &enrolled,
                threshold: self.config.known_speaker_threshold(),
            },
            AnswerSettings {
                clustering: ClusterSettings {
                    count: self.config.cluster_count(),
                    threshold: self.config.cluster_threshold(),
                    min_speakers: min_speakers as usize,
                    max_speakers: max_speakers as usize,
                    min_speech: self.config.min_new_speaker_speech,
                },
                binarize: self.binarize.clone(),
                one_speaker_per_frame: matches!(self.model.segmenter(), Segmenter::Vad(_)),
                end_frame,
                end_seconds,
            },
        )
    }

    /// The queue `poll` and friends draw from: the live segments of a streaming session,
    /// the offline answer of an offline one (empty until flush).
    fn segments(&mut self) -> &mut VecDeque<Segment> {
        match (self.config.mode, self.answer.as_mut()) {
            (Mode::Offline, Some(answer)) => &mut answer.segments,
            _ => &mut self.live,
        }
    }

    /// Number of final segments waiting to be polled.
    pub fn pending_segments(&mut self) -> usize {
        self.segments().len()
    }

    /// Removes and returns the oldest final segment not returned yet.
    pub fn next_segment(&mut self) -> Option<Segment> {
        self.segments().pop_front()
    }

    /// Returns every final segment not returned yet, in start order.
    pub fn poll(&mut self) -> Vec<Segment> {
        self.segments().drain(..).collect()
    }

    /// The refined result's queue: empty until flush; an error unless `refine` is on.
    fn refined(&mut self) -> Result<&mut VecDeque<Segment>> {
        if !self.config.refine {
            return Err(Error::new(
                Status::InvalidState,
                "no refined result: this session's config has refine off \
                 (an offline session's own segments are its refined result)",
            ));
        }
        Ok(&mut self
            .answer
            .get_or_insert_with(OfflineAnswer::default)
            .segments)
    }

    /// Number of segments of the refined result waiting to be polled (0 until flush).
    pub fn pending_refined_segments(&mut self) -> Result<usize> {
        Ok(self.refined()?.len())
    }

    /// Removes and returns the oldest segment of the refined result not returned yet.
    pub fn next_refined_segment(&mut self) -> Result<Option<Segment>> {
        Ok(self.refined()?.pop_front())
    }

    /// Returns every segment of the refined result not returned yet, in start order: the
    /// offline answer of a streaming session with `refine` on, once flushed. The live
    /// segments stay as they were returned.
    pub fn poll_refined(&mut self) -> Result<Vec<Segment>> {
        Ok(self.refined()?.drain(..).collect())
    }

    /// Samples of state the session holds (audio history plus frames not final yet);
    /// constant in the steady state, whatever the stream length.
    pub fn buffered_samples(&self) -> usize {
        self.ring.capacity() + self.aggregator.len() * self.frame_samples as usize
    }

    /// Whether [`Session::flush`] has been called.
    pub fn is_flushed(&self) -> bool {
        self.flushed
    }
}
