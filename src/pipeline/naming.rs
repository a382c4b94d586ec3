//! Public speaker ids: the last step before segments are polled.
//!
//! The binarizer labels speakers densely in order of appearance. Without enrolled
//! voiceprints those labels are the public ids. With K enrolled speakers
//! ([`Config::speakers`](crate::Config)), ids 0..K are theirs, in enrollment order, and
//! the speakers of the stream are numbered from K in order of appearance.
//!
//! The live result takes the enrolled id the tracker matched the speaker to (it knows the
//! enrolled speakers from the start), decided once, at the speaker's first segment: ids of
//! segments already returned never change. An offline result pairs its speakers with the
//! enrolled ones at once, closest first, each pair within `threshold` (cosine distance);
//! there naming only renames, so the offline answer's segments do not change.

use super::segment::Segment;

/// Cosine distance of two unit vectors.
fn distance(a: &[f32], b: &[f32]) -> f32 {
    1.0 - a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>()
}

pub struct Naming {
    /// Unit vectors of the enrolled speakers, in id order.
    enrolled: Vec<Vec<f32>>,
    threshold: f32,
    taken: Vec<bool>,
    /// Public id of each binarizer label, once decided.
    public_of_label: Vec<u32>,
    next_unknown: u32,
    /// Seconds of speech in the segments named so far, per public id.
    speech: Vec<f64>,
}

impl Naming {
    pub fn new(enrolled: Vec<Vec<f32>>, threshold: f32) -> Naming {
        Naming {
            taken: vec![false; enrolled.len()],
            next_unknown: enrolled.len() as u32,
            enrolled,
            threshold,
            public_of_label: Vec::new(),
            speech: Vec::new(),
        }
    }

    fn unknown(&mut self) -> u32 {
        self.next_unknown += 1;
        self.next_unknown - 1
    }

    /// Renames a segment of the streaming result. A label seen for the first time (labels
    /// come in order: 0, 1, ...) gets the id of `known(label)`, the enrolled speaker the
    /// tracker matched it to, if any and not given to another label.
    pub fn name_live(&mut self, segment: &mut Segment, mut known: impl FnMut(u32) -> Option<u32>) {
        // Labels are dense and named at their first segment, so this decides one label.
        while self.public_of_label.len() <= segment.speaker as usize {
            let next = self.public_of_label.len() as u32;
            let free = known(next).filter(|&k| !self.taken.get(k as usize).unwrap_or(&true));
            let id = match free {
                Some(k) => {
                    self.taken[k as usize] = true;
                    k
                }
                None => self.unknown(),
            };
            self.public_of_label.push(id);
        }
        self.rename(segment);
    }

    /// Decides the ids of every label of an offline result at once from their voiceprints
    /// (`voiceprints[label]`): the closest pairs of speaker and enrolled voiceprint first.
    pub fn name_all(&mut self, voiceprints: &[Vec<f32>]) {
        let mut pairs: Vec<(f32, usize, usize)> = voiceprints
            .iter()
            .enumerate()
            .flat_map(|(label, v)| {
                self.enrolled
                    .iter()
                    .enumerate()
                    .map(move |(k, e)| (distance(v, e), label, k))
            })
            .filter(|&(d, _, _)| d <= self.threshold)
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut ids: Vec<Option<u32>> = vec![None; voiceprints.len()];
        for (_, label, k) in pairs {
            if ids[label].is_none() && !self.taken[k] {
                self.taken[k] = true;
                ids[label] = Some(k as u32);
            }
        }
        self.public_of_label = ids
            .into_iter()
            .map(|id| id.unwrap_or_else(|| self.unknown()))
            .collect();
    }

    /// Gives a segment of an already named result (see [`Naming::name_all`]) its id.
    pub fn rename(&mut self, segment: &mut Segment) {
        let id = self
            .public_of_label
            .get(segment.speaker as usize)
            .copied()
            .unwrap_or(segment.speaker);
        segment.speaker = id;
        if self.speech.len() <= id as usize {
            self.speech.resize(id as usize + 1, 0.0);
        }
        self.speech[id as usize] += segment.end - segment.start;
    }

    /// The binarizer label that public id `id` was given to.
    pub fn label_of(&self, id: u32) -> Option<u32> {
        self.public_of_label
            .iter()
            .position(|&p| p == id)
            .map(|l| l as u32)
    }

    /// Seconds of speech in the segments of `id` named so far.
    pub fn speech_seconds(&self, id: u32) -> f64 {
        self.speech.get(id as usize).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(i: usize) -> Vec<f32> {
        let mut v = vec![0.0; 4];
        v[i] = 1.0;
        v
    }

    fn seg(speaker: u32, start: f64, end: f64) -> Segment {
        Segment {
            speaker,
            start,
            end,
        }
    }

    /// Live ids of segments with `labels`, label l matched by the tracker to `known[l]`.
    fn live(naming: &mut Naming, known: &[Option<u32>], labels: &[u32]) -> Vec<u32> {
        labels
            .iter()
            .map(|&l| {
                let mut s = seg(l, 0.0, 1.0);
                naming.name_live(&mut s, |label| known[label as usize]);
                s.speaker
            })
            .collect()
    }

    #[test]
    fn without_enrolled_speakers_the_labels_are_the_ids() {
        let mut n = Naming::new(vec![], 0.5);
        assert_eq!(live(&mut n, &[None, None], &[0, 1, 0, 1]), [0, 1, 0, 1]);
        assert_eq!(n.speech_seconds(1), 2.0);
    }

    #[test]
    fn known_voices_take_their_enrolled_id_and_others_count_from_k() {
        // Enrolled: Alice and Bob. The stream: a stranger, then Bob.
        let mut n = Naming::new(vec![axis(2), axis(3)], 0.5);
        assert_eq!(live(&mut n, &[None, Some(1)], &[0, 1, 0]), [2, 1, 2]);
        assert_eq!(n.label_of(1), Some(1));
        assert_eq!(n.label_of(0), None);
        assert_eq!(n.speech_seconds(2), 2.0);
    }

    #[test]
    fn an_enrolled_id_goes_to_one_label_only() {
        let mut n = Naming::new(vec![axis(0)], 0.5);
        assert_eq!(live(&mut n, &[Some(0), Some(0)], &[0, 1]), [0, 1]);
    }

    #[test]
    fn an_offline_result_pairs_the_closest_first() {
        let mut near = vec![0.8, 0.6, 0.0, 0.0];
        crate::models::normalize(&mut near);
        // Label 0 is near Alice, label 1 is Alice exactly: label 1 gets her id.
        let mut n = Naming::new(vec![axis(0)], 0.5);
        n.name_all(&[near, axis(0), axis(3)]);
        let ids: Vec<u32> = (0..3)
            .map(|l| {
                let mut s = seg(l, 0.0, 1.0);
                n.rename(&mut s);
                s.speaker
            })
            .collect();
        assert_eq!(ids, [1, 0, 2]);
    }
}
