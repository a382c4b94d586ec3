//! What enrolled speakers cost per step: prints a JSON line.
//!
//!     cargo run --release --example enroll_bench [SPEAKERS] [ROUNDS]
//!
//! Streams the example conversation through sessions with no enrolled speaker and with
//! SPEAKERS (default 50) enrolled, alternating, ROUNDS (default 3) times each, and
//! compares the mean time per step: of the whole step (inference dominates it, so on a
//! busy machine the difference is noise) and of the attribution part that enrolled
//! speakers add work to (`SessionStats::attribution_seconds`: tracker, aggregation,
//! binarization, naming). The enrolled voiceprints are random unit vectors of the
//! model's embedding size and name: none matches a voice of the example, so every step
//! weighs all of them against every local speaker, the most work enrolment can add.

use std::sync::Arc;

use voiceflow::{Config, Model, ModelOptions, Session, Voiceprint};

fn random_voiceprints(model: &Model, count: usize) -> Vec<Voiceprint> {
    let contract = model.embedder().contract();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..count)
        .map(|k| {
            let mut v: Vec<f32> = (0..contract.embedding_dim).map(|_| next()).collect();
            voiceflow::models::normalize(&mut v);
            let p = &contract.provenance;
            Voiceprint::new(&p.name, &p.version, v, 10.0, Some(&format!("enrolled {k}")))
                .expect("a valid voiceprint")
        })
        .collect()
}

/// Mean step time and mean attribution time per step (ms) of streaming `audio` in 100 ms
/// pushes.
fn mean_step_ms(model: &Arc<Model>, config: Config, audio: &[f32]) -> (f64, f64) {
    let mut session = Session::new(Arc::clone(model), config).expect("a session");
    session.record_step_times(true);
    for piece in audio.chunks(1_600) {
        session.push(piece, 16_000, 1).expect("push");
        session.poll();
    }
    session.flush().expect("flush");
    let steps = session.take_step_times();
    let n = steps.len().max(1) as f64;
    (
        steps.iter().map(|&s| f64::from(s)).sum::<f64>() * 1e3 / n,
        session.stats().attribution_seconds * 1e3 / n,
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let model = Arc::new(Model::open(&ModelOptions::default()).expect("the default models"));
    let wav =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/conversation.wav");
    let audio = voiceflow::audio::read_audio(&wav)
        .expect("the example")
        .samples;
    let mut enrolled = Config::default();
    for v in random_voiceprints(&model, count) {
        enrolled.enroll(v).expect("enroll");
    }
    let (mut plain, mut with) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        plain.push(mean_step_ms(&model, Config::default(), &audio));
        with.push(mean_step_ms(&model, enrolled.clone(), &audio));
    }
    let mean = |v: &[(f64, f64)], part: fn(&(f64, f64)) -> f64| {
        v.iter().map(part).sum::<f64>() / v.len() as f64
    };
    let (step, attribution) = (|r: &(f64, f64)| r.0, |r: &(f64, f64)| r.1);
    println!(
        "{}",
        serde_json::json!({
            "enrolled": count,
            "rounds": rounds,
            "step_ms": {"without": mean(&plain, step), "with": mean(&with, step)},
            "attribution_ms_per_step": {
                "without": mean(&plain, attribution),
                "with": mean(&with, attribution),
            },
            "added_ms_per_step": mean(&with, attribution) - mean(&plain, attribution),
        })
    );
}
