//! Whole-stream clustering of voiceprints, for the offline answer.
//!
//! Agglomerative clustering (AHC, `kodama`), in one of two ways ([`ClusterCount`]):
//! - `Threshold`: average linkage on cosine distances, cut where merging would join
//!   clusters farther apart than `threshold`;
//! - `Gap`: Ward linkage (on the Euclidean distances of the unit voiceprints), cut at the
//!   largest ratio between successive merge heights among the last [`MAX_GAP_COUNT`]
//!   merges: the count at which joining two more clusters suddenly costs most. It needs
//!   no distance tuned per stream, but always finds at least two clusters, so speakers
//!   whose centroids end within [`SAME_VOICE_FRACTION`] of `threshold` are one voice.
//!
//! A cluster with less than `min_speech` seconds of speech, or less than
//! [`MIN_SPEAKER_SHARE`] of the stream's, is not a speaker of its own (a phantom: a noise,
//! a voiceprint blurred by overlap); its items go to the nearest real speaker. Count hints
//! move the cut instead: the dendrogram is cut where exactly the wanted number of real
//! speakers exists, closest to the threshold's (or the gap's) cut, and the same-voice
//! merge never goes below `min_speakers`.
//!
//! Cost: quadratic in the items clustered, so at most [`MAX_AHC_ITEMS`] (those with most
//! speech) go into the dendrogram; the others join their nearest speaker afterwards.

use kodama::{linkage, Method, Step};

use crate::config::ClusterCount;
use crate::models::normalize;

/// Most items the dendrogram is built from (36 MB of distances, about 0.5 s on one core).
pub const MAX_AHC_ITEMS: usize = 3000;

/// Share of all the clustered speech a cluster needs to be a speaker (besides
/// `min_speech`). A long stream's phantoms add up to more than a few seconds each: on the
/// 20-minute telephone stream of `make eval` (4 voices), sixteen clusters of 2-8 s stood
/// beside the four real ones and took their speech. It only matters past 200 s of speech
/// (1 % of that is the default `min_speech`, 2 s); a speaker with less than 36 s in an
/// hour of speech is merged into the nearest one.
pub const MIN_SPEAKER_SHARE: f32 = 0.01;

/// Most clusters the gap count considers.
pub(crate) const MAX_GAP_COUNT: usize = 10;

/// With the gap count, speakers whose unit centroids are closer than this fraction of
/// `threshold` are merged (CAM++: 0.25). Ward splits a single voice at its largest gap
/// too: three 150 s LibriSpeech readers alone were split into halves 0.04-0.12 apart,
/// where the different voices of the simulated set and ami-dev were 0.31-1.06 apart.
pub(crate) const SAME_VOICE_FRACTION: f32 = 0.4;

pub struct ClusterSettings {
    pub count: ClusterCount,
    /// Average-linkage cosine distance past which clusters are not merged (`Threshold`);
    /// with `Gap` it scales the same-voice distance.
    pub threshold: f32,
    pub min_speakers: usize,
    pub max_speakers: usize,
    /// Seconds of speech a cluster needs to be a speaker of its own.
    pub min_speech: f32,
}

/// Speakers found among the items.
#[derive(Debug, PartialEq)]
pub struct Clustering {
    /// Speaker of each item, in `0..centroids.len()`.
    pub labels: Vec<usize>,
    /// Unit centroid of each speaker (speech-weighted mean of its items).
    pub centroids: Vec<Vec<f32>>,
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Clusters `weights.len()` unit vectors of `dim` values stored back to back in `items`;
/// `weights[i]` is item `i`'s speech in seconds.
pub fn cluster(items: &[f32], dim: usize, weights: &[f32], s: &ClusterSettings) -> Clustering {
    let n = weights.len();
    debug_assert_eq!(items.len(), n * dim);
    let item = |i: usize| &items[i * dim..(i + 1) * dim];
    if n == 0 {
        return Clustering {
            labels: Vec::new(),
            centroids: Vec::new(),
        };
    }
    // The dendrogram's items: those with most speech, in stream order.
    let mut core: Vec<usize> = (0..n).collect();
    if n > MAX_AHC_ITEMS {
        core.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
        core.truncate(MAX_AHC_ITEMS);
        core.sort_unstable();
    }
    let core_weights: Vec<f32> = core.iter().map(|&i| weights[i]).collect();
    let min_speech = s
        .min_speech
        .max(MIN_SPEAKER_SHARE * weights.iter().sum::<f32>());
    let (core_labels, speakers) = cut(&core, &core_weights, item, s, min_speech);

    // Centroids of the real speakers, then every other item to its nearest one.
    let speaker_of = |c: usize| speakers.iter().position(|&root| root == core_labels[c]);
    let mut sums = vec![vec![0.0f32; dim]; speakers.len()];
    for (c, &i) in core.iter().enumerate() {
        if let Some(k) = speaker_of(c) {
            let w = weights[i].max(1e-3);
            sums[k]
                .iter_mut()
                .zip(item(i))
                .for_each(|(s, v)| *s += w * v);
        }
    }
    // Speaker k of the cut is speaker merged[k] of the answer.
    let mut merged: Vec<usize> = (0..speakers.len()).collect();
    if s.count == ClusterCount::Gap {
        let limit = SAME_VOICE_FRACTION * s.threshold;
        merge_same_voices(&mut sums, &mut merged, limit, s.min_speakers.max(1));
    }
    for centroid in &mut sums {
        normalize(centroid);
    }
    let nearest = |v: &[f32]| {
        (0..sums.len())
            .max_by(|&a, &b| dot(v, &sums[a]).total_cmp(&dot(v, &sums[b])))
            .unwrap_or(0)
    };
    let mut labels: Vec<usize> = (0..n).map(|i| nearest(item(i))).collect();
    for (c, &i) in core.iter().enumerate() {
        if let Some(k) = speaker_of(c) {
            labels[i] = merged[k];
        }
    }
    Clustering {
        labels,
        centroids: sums,
    }
}

/// Merges the two speakers with the closest centroids (`sums`: speech-weighted sums of
/// their voiceprints) while they are closer than `limit` and more than `min_count`
/// speakers are left; `merged` (speaker of the cut -> speaker of `sums`) follows.
fn merge_same_voices(sums: &mut Vec<Vec<f32>>, merged: &mut [usize], limit: f32, min_count: usize) {
    while sums.len() > min_count {
        let unit: Vec<Vec<f32>> = sums
            .iter()
            .map(|v| {
                let mut u = v.clone();
                normalize(&mut u);
                u
            })
            .collect();
        let closest = (0..unit.len())
            .flat_map(|a| (a + 1..unit.len()).map(move |b| (a, b)))
            .map(|(a, b)| (a, b, 1.0 - dot(&unit[a], &unit[b])))
            .min_by(|x, y| x.2.total_cmp(&y.2));
        let Some((a, b, _)) = closest.filter(|c| c.2 < limit) else {
            return;
        };
        let removed = sums.remove(b);
        sums[a].iter_mut().zip(&removed).for_each(|(s, v)| *s += v);
        for k in merged.iter_mut() {
            if *k == b {
                *k = a;
            } else if *k > b {
                *k -= 1;
            }
        }
    }
}

/// Builds the dendrogram of the core items and cuts it. Returns each core item's cluster
/// (a dendrogram node id) and the clusters that are speakers.
fn cut<'a>(
    core: &[usize],
    weights: &[f32],
    item: impl Fn(usize) -> &'a [f32],
    s: &ClusterSettings,
    min_speech: f32,
) -> (Vec<usize>, Vec<usize>) {
    let m = core.len();
    if m == 1 {
        return (vec![0], vec![0]);
    }
    let mut condensed = Vec::with_capacity(m * (m - 1) / 2);
    for a in 0..m {
        let va = item(core[a]);
        for &b in &core[a + 1..] {
            condensed.push((1.0 - dot(va, item(b))).max(0.0));
        }
    }
    let method = match s.count {
        ClusterCount::Threshold => Method::Average,
        ClusterCount::Gap => {
            // |a - b|^2 = 2 (1 - a.b) for unit vectors: Ward needs Euclidean distances.
            condensed.iter_mut().for_each(|d| *d = (2.0 * *d).sqrt());
            Method::Ward
        }
    };
    let dendrogram = linkage(&mut condensed, m, method);
    let steps = dendrogram.steps();

    // One pass over the merges: how many clusters are real speakers at each cluster
    // count (`real[c]`, c clusters left).
    let is_real = |w: f32| w >= min_speech;
    let mut node_weight: Vec<f32> = weights.to_vec();
    let mut real = vec![0usize; m + 1];
    real[m] = node_weight.iter().filter(|&&w| is_real(w)).count();
    for (i, step) in steps.iter().enumerate() {
        let (a, b) = (node_weight[step.cluster1], node_weight[step.cluster2]);
        node_weight.push(a + b);
        real[m - i - 1] = real[m - i] + usize::from(is_real(a + b))
            - usize::from(is_real(a))
            - usize::from(is_real(b));
    }
    let at_threshold = match s.count {
        ClusterCount::Threshold => {
            m - steps
                .iter()
                .take_while(|st| st.dissimilarity <= s.threshold)
                .count()
        }
        ClusterCount::Gap => largest_gap(steps, m),
    };
    let found = real[at_threshold];
    let wanted = found
        .max(1)
        .clamp(s.min_speakers.max(1), s.max_speakers.max(1))
        .min(m);
    // The cut with exactly `wanted` real speakers closest to the threshold's; failing
    // that (too little speech for so many), `wanted` clusters, all taken as speakers.
    let fewer_merges = || (at_threshold + 1..=m).find(|&c| real[c] == wanted);
    let more_merges = || (wanted..at_threshold).rev().find(|&c| real[c] == wanted);
    let chosen = if wanted == found {
        Some(at_threshold)
    } else if wanted > found {
        fewer_merges().or_else(more_merges)
    } else {
        more_merges().or_else(fewer_merges)
    };
    let (clusters, all_real) = match chosen {
        Some(c) => (c, false),
        None => (wanted, true),
    };
    let labels = roots(steps, m, m - clusters);
    let mut speakers: Vec<usize> = Vec::new();
    for &root in &labels {
        if !speakers.contains(&root) && (all_real || is_real(node_weight[root])) {
            speakers.push(root);
        }
    }
    (labels, speakers)
}

/// The cluster count k in 2..=[`MAX_GAP_COUNT`] (at most m - 1) where the merge from k
/// clusters to k - 1 costs most relative to the merge before it; 1 for fewer than three
/// items. Ward's merge heights never decrease, so the ratio is at least 1.
fn largest_gap(steps: &[Step<f32>], m: usize) -> usize {
    // steps[m - k] is the merge from k clusters to k - 1.
    (2..=MAX_GAP_COUNT.min(m - 1))
        .map(|k| {
            let ratio = steps[m - k].dissimilarity / steps[m - k - 1].dissimilarity.max(1e-6);
            (k, ratio)
        })
        .fold(
            (1, 0.0f32),
            |best, (k, r)| if r > best.1 { (k, r) } else { best },
        )
        .0
}

/// The dendrogram node each of the `m` items belongs to after the first `merges` steps.
fn roots(steps: &[Step<f32>], m: usize, merges: usize) -> Vec<usize> {
    let mut parent: Vec<Option<usize>> = vec![None; m + merges];
    for (i, step) in steps.iter().take(merges).enumerate() {
        parent[step.cluster1] = Some(m + i);
        parent[step.cluster2] = Some(m + i);
    }
    (0..m)
        .map(|mut node| {
            while let Some(p) = parent[node] {
                node = p;
            }
            node
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Noisy unit vectors around `voices` orthogonal directions: `per_voice` items each.
    fn voices(voices: usize, per_voice: usize, dim: usize) -> Vec<f32> {
        let mut items = Vec::new();
        let mut seed = 7u32;
        let mut noise = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for v in 0..voices {
            for _ in 0..per_voice {
                let mut e: Vec<f32> = (0..dim).map(|_| 0.3 * noise()).collect();
                e[v] += 1.0;
                normalize(&mut e);
                items.extend(e);
            }
        }
        items
    }

    fn settings() -> ClusterSettings {
        ClusterSettings {
            count: ClusterCount::Threshold,
            threshold: 0.5,
            min_speakers: 1,
            max_speakers: 20,
            min_speech: 2.0,
        }
    }

    fn speakers(c: &Clustering) -> usize {
        let mut seen = c.labels.clone();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn finds_the_voices_and_keeps_each_together() {
        let items = voices(3, 10, 16);
        let c = cluster(&items, 16, &[1.0; 30], &settings());
        assert_eq!(c.centroids.len(), 3);
        for v in 0..3 {
            let first = c.labels[v * 10];
            assert!(c.labels[v * 10..(v + 1) * 10].iter().all(|&l| l == first));
        }
        assert_eq!(speakers(&c), 3);
    }

    #[test]
    fn count_hints_are_honoured_exactly() {
        let items = voices(4, 8, 16);
        let w = [1.0; 32];
        for count in [ClusterCount::Threshold, ClusterCount::Gap] {
            for (min, max, expect) in [(2, 2, 2), (6, 6, 6), (1, 3, 3), (5, 20, 5), (1, 20, 4)] {
                let s = ClusterSettings {
                    count,
                    min_speakers: min,
                    max_speakers: max,
                    ..settings()
                };
                let c = cluster(&items, 16, &w, &s);
                assert_eq!(speakers(&c), expect, "{count:?} min {min} max {max}");
                assert_eq!(c.centroids.len(), expect);
            }
        }
    }

    #[test]
    fn a_voice_with_too_little_speech_joins_the_nearest_speaker() {
        let items = voices(3, 4, 16);
        // Voice 2 has 4 items of 0.25 s: 1 s in all, below min_speech.
        let mut w = vec![1.0; 12];
        w[8..].iter_mut().for_each(|v| *v = 0.25);
        let c = cluster(&items, 16, &w, &settings());
        assert_eq!(speakers(&c), 2);
        // Unless the hints ask for it.
        let three = ClusterSettings {
            min_speakers: 3,
            ..settings()
        };
        assert_eq!(speakers(&cluster(&items, 16, &w, &three)), 3);
    }

    #[test]
    fn in_a_long_stream_a_cluster_needs_its_share_of_the_speech() {
        // Two voices of 150 s each and a third of 2.5 s: above min_speech, below 1 %
        // of the 302.5 s, so it joins the nearest voice; with more speech it stands.
        let items = voices(3, 5, 16);
        let mut w = vec![30.0; 15];
        w[10..].iter_mut().for_each(|v| *v = 0.5);
        assert_eq!(speakers(&cluster(&items, 16, &w, &settings())), 2);
        w[10..].iter_mut().for_each(|v| *v = 0.7);
        assert_eq!(speakers(&cluster(&items, 16, &w, &settings())), 3);
    }

    #[test]
    fn more_items_than_the_dendrogram_takes_still_all_get_a_speaker() {
        let items = voices(2, MAX_AHC_ITEMS / 2 + 50, 8);
        let n = items.len() / 8;
        let c = cluster(&items, 8, &vec![1.0; n], &settings());
        assert_eq!(c.labels.len(), n);
        assert_eq!(speakers(&c), 2);
        assert!(c.labels[..n / 2].iter().all(|&l| l == c.labels[0]));
        assert!(c.labels[n / 2..].iter().all(|&l| l == c.labels[n - 1]));
    }

    #[test]
    fn edge_cases() {
        assert!(cluster(&[], 4, &[], &settings()).labels.is_empty());
        let one = cluster(&[1.0, 0.0], 2, &[0.1], &settings());
        assert_eq!(one.labels, vec![0]);
        assert_eq!(one.centroids, vec![vec![1.0, 0.0]]);
    }

    fn gap() -> ClusterSettings {
        ClusterSettings {
            count: ClusterCount::Gap,
            ..settings()
        }
    }

    #[test]
    fn the_gap_count_finds_the_voices_without_a_distance() {
        // Three voices; a threshold far too large for them (everything merges) does not
        // matter to the gap count.
        let items = voices(3, 10, 16);
        let loose = ClusterSettings {
            threshold: 1.5,
            ..settings()
        };
        assert_eq!(speakers(&cluster(&items, 16, &[1.0; 30], &loose)), 1);
        let c = cluster(&items, 16, &[1.0; 30], &gap());
        assert_eq!(speakers(&c), 3);
        for v in 0..3 {
            let first = c.labels[v * 10];
            assert!(c.labels[v * 10..(v + 1) * 10].iter().all(|&l| l == first));
        }
    }

    #[test]
    fn one_voice_split_by_the_gap_count_is_one_speaker() {
        // One voice: Ward still cuts it in two at its largest gap, but the halves'
        // centroids lie within the same-voice distance (0.4 * 0.5), so they merge.
        let items = voices(1, 40, 16);
        assert_eq!(speakers(&cluster(&items, 16, &[1.0; 40], &gap())), 1);
        // A count hint keeps them apart.
        let two = ClusterSettings {
            min_speakers: 2,
            ..gap()
        };
        assert_eq!(speakers(&cluster(&items, 16, &[1.0; 40], &two)), 2);
    }
}
