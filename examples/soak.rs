//! Soak test: stream a WAV file in a loop through ONE session for hours and check that
//! memory stays flat and that the segments stay sane.
//!
//! `cargo run --release --example soak -- [--hours 10] [--wav FILE] [--report FILE]`
//!
//! Checks (exit status 1 if one fails):
//! - resident memory after warm-up (the first tenth) stays within 2 MB;
//! - segments come out in start order, each with end > start, none past the audio pushed;
//! - one speaker's segments never overlap (a duplicated segment would);
//! - every whole loop of the file after warm-up yields the seconds of speech and the number
//!   of segments of the median loop, within a small tolerance (a lost or duplicated
//!   segment would show there).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use voiceflow::audio::read_audio;
use voiceflow::{Config, Model, ModelOptions, Segment, Session};

/// Flatness required of resident memory after warm-up.
const RSS_TOLERANCE_MB: f64 = 2.0;
/// Tolerances of one loop against the median loop. Speech seconds within 5 %: a lost
/// turn (2 s or more of the example's 53 s) or a repeated one would break it. Segment
/// count within 2: the speaker centroids keep adapting, so a turn may now and then be
/// split by a short stretch given to another speaker (A B A: two more segments, the same
/// speech); the first 10-hour run showed that in 5 of 568 loops.
const LOOP_COUNT_TOLERANCE: usize = 2;
const LOOP_SPEECH_TOLERANCE: f64 = 0.05;
/// Audio time between memory samples.
const RSS_SAMPLE_SECONDS: f64 = 300.0;

struct Options {
    hours: f64,
    wav: PathBuf,
    report: Option<PathBuf>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        hours: 10.0,
        wav: PathBuf::from("examples/data/conversation.wav"),
        report: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--hours" => {
                options.hours = value
                    .parse()
                    .ok()
                    .filter(|h: &f64| *h > 0.0)
                    .ok_or_else(|| format!("--hours {value}: not a positive number"))?
            }
            "--wav" => options.wav = value.into(),
            "--report" => options.report = Some(value.into()),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

/// Resident memory of this process in MB (Linux `/proc`).
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Per-segment invariants, checked as segments are polled.
#[derive(Default)]
struct SegmentChecks {
    last_start: f64,
    /// End of the latest segment of each speaker.
    speaker_end: Vec<f64>,
    violations: Vec<String>,
    total: usize,
}

impl SegmentChecks {
    fn check(&mut self, s: &Segment, pushed_seconds: f64) {
        self.total += 1;
        let mut fail = |what: &str| {
            if self.violations.len() < 20 {
                self.violations.push(format!(
                    "segment {} (speaker {} {:.3}-{:.3}): {what}",
                    self.total, s.speaker, s.start, s.end
                ));
            }
        };
        if s.end.is_nan() || s.start.is_nan() || s.end <= s.start {
            fail("end is not after start");
        }
        if s.start < self.last_start {
            fail("starts before the previous segment (not in start order)");
        }
        if s.end > pushed_seconds + 1e-6 {
            fail("ends after the audio pushed so far");
        }
        let speaker = s.speaker as usize;
        if self.speaker_end.len() <= speaker {
            self.speaker_end.resize(speaker + 1, f64::NEG_INFINITY);
        }
        if s.start < self.speaker_end[speaker] - 1e-9 {
            fail("overlaps (or repeats) an earlier segment of the same speaker");
        }
        self.speaker_end[speaker] = s.end;
        self.last_start = s.start;
    }
}

/// Segment count and speech seconds per loop of the file (by segment start).
#[derive(Clone, Copy, Default)]
struct LoopTally {
    segments: usize,
    speech: f64,
}

fn median<T: Copy + PartialOrd>(values: &mut [T]) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<bool, String> {
    let options = parse_options()?;
    let audio = read_audio(&options.wav).map_err(|e| e.to_string())?;
    let channels = usize::from(audio.channels.max(1));
    let rate = audio.sample_rate;
    let model = Arc::new(Model::open(&ModelOptions::default()).map_err(|e| e.to_string())?);
    let mut session = Session::new(model, Config::default()).map_err(|e| e.to_string())?;

    let loop_seconds = audio.duration_seconds();
    let total_frames = (options.hours * 3600.0 * f64::from(rate)) as usize;
    let chunk = (rate as usize / 10).max(1) * channels;
    let file_frames = audio.samples.len() / channels;
    let mut checks = SegmentChecks::default();
    let mut loops = vec![LoopTally::default(); total_frames / file_frames.max(1) + 2];
    let mut curve: Vec<(f64, f64)> = vec![(0.0, rss_mb())];
    let mut next_sample = RSS_SAMPLE_SECONDS;
    let mut pushed_frames = 0usize;
    let started = Instant::now();
    let mut record = |segments: Vec<Segment>, pushed: f64, checks: &mut SegmentChecks| {
        for s in segments {
            checks.check(&s, pushed);
            let k = ((s.start / loop_seconds) as usize).min(loops.len() - 1);
            loops[k].segments += 1;
            loops[k].speech += s.end - s.start;
        }
    };
    while pushed_frames < total_frames {
        let offset = (pushed_frames % file_frames) * channels;
        let take = chunk
            .min(audio.samples.len() - offset)
            .min((total_frames - pushed_frames) * channels);
        session
            .push(&audio.samples[offset..offset + take], rate, channels as u32)
            .map_err(|e| e.to_string())?;
        pushed_frames += take / channels;
        let pushed = pushed_frames as f64 / f64::from(rate);
        record(session.poll(), pushed, &mut checks);
        if pushed >= next_sample {
            curve.push((pushed / 3600.0, rss_mb()));
            next_sample += RSS_SAMPLE_SECONDS;
        }
    }
    session.flush().map_err(|e| e.to_string())?;
    let pushed = pushed_frames as f64 / f64::from(rate);
    record(session.poll(), pushed, &mut checks);
    curve.push((pushed / 3600.0, rss_mb()));
    let wall = started.elapsed().as_secs_f64();

    // Memory after warm-up (the first tenth of the run).
    let warm = curve
        .iter()
        .filter(|(h, _)| *h >= options.hours / 10.0)
        .map(|(_, mb)| *mb);
    let (low, high) = warm.fold((f64::INFINITY, 0.0f64), |(lo, hi), mb| {
        (lo.min(mb), hi.max(mb))
    });
    let rss_spread = if high >= low { high - low } else { 0.0 };

    // Whole loops after warm-up, against the median loop.
    let whole_loops = total_frames / file_frames.max(1);
    let first = (whole_loops / 10).max(1);
    let steady: Vec<LoopTally> = loops[first.min(whole_loops)..whole_loops].to_vec();
    let (mut counts, mut speech): (Vec<usize>, Vec<f64>) =
        steady.iter().map(|l| (l.segments, l.speech)).unzip();
    let mut loop_failures = Vec::new();
    let (count_median, speech_median) = if steady.is_empty() {
        (0, 0.0)
    } else {
        (median(&mut counts), median(&mut speech))
    };
    for (i, l) in steady.iter().enumerate() {
        let off_count = l.segments.abs_diff(count_median) > LOOP_COUNT_TOLERANCE;
        let off_speech = (l.speech - speech_median).abs() > LOOP_SPEECH_TOLERANCE * speech_median;
        if (off_count || off_speech) && loop_failures.len() < 20 {
            loop_failures.push(format!(
                "loop {}: {} segments, {:.2} s of speech (median {count_median}, {speech_median:.2} s)",
                first + i,
                l.segments,
                l.speech
            ));
        }
    }

    let rss_ok = rss_spread <= RSS_TOLERANCE_MB;
    let passed = rss_ok && checks.violations.is_empty() && loop_failures.is_empty();
    let report = serde_json::json!({
        "audio": options.wav.display().to_string(),
        "audio_hours": pushed / 3600.0,
        "wall_seconds": wall,
        "real_time_factor": wall / pushed.max(1e-9),
        "segments": checks.total,
        "segment_violations": checks.violations,
        "loops": {
            "whole": whole_loops,
            "checked_after_warm_up": steady.len(),
            "segments_per_loop": {"median": count_median, "min": counts.first(), "max": counts.last()},
            "speech_seconds_per_loop": {"median": speech_median, "min": speech.first(), "max": speech.last()},
            "failures": loop_failures,
        },
        "rss_mb": {
            "after_warm_up_min": low,
            "after_warm_up_max": high,
            "after_warm_up_spread": rss_spread,
            "tolerance": RSS_TOLERANCE_MB,
            "curve_hours_mb": curve,
        },
        "passed": passed,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{text}");
    if let Some(path) = &options.report {
        std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(passed)
}
