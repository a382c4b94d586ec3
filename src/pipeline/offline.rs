//! The offline answer, computed at flush from a [`Recording`]: cluster every voiceprint of
//! the stream at once, give the clusters near enrolled speakers to those speakers (see
//! [`attach_enrolled`]), give every window's local speakers their voiceprint's speaker,
//! overlap-add the windows' activity per speaker, and binarize.

use std::collections::VecDeque;

use pathfinding::prelude::{kuhn_munkres_min, Matrix};

use super::aggregator::Aggregator;
use super::binarize::{keep_loudest, BinarizeSettings, Binarizer};
use super::clustering::{cluster, dot, ClusterSettings, Clustering};
use super::recording::{RecordedLocal, Recording};
use super::segment::Segment;
use super::tracker::KNOWN_MERGE_FRACTION;
use crate::models::normalize;

/// Segments of the offline answer and the voiceprint of each of its speakers.
#[derive(Default)]
pub struct OfflineAnswer {
    pub segments: VecDeque<Segment>,
    /// Unit centroid of each output label.
    pub voiceprints: Vec<Vec<f32>>,
    /// The enrolled speaker each output label is, if any (at most one label each).
    pub known: Vec<Option<u32>>,
}

/// The enrolled speakers (unit voiceprints, in enrollment order) and the cosine distance
/// within which a voice is taken for one.
pub struct Enrolled<'a> {
    pub voiceprints: &'a [Vec<f32>],
    pub threshold: f32,
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

pub fn answer(recording: &Recording, enrolled: &Enrolled, s: AnswerSettings) -> OfflineAnswer {
    let clustering = cluster(
        recording.voiceprints(),
        recording.dim(),
        recording.speech(),
        &s.clustering,
    );
    let (clustering, known) = attach_enrolled(
        clustering,
        (recording.voiceprints(), recording.dim()),
        recording.speech(),
        enrolled,
        s.clustering.min_speech,
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
    let tracks: Vec<usize> = (0..)
        .map_while(|label| binarizer.track_of_label(label))
        .map(|track| track as usize)
        .collect();
    OfflineAnswer {
        segments,
        voiceprints: tracks
            .iter()
            .map(|&t| clustering.centroids[t].clone())
            .collect(),
        known: tracks.iter().map(|&t| known[t]).collect(),
    }
}

/// Index and distance of the enrolled voiceprint nearest `v`, if within the threshold.
fn nearest_enrolled(v: &[f32], enrolled: &Enrolled) -> Option<(usize, f32)> {
    enrolled
        .voiceprints
        .iter()
        .map(|e| 1.0 - dot(v, e))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|&(_, d)| d <= enrolled.threshold)
}

/// Gives the clusters to the enrolled speakers: the cluster nearest an enrolled
/// voiceprint, within the threshold, is that speaker, and so is any other cluster within
/// [`KNOWN_MERGE_FRACTION`] of the threshold (its voice split by the clustering). Inside such clusters, a voiceprint nearer
/// another enrolled speaker goes to that one, if that speaker then has `min_speech` of
/// it: two enrolled voices the clustering merged are told apart again. Clusters far from
/// every enrolled voiceprint stay unknown speakers as they were. Returns the new
/// clustering (enrolled speakers first, centroids recomputed) and the enrolled speaker of
/// each of its speakers. Without enrolled speakers it changes nothing. `items` are the
/// clustered unit voiceprints of `dim` values back to back, `weights` their speech.
fn attach_enrolled(
    clustering: Clustering,
    (items, dim): (&[f32], usize),
    weights: &[f32],
    enrolled: &Enrolled,
    min_speech: f32,
) -> (Clustering, Vec<Option<u32>>) {
    if enrolled.voiceprints.is_empty() {
        let known = vec![None; clustering.centroids.len()];
        return (clustering, known);
    }
    let item = |i: usize| &items[i * dim..(i + 1) * dim];
    // A cluster is enrolled speaker k's when k is the nearest enrolled voiceprint within
    // the threshold and the cluster is k's nearest cluster, or within the tighter
    // centroid distance at which streaming merges speakers (a voice split in two).
    let nearest: Vec<Option<(usize, f32)>> = clustering
        .centroids
        .iter()
        .map(|c| nearest_enrolled(c, enrolled))
        .collect();
    let closest_cluster = |k: usize| {
        (0..nearest.len())
            .filter(|&c| nearest[c].is_some_and(|(kc, _)| kc == k))
            .min_by(|&a, &b| {
                let d = |c: usize| nearest[c].map_or(f32::MAX, |(_, d)| d);
                d(a).total_cmp(&d(b))
            })
    };
    let merge = KNOWN_MERGE_FRACTION * enrolled.threshold;
    let cluster_known: Vec<Option<usize>> = (0..nearest.len())
        .map(|c| {
            let (k, d) = nearest[c]?;
            (closest_cluster(k) == Some(c) || d <= merge).then_some(k)
        })
        .collect();
    // Each item's enrolled speaker, where its cluster is enrolled territory.
    let mut item_known: Vec<Option<usize>> = clustering
        .labels
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let own = cluster_known[c]?;
            Some(nearest_enrolled(item(i), enrolled).map_or(own, |(k, _)| k))
        })
        .collect();
    // A speaker pulled out of another's cluster needs the speech of a real speaker.
    let mut pulled = vec![0.0f32; enrolled.voiceprints.len()];
    for (i, &k) in item_known.iter().enumerate() {
        if let Some(k) = k {
            if cluster_known[clustering.labels[i]] != Some(k) {
                pulled[k] += weights[i];
            }
        }
    }
    for (i, k) in item_known.iter_mut().enumerate() {
        let own = cluster_known[clustering.labels[i]];
        if k.is_some_and(|k| own != Some(k) && pulled[k] < min_speech) {
            *k = own;
        }
    }
    // New speakers: the enrolled ones that have items, then the unknown clusters.
    let mut known: Vec<Option<u32>> = Vec::new();
    let mut enrolled_label = vec![None; enrolled.voiceprints.len()];
    for k in item_known.iter().flatten() {
        if enrolled_label[*k].is_none() {
            enrolled_label[*k] = Some(0);
        }
    }
    for (k, label) in enrolled_label.iter_mut().enumerate() {
        if label.is_some() {
            *label = Some(known.len());
            known.push(Some(k as u32));
        }
    }
    let mut unknown_label = vec![None; clustering.centroids.len()];
    for (c, label) in unknown_label.iter_mut().enumerate() {
        if cluster_known[c].is_none() && clustering.labels.contains(&c) {
            *label = Some(known.len());
            known.push(None);
        }
    }
    // Every item has one or the other: an item outside enrolled territory is in an
    // unknown cluster.
    let labels: Vec<usize> = (0..clustering.labels.len())
        .map(|i| match item_known[i] {
            Some(k) => enrolled_label[k],
            None => unknown_label[clustering.labels[i]],
        })
        .map(|label| label.unwrap_or_default())
        .collect();
    let mut centroids = vec![vec![0.0f32; dim]; known.len()];
    for (i, &label) in labels.iter().enumerate() {
        let w = weights[i].max(1e-3);
        centroids[label]
            .iter_mut()
            .zip(item(i))
            .for_each(|(c, v)| *c += w * v);
    }
    centroids.iter_mut().for_each(|c| normalize(c));
    (Clustering { labels, centroids }, known)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        normalize(&mut v);
        v
    }

    /// Items (1 s of speech each) and their clustering into `labels`.
    fn clustered(items: &[Vec<f32>], labels: &[usize], clusters: usize) -> Clustering {
        let mut centroids = vec![vec![0.0; 3]; clusters];
        for (v, &l) in items.iter().zip(labels) {
            centroids[l].iter_mut().zip(v).for_each(|(c, x)| *c += x);
        }
        centroids.iter_mut().for_each(|c| normalize(c));
        Clustering {
            labels: labels.to_vec(),
            centroids,
        }
    }

    fn attach(
        items: &[Vec<f32>],
        clustering: Clustering,
        enrolled: &[Vec<f32>],
    ) -> (Clustering, Vec<Option<u32>>) {
        let flat: Vec<f32> = items.concat();
        let weights = vec![1.0; items.len()];
        let enrolled = Enrolled {
            voiceprints: enrolled,
            threshold: 0.4,
        };
        attach_enrolled(clustering, (&flat, 3), &weights, &enrolled, 2.0)
    }

    #[test]
    fn without_enrolled_speakers_the_clustering_stays() {
        let items = vec![unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0])];
        let clustering = clustered(&items, &[0, 1], 2);
        let (out, known) = attach(&items, clustered(&items, &[0, 1], 2), &[]);
        assert_eq!((out, known), (clustering, vec![None, None]));
    }

    #[test]
    fn clusters_near_an_enrolled_voice_become_it_and_others_stay_unknown() {
        let a = unit(&[1.0, 0.0, 0.0]);
        // Cluster 0: a's voice; cluster 1: a stranger; cluster 2: a's voice again, split
        // off by the clustering (0.05 from a, within half the threshold); cluster 3: a
        // voice 0.3 from a (within the threshold, but cluster 0 is a's nearest).
        let items = vec![
            unit(&[1.0, 0.05, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[1.0, 0.0, 0.33]),
            unit(&[1.0, 0.0, -0.9]),
        ];
        let (out, known) = attach(&items, clustered(&items, &[0, 1, 2, 3], 4), &[a]);
        assert_eq!(known, [Some(0), None, None]);
        assert_eq!(out.labels, [0, 1, 0, 2]);
        assert_eq!(out.centroids.len(), 3);
    }

    #[test]
    fn two_enrolled_voices_merged_by_the_clustering_are_told_apart() {
        let (a, b) = (unit(&[1.0, 0.0, 0.0]), unit(&[0.8, 0.6, 0.0]));
        // One cluster holds a's and b's voiceprints (a's nearer its centroid).
        let near_a = unit(&[1.0, 0.05, 0.0]);
        let near_b = unit(&[0.8, 0.62, 0.0]);
        let items = vec![
            near_a.clone(),
            near_a.clone(),
            near_a,
            near_b.clone(),
            near_b.clone(),
        ];
        let (out, known) = attach(
            &items,
            clustered(&items, &[0; 5], 1),
            &[a.clone(), b.clone()],
        );
        assert_eq!(known, [Some(0), Some(1)]);
        assert_eq!(out.labels, [0, 0, 0, 1, 1]);
        // With less than min_speech of b pulled out, b's items stay with a.
        let items = vec![unit(&[1.0, 0.05, 0.0]); 3]
            .into_iter()
            .chain([near_b])
            .collect::<Vec<_>>();
        let (out, known) = attach(&items, clustered(&items, &[0; 4], 1), &[a, b]);
        assert_eq!((known, out.labels), (vec![Some(0)], vec![0, 0, 0, 0]));
    }
}
