//! Shared helpers of the integration tests. They need `make setup` (which `make test`
//! runs first); without it they fail with a message saying so rather than skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use voiceflow::audio::read_audio;
use voiceflow::{Config, Model, ModelOptions, Segment, Session};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example_wav() -> PathBuf {
    repo().join("examples/data/conversation.wav")
}

pub fn model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            assert!(
                voiceflow::models::setup_present(),
                "models missing: run `make setup` first"
            );
            Arc::new(Model::open(&ModelOptions::default()).expect("default models open"))
        })
        .clone()
}

/// The example conversation as 16 kHz mono samples.
pub fn example_audio() -> Vec<f32> {
    let wav = read_audio(&example_wav()).expect("example wav");
    assert_eq!((wav.sample_rate, wav.channels), (16_000, 1));
    wav.samples
}

/// Reference turns of the example: (speaker label, start, end).
pub fn example_truth() -> Vec<(String, f64, f64)> {
    let text = std::fs::read_to_string(repo().join("examples/data/conversation.rttm")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("SPEAKER"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let start: f64 = f[3].parse().unwrap();
            let dur: f64 = f[4].parse().unwrap();
            (f[7].to_string(), start, start + dur)
        })
        .collect()
}

/// Streams `samples` through a new session in pieces of `chunk` samples.
pub fn diarize(
    model: Arc<Model>,
    config: Config,
    samples: &[f32],
    rate: u32,
    channels: u32,
    chunk: usize,
) -> Vec<Segment> {
    let mut session = Session::new(model, config).unwrap();
    let mut out = Vec::new();
    for piece in samples.chunks(chunk.max(1)) {
        session.push(piece, rate, channels).unwrap();
        out.extend(session.poll());
    }
    session.flush().unwrap();
    out.extend(session.poll());
    out
}

/// Fraction of reference speech (10 ms frames, overlap excluded) labelled with the right
/// speaker under the best one-to-one label mapping (greedy on overlap).
pub fn agreement(truth: &[(String, f64, f64)], hyp: &[Segment]) -> f64 {
    let frames = 10_000;
    let at = |t: f64| ((t * 100.0).round() as usize).min(frames);
    let labels: Vec<&str> = {
        let mut l: Vec<&str> = truth.iter().map(|t| t.0.as_str()).collect();
        l.sort();
        l.dedup();
        l
    };
    let mut ref_frames: Vec<Vec<usize>> = vec![Vec::new(); frames];
    for (label, s, e) in truth {
        let li = labels.iter().position(|x| x == label).unwrap();
        for f in ref_frames.iter_mut().take(at(*e)).skip(at(*s)) {
            f.push(li);
        }
    }
    let mut hyp_frames: Vec<Option<u32>> = vec![None; frames];
    for seg in hyp {
        for f in hyp_frames.iter_mut().take(at(seg.end)).skip(at(seg.start)) {
            *f = Some(seg.speaker);
        }
    }
    let max_spk = hyp
        .iter()
        .map(|s| s.speaker as usize + 1)
        .max()
        .unwrap_or(0);
    let mut counts = vec![vec![0usize; max_spk]; labels.len()];
    for (r, h) in ref_frames.iter().zip(&hyp_frames) {
        if let ([li], Some(h)) = (r.as_slice(), h) {
            counts[*li][*h as usize] += 1;
        }
    }
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (li, row) in counts.iter().enumerate() {
        for (h, &c) in row.iter().enumerate() {
            pairs.push((c, li, h));
        }
    }
    pairs.sort_by(|a, b| b.cmp(a));
    let (mut used_l, mut used_h, mut hit) = (vec![false; labels.len()], vec![false; max_spk], 0);
    for (c, li, h) in pairs {
        if !used_l[li] && !used_h[h] {
            used_l[li] = true;
            used_h[h] = true;
            hit += c;
        }
    }
    let total = ref_frames.iter().filter(|r| r.len() == 1).count();
    hit as f64 / total.max(1) as f64
}

/// Speaker ids in order of first appearance.
pub fn first_seen(segments: &[Segment]) -> Vec<u32> {
    let mut seen = Vec::new();
    for s in segments {
        if !seen.contains(&s.speaker) {
            seen.push(s.speaker);
        }
    }
    seen
}

pub fn speakers(segments: &[Segment]) -> usize {
    let mut ids: Vec<u32> = segments.iter().map(|s| s.speaker).collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}
