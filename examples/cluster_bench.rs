//! Speed of the offline clustering on one hour of speech: prints a JSON line per way of
//! counting speakers (`cluster_count`).
//!
//!     cargo run --release --example cluster_bench [HOURS]
//!
//! One hour of speech with the default models gives about 7200 windows and 1-3
//! voiceprints each. The voiceprints here are synthetic (192-d, 6 voices, noise as far
//! from each voice's direction as CAM++'s 1.6 s voiceprints are from their speaker's
//! mean), so the figure is the clustering's own cost on one core.

use std::time::Instant;

use voiceflow::config::ClusterCount;
use voiceflow::pipeline::clustering::{cluster, ClusterSettings};

fn main() {
    let hours: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    let (dim, voices) = (192, 6);
    let items = (hours * 7200.0 * 1.5) as usize;
    let mut seed = 1u64;
    let mut noise = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut data = Vec::with_capacity(items * dim);
    for i in 0..items {
        // Turns of about 10 voiceprints per voice.
        let voice = (i / 10) % voices;
        let mut v: Vec<f32> = (0..dim).map(|_| 0.15 * noise()).collect();
        v[voice] += 1.0;
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        data.extend(v.iter().map(|x| x / norm));
    }
    let weights = vec![0.33f32; items];
    for count in [ClusterCount::Threshold, ClusterCount::Gap] {
        let settings = ClusterSettings {
            count,
            threshold: 0.62,
            min_speakers: 1,
            max_speakers: 20,
            min_speech: 2.0,
        };
        let started = Instant::now();
        let result = cluster(&data, dim, &weights, &settings);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{{\"cluster_count\": \"{count:?}\", \"hours_of_speech\": {hours}, \"voiceprints\": {items}, \"speakers\": {}, \"cluster_seconds\": {seconds:.3}}}",
            result.centroids.len()
        );
    }
}
