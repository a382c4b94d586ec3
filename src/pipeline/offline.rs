//! The offline answer, computed at flush from a [`Recording`]: cluster every voiceprint of
//! the stream at once, give every window's local speakers their voiceprint's cluster,
//! overlap-add the windows' activity per cluster, and binarize.

use std::collections::VecDeque;

use pathfinding::prelude::{kuhn_munkres_min, Matrix};

use super::aggregator::Aggregator;
use super::binarize::{keep_loudest, BinarizeSettings, Binarizer};
use super::clustering::{cluster, dot, ClusterSettings, Clustering};
use super::recording::{RecordedLocal, Recording};
use super::segment::Segment;

/// Segments of the offline answer and the voiceprint of each of its speakers.
#[derive(Default)]
pub struct OfflineAnswer {
    pub segments: VecDeque<Segment>,
    /// Unit centroid of each output label.
    pub voiceprints: Vec<Vec<f32>>,
}

/// How the answer is made from the clustering and the kept windows.
pub struct AnswerSettings {
    pub clustering: ClusterSettings,
    pub binarize: BinarizeSettings,
    /// The segmenter sees one speaker (a VAD): each frame goes to the loudest cluster.
    pub one_speaker_per_frame: bool,
    /// End of the stream, in frames and seconds.
    pub end_frame: i64,
    pub end_seconds: f64,
}

pub fn answer(recording: &Recording, s: AnswerSettings) -> OfflineAnswer {
    let clustering = cluster(
        recording.voiceprints(),
        recording.dim(),
        recording.speech(),
        &s.clustering,
    );
    let mut binarizer = Binarizer::new(s.binarize);
    let mut aggregator = Aggregator::default();
    let mut scores = Vec::new();
    let mut emit = |binarizer: &mut Binarizer, frame: i64, mean: &[f32]| {
        scores.clear();
        scores.extend(mean.iter().map(|v| v.min(1.0)));
        if s.one_speaker_per_frame {
            keep_loudest(&mut scores);
        }
        binarizer.push_frame(frame, &scores);
    };
    // Per window: (speaker, activity per frame), the max over the local speakers given
    // that speaker (a voice the segmenter split over two local speakers counts once).
    let mut per_speaker: Vec<(usize, Vec<f32>)> = Vec::new();
    // Speaker of each slot in the previous window: a local speaker without a voiceprint
    // (too little speech in the window) keeps it while its voice continues.
    let mut previous: Vec<Option<usize>> = Vec::new();
    let mut current: Vec<Option<usize>> = Vec::new();
    recording.for_each_window(|first_frame, frames, activity, locals| {
        aggregator.finalize(first_frame, |f, mean| emit(&mut binarizer, f, mean));
        per_speaker.clear();
        current.clear();
        let constrained = constrained_labels(locals, recording, &clustering);
        for (local, constrained) in locals.iter().zip(constrained) {
            let speaker = match constrained {
                Some(label) => Some(label),
                None if local.continued => previous.get(local.slot).copied().flatten(),
                None => None,
            };
            if current.len() <= local.slot {
                current.resize(local.slot + 1, None);
            }
            current[local.slot] = speaker;
            let Some(g) = speaker else {
                continue;
            };
            let i = match per_speaker.iter().position(|(s, _)| *s == g) {
                Some(i) => i,
                None => {
                    per_speaker.push((g, vec![0.0; frames]));
                    per_speaker.len() - 1
                }
            };
            for (f, v) in per_speaker[i].1.iter_mut().enumerate() {
                *v = v.max(activity(f, local.slot));
            }
        }
        for f in 0..frames {
            let frame = first_frame + f as i64;
            aggregator.cover(frame);
            for (g, values) in &per_speaker {
                aggregator.add(frame, *g, values[f]);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    });
    aggregator.finalize(s.end_frame, |f, mean| emit(&mut binarizer, f, mean));
    binarizer.finish(s.end_frame);
    let mut segments = std::mem::take(binarizer.ready());
    super::segment::end_at(&mut segments, s.end_seconds);
    let voiceprints = (0..)
        .map_while(|label| binarizer.track_of_label(label))
        .map(|track| clustering.centroids[track as usize].clone())
        .collect();
    OfflineAnswer {
        segments,
        voiceprints,
    }
}

/// Cost scale of the integer assignment.
const COST_SCALE: f32 = 1e6;

/// Speaker of each local speaker of one window that has a voiceprint: the nearest
/// centroid, except that two local speakers of one window (two voices the segmenter
/// tells apart) never get the same speaker while enough speakers exist (Hungarian
/// assignment on cosine distances, as pyannote does). Without it, overlapped speech went
/// to one speaker and the other's was missed.
fn constrained_labels(
    locals: &[RecordedLocal],
    recording: &Recording,
    clustering: &Clustering,
) -> Vec<Option<usize>> {
    let mut labels: Vec<Option<usize>> = locals
        .iter()
        .map(|l| l.voiceprint.map(|item| clustering.labels[item]))
        .collect();
    let rows: Vec<usize> = (0..locals.len()).filter(|&i| labels[i].is_some()).collect();
    let speakers = clustering.centroids.len();
    let mut distinct: Vec<usize> = rows.iter().filter_map(|&i| labels[i]).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() == rows.len() || speakers < rows.len() {
        return labels;
    }
    let dim = recording.dim();
    let costs = Matrix::from_fn(rows.len(), speakers, |(r, c)| {
        let item = locals[rows[r]].voiceprint.unwrap_or_default();
        let v = &recording.voiceprints()[item * dim..(item + 1) * dim];
        ((1.0 - dot(v, &clustering.centroids[c])) * COST_SCALE) as i64
    });
    let (_, columns) = kuhn_munkres_min(&costs);
    for (r, &c) in columns.iter().enumerate() {
        labels[rows[r]] = Some(c);
    }
    labels
}
