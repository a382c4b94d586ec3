//! `voiceflow`: diarize an audio file, make voiceprints of known speakers, or benchmark the
//! streaming engine on a file.

// The CLI's own modules live beside this file, in `voiceflow/` (a crate root outside
// `main.rs`/`mod.rs` looks for them in `src/bin/`).
#[path = "voiceflow/output.rs"]
mod output;
#[path = "voiceflow/plot.rs"]
mod plot;
#[path = "voiceflow/progress.rs"]
mod progress;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use output::Failure;
use progress::Progress;
use voiceflow::audio::{read_audio, DecodedAudio};
use voiceflow::pipeline::SpeakerNames;
use voiceflow::{Config, Error, Mode, Model, ModelOptions, Session, Status, Voiceprint};

#[derive(Parser)]
#[command(
    name = "voiceflow",
    version,
    about = "Streaming speaker diarization: who spoke when"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar (one is drawn on stderr only when it is a terminal).
    #[arg(long, global = true)]
    no_progress: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Diarize an audio file by streaming it through a session in small chunks.
    Diarize {
        audio: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also draw the result as a timeline; the extension picks SVG or PNG.
        #[arg(long, value_name = "FILE.svg|FILE.png", value_parser = plot::parse_target)]
        plot: Option<plot::PlotTarget>,
        /// Known speakers: voiceprint files (`voiceflow enroll`). Their speech is labelled
        /// with their names (an unnamed voiceprint: its file name); the first file is
        /// id 0, the next id 1, and the speakers found besides them are SPEAKER_NN.
        #[arg(long, value_name = "FILE.json", num_args = 1..)]
        speakers: Vec<PathBuf>,
        /// Write the voiceprint of every speaker of the result into this folder (made if
        /// missing), one `<label>.json` each, ready for --speakers next time.
        #[arg(long, value_name = "DIR")]
        export_speakers: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Make a voiceprint of one speaker from an audio file (the speech between --start and
    /// --end, at least 2 s of one voice) for `diarize --speakers`.
    Enroll {
        audio: PathBuf,
        /// The speaker's name (the label its speech gets).
        #[arg(long)]
        name: String,
        /// Where the speaker's speech starts, in seconds (default: the start).
        #[arg(long, value_name = "S")]
        start: Option<f64>,
        /// Where it ends, in seconds (default: the end of the file).
        #[arg(long, value_name = "E")]
        end: Option<f64>,
        /// The voiceprint file to write (JSON).
        #[arg(long, value_name = "FILE.json")]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Measure speed and memory on a WAV file; prints a JSON report.
    Bench {
        audio: PathBuf,
        /// Loop the file until this many minutes of audio have been streamed.
        #[arg(long, default_value_t = 0.0)]
        loop_minutes: f64,
        /// Extra sessions opened on the same model to measure per-session memory.
        #[arg(long, default_value_t = 8)]
        extra_sessions: usize,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Cluster the whole file at the end: the best answer.
    Offline,
    /// Segments as the audio streams in, a few seconds behind it.
    Streaming,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Rttm,
    Json,
    Text,
}

#[derive(Args)]
struct EngineArgs {
    /// offline (diarize's default) or streaming (bench's default).
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Seconds behind the newest audio after which segments are final.
    #[arg(long)]
    latency: Option<f32>,
    /// Seconds between windows.
    #[arg(long)]
    step: Option<f32>,
    /// Exact number of speakers, when known.
    #[arg(long, conflicts_with_all = ["min_speakers", "max_speakers"])]
    num_speakers: Option<u32>,
    #[arg(long)]
    min_speakers: Option<u32>,
    #[arg(long)]
    max_speakers: Option<u32>,
    /// New-speaker threshold (cosine distance); default: the embedding model's
    /// recommendation, else 0.3.
    #[arg(long)]
    delta_new: Option<f32>,
    /// Any configuration field, as KEY=VALUE (repeatable), e.g. --set onset=0.6.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Input chunk pushed per call, in milliseconds.
    #[arg(long, default_value_t = 100)]
    chunk_ms: u32,
    #[command(flatten)]
    model: ModelArgs,
}

/// Which models to run, and where.
#[derive(Args)]
struct ModelArgs {
    /// Segmentation model (a `vad` or `segmentation` ONNX file); default: pyannote
    /// segmentation-3.0 from the set-up folder.
    #[arg(long)]
    segmentation: Option<PathBuf>,
    /// Embedding model; default: the int8 CAM++ speaker encoder from the set-up folder.
    #[arg(long)]
    embedding: Option<PathBuf>,
    /// Device: cpu, cpu:N (N threads), cuda, cuda:K (GPU K) or best.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Run on the CPU when the requested GPU cannot be used (reported on stderr).
    #[arg(long)]
    allow_cpu_fallback: bool,
    /// Most segmentation windows per inference (windowed models; 1..=64).
    #[arg(long, default_value_t = voiceflow::models::DEFAULT_MAX_BATCH)]
    max_batch: usize,
}

impl EngineArgs {
    /// The session config; `mode` unless `--mode` says otherwise.
    fn config(&self, mode: Mode) -> Result<Config, Error> {
        let mut c = Config {
            mode: match self.mode {
                Some(ModeArg::Offline) => Mode::Offline,
                Some(ModeArg::Streaming) => Mode::Streaming,
                None => mode,
            },
            ..Config::default()
        };
        for setting in &self.settings {
            let parsed = setting
                .split_once('=')
                .and_then(|(k, v)| Some((k.trim(), v.trim().parse::<f64>().ok()?)));
            let Some((key, value)) = parsed else {
                return Err(Error::new(
                    voiceflow::Status::InvalidArgument,
                    format!("--set {setting:?}: expected KEY=NUMBER"),
                ));
            };
            c.set(key, value)?;
        }
        let set = |slot: &mut f32, v: Option<f32>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut c.latency, self.latency);
        set(&mut c.step, self.step);
        if self.delta_new.is_some() {
            c.delta_new = self.delta_new;
        }
        if self.num_speakers.is_some() {
            c.num_speakers = self.num_speakers;
        }
        c.min_speakers = self.min_speakers.or(c.min_speakers);
        c.max_speakers = self.max_speakers.or(c.max_speakers);
        Ok(c)
    }

    fn chunk_frames(&self, audio: &DecodedAudio) -> usize {
        (audio.sample_rate as usize * self.chunk_ms.max(1) as usize / 1000).max(1)
    }
}

impl ModelArgs {
    fn open_model(&self) -> Result<Arc<Model>, Error> {
        let options = ModelOptions {
            segmentation: self.segmentation.clone(),
            embedding: self.embedding.clone(),
            device: self.device.parse()?,
            allow_cpu_fallback: self.allow_cpu_fallback,
            max_batch: self.max_batch,
            ..ModelOptions::default()
        };
        let model = Model::open(&options)?;
        // A fallback is never silent.
        if model.device().fallback.is_some() {
            output::warn(format_args!("device {}", model.device().summary()));
        }
        Ok(Arc::new(model))
    }
}

fn main() -> ExitCode {
    // A decoder panic on a malformed file is contained by read_audio and reported as one
    // error line; the default hook's "thread panicked" text would only add noise to it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !voiceflow::audio::in_audio_decoder() {
            default_hook(info);
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_exit(&e),
    };
    let show_progress = !cli.no_progress;
    let result = match cli.command {
        Command::Diarize {
            audio,
            format,
            plot,
            speakers,
            export_speakers,
            engine,
        } => diarize(
            &audio,
            format,
            plot.as_ref(),
            &Speakers {
                enrolled: &speakers,
                export: export_speakers.as_deref(),
            },
            show_progress,
            &engine,
        ),
        Command::Enroll {
            audio,
            name,
            start,
            end,
            out,
            model,
        } => enroll(&audio, &name, (start, end), &out, &model),
        Command::Bench {
            audio,
            loop_minutes,
            extra_sessions,
            engine,
        } => bench(&audio, loop_minutes, extra_sessions, show_progress, &engine),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.exit(),
    }
}

/// `diarize`'s voiceprint files: those to enroll, and the folder to export to.
struct Speakers<'a> {
    enrolled: &'a [PathBuf],
    export: Option<&'a Path>,
}

impl Speakers<'_> {
    /// Enrolls the voiceprint files into `config`, in order; an unnamed voiceprint is
    /// named after its file.
    fn enroll(&self, config: &mut Config) -> Result<(), Error> {
        for path in self.enrolled {
            let mut voiceprint = Voiceprint::read_json_file(path)?;
            if voiceprint.name().is_none() {
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                voiceprint.set_name(Some(&stem))?;
            }
            config.enroll(voiceprint).map_err(|e| {
                Error::new(e.status(), format!("{}: {}", path.display(), e.message()))
            })?;
        }
        Ok(())
    }

    /// Writes the voiceprint of every speaker of `segments` into the export folder, as
    /// `<label>.json` (a name's `/` and `\` become `_`).
    fn export(&self, session: &Session, segments: &[voiceflow::Segment]) -> Result<(), Error> {
        let Some(dir) = self.export else {
            return Ok(());
        };
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::new(
                Status::Io,
                format!("cannot make folder {}: {e}", dir.display()),
            )
        })?;
        let names = speaker_names(session);
        for (id, label) in plot::speakers(segments, |id| names.label(id)) {
            if let Some(voiceprint) = session.voiceprint(id) {
                let file = label.replace(['/', '\\'], "_");
                voiceprint.write_json_file(&dir.join(format!("{file}.json")))?;
            }
        }
        Ok(())
    }
}

/// The labels of `session`'s speaker ids in written output.
fn speaker_names(session: &Session) -> SpeakerNames {
    SpeakerNames::new(
        session
            .config()
            .speakers
            .iter()
            .map(|v| v.name().unwrap_or_default().to_owned())
            .collect(),
    )
}

fn diarize(
    path: &Path,
    format: Format,
    plot: Option<&plot::PlotTarget>,
    speakers: &Speakers,
    show_progress: bool,
    engine: &EngineArgs,
) -> Result<(), Failure> {
    let audio = read_audio(path)?;
    let mut config = engine.config(Mode::Offline)?;
    speakers.enroll(&mut config)?;
    let model = engine.model.open_model()?;
    let mut session = Session::new(model, config)?;
    let channels = usize::from(audio.channels.max(1));
    let chunk = engine.chunk_frames(&audio) * channels;
    let mut progress = Progress::new(
        "diarizing",
        audio.samples.len() as u64,
        audio.sample_rate,
        audio.channels,
        show_progress,
    );
    let uri = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = speaker_names(&session);
    let mut segments = output::Segments::new(format, uri, names.clone());
    for piece in audio.samples.chunks(chunk) {
        session.push(piece, audio.sample_rate, u32::from(audio.channels))?;
        segments.push(session.poll(), &progress)?;
        progress.advance(piece.len());
    }
    session.flush()?;
    segments.push(session.poll(), &progress)?;
    // The bar is erased before the JSON document and the plot's error, if any.
    drop(progress);
    let segments = segments.finish()?;
    speakers.export(&session, &segments)?;
    if let Some(target) = plot {
        plot::write_result(target, path, audio.duration_seconds(), &segments, &names)?;
    }
    Ok(())
}

/// `voiceflow enroll`: the voiceprint of the speech between `start` and `end` of `path`.
fn enroll(
    path: &Path,
    name: &str,
    (start, end): (Option<f64>, Option<f64>),
    out: &Path,
    model: &ModelArgs,
) -> Result<(), Failure> {
    let audio = read_audio(path)?;
    let duration = audio.duration_seconds();
    let (start, end) = (start.unwrap_or(0.0), end.unwrap_or(duration));
    if !(0.0 <= start && start < end && end <= duration) {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "--start {start} --end {end}: need 0 <= start < end <= {duration:.3} (the \
                 length of {})",
                path.display()
            ),
        )
        .into());
    }
    let channels = usize::from(audio.channels.max(1));
    let sample = |t: f64| (t * f64::from(audio.sample_rate)).round() as usize * channels;
    let piece = &audio.samples[sample(start)..sample(end).min(audio.samples.len())];
    let voiceprint = Voiceprint::from_audio(
        &model.open_model()?,
        piece,
        audio.sample_rate,
        u32::from(audio.channels),
        Some(name),
    )
    .map_err(|e| Error::new(e.status(), format!("{}: {}", path.display(), e.message())))?;
    voiceprint.write_json_file(out)?;
    output::write_stdout(&format!(
        "{name}: {:.1} s of speech between {start:.3} s and {end:.3} s -> {}\n",
        voiceprint.speech_seconds(),
        out.display()
    ))
}

/// Resident and peak memory of this process, in bytes (Linux `/proc`).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[idx])
}

fn bench(
    path: &Path,
    loop_minutes: f64,
    extra_sessions: usize,
    show_progress: bool,
    engine: &EngineArgs,
) -> Result<(), Failure> {
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let audio = read_audio(path)?;
    let (rss_start, _) = memory();
    let load_started = Instant::now();
    let model = engine.model.open_model()?;
    let load_seconds = load_started.elapsed().as_secs_f64();
    let (rss_model, _) = memory();

    let mut session = Session::new(Arc::clone(&model), engine.config(Mode::Streaming)?)?;
    session.record_step_times(true);
    let channels = usize::from(audio.channels.max(1));
    let chunk = engine.chunk_frames(&audio) * channels;
    let target_seconds = (loop_minutes * 60.0).max(audio.duration_seconds());
    let total_samples = (target_seconds * f64::from(audio.sample_rate)) as usize * channels;
    let tenth = (total_samples / 10).max(1);
    let mut step_times: Vec<f32> = Vec::new();
    let mut pushed = 0usize;
    let mut segments = 0usize;
    let mut first_segment: Option<f64> = None;
    let mut rss_first_tenth = None;
    let mut progress = Progress::new(
        "benchmarking",
        total_samples as u64,
        audio.sample_rate,
        audio.channels,
        show_progress,
    );
    let started = Instant::now();
    while pushed < total_samples {
        let offset = pushed % audio.samples.len();
        let take = chunk
            .min(audio.samples.len() - offset)
            .min(total_samples - pushed);
        session.push(
            &audio.samples[offset..offset + take],
            audio.sample_rate,
            audio.channels.into(),
        )?;
        pushed += take;
        progress.advance(take);
        let got = session.poll().len();
        if got > 0 && first_segment.is_none() {
            first_segment = Some(started.elapsed().as_secs_f64());
        }
        segments += got;
        if rss_first_tenth.is_none() && pushed >= tenth {
            rss_first_tenth = Some(memory().0);
        }
        if step_times.len() < 1_000_000 {
            step_times.extend(session.take_step_times());
        }
    }
    drop(progress);
    let kept_bytes = session.stats().kept_bytes;
    let flush_started = Instant::now();
    session.flush()?;
    let flush_seconds = flush_started.elapsed().as_secs_f64();
    segments += session.poll().len();
    let compute = started.elapsed().as_secs_f64();
    let (rss_end, _) = memory();
    step_times.extend(session.take_step_times());
    step_times.sort_by(f32::total_cmp);

    // Memory of additional streams on the same model, each warmed up with 10 s of audio.
    let warm = (10 * audio.sample_rate as usize * channels).min(audio.samples.len());
    let mut extra = Vec::new();
    for _ in 0..extra_sessions {
        let mut s = Session::new(Arc::clone(&model), engine.config(Mode::Streaming)?)?;
        s.push(
            &audio.samples[..warm],
            audio.sample_rate,
            audio.channels.into(),
        )?;
        extra.push(s);
    }
    let (rss_extra, peak) = memory();
    let stats = session.stats();
    let device = model.device();
    let on_gpu = device.used.starts_with("cuda");
    let report = serde_json::json!({
        "audio": path.display().to_string(),
        "model": model.describe(),
        "device": device.used,
        "device_requested": device.requested.to_string(),
        "device_fallback": device.fallback,
        "gpu_memory_mb": if on_gpu { voiceflow::gpu::process_gpu_memory_mib() } else { None },
        "max_batch": model.max_batch(),
        "audio_seconds": stats.audio_seconds,
        "threads": match device.requested {
            voiceflow::models::Device::CpuThreads(n) => n,
            _ => 1,
        },
        "model_load_seconds": load_seconds,
        "compute_seconds": compute,
        "real_time_factor": compute / stats.audio_seconds.max(1e-9),
        "steps": stats.steps,
        "step_ms": {
            "p50": percentile(&step_times, 0.50) * 1e3,
            "p95": percentile(&step_times, 0.95) * 1e3,
            "p99": percentile(&step_times, 0.99) * 1e3,
            "max": percentile(&step_times, 1.0) * 1e3,
        },
        "mode": format!("{:?}", session.config().mode).to_lowercase(),
        "flush_seconds": flush_seconds,
        "offline_kept_mb": mb(kept_bytes as u64),
        "offline_kept_mb_per_hour": mb(kept_bytes as u64) * 3600.0 / stats.audio_seconds.max(1e-9),
        "embeddings": stats.embeddings,
        "embedding_calls": stats.embedding_calls,
        "speakers": if session.config().mode == Mode::Offline {
            stats.offline_speakers
        } else {
            stats.speakers_confirmed
        },
        "segments": segments,
        "time_to_first_segment_seconds": first_segment,
        "rss_mb": {
            "before_model": mb(rss_start),
            "with_model": mb(rss_model),
            "first_tenth": mb(rss_first_tenth.unwrap_or(rss_end)),
            "end": mb(rss_end),
            "growth_first_to_last_tenth": mb(rss_end) - mb(rss_first_tenth.unwrap_or(rss_end)),
            "peak": mb(peak),
            "per_extra_session": if extra_sessions > 0 {
                (mb(rss_extra) - mb(rss_end)) / extra_sessions as f64
            } else {
                0.0
            },
        },
    });
    output::write_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    ))
}
