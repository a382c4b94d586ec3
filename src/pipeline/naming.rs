//! Public speaker ids: the last step before segments are polled.
//!
//! The binarizer labels speakers densely in order of appearance. Without enrolled
//! voiceprints those labels are the public ids. With K enrolled speakers
//! ([`Config::speakers`](crate::Config)), ids 0..K are theirs, in enrollment order, and
//! the speakers of the stream are numbered from K in order of appearance.
//!
//! The live result takes the enrolled id the tracker matched the speaker to (it knows the
//! enrolled speakers from the start), decided once, at the speaker's first segment: ids of
//! segments already returned never change. An offline result knows the enrolled speaker
//! of each of its labels (`offline::attach_enrolled`) before any segment is named.

use super::segment::Segment;

pub struct Naming {
    /// Whether each enrolled id is given to a label already.
    taken: Vec<bool>,
    /// Public id of each binarizer label, once decided.
    public_of_label: Vec<u32>,
    next_unknown: u32,
    /// Seconds of speech in the segments named so far, per public id.
    speech: Vec<f64>,
}

impl Naming {
    /// Naming for a session with `enrolled` enrolled speakers.
    pub fn new(enrolled: usize) -> Naming {
        Naming {
            taken: vec![false; enrolled],
            next_unknown: enrolled as u32,
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

    /// Decides the ids of every label of an offline result at once: label l is enrolled
    /// speaker `known[l]` when it has one (and no earlier label took it), else unknown.
    pub fn name_all(&mut self, known: &[Option<u32>]) {
        self.public_of_label = known
            .iter()
            .map(
                |k| match k.filter(|&k| self.taken.get(k as usize) == Some(&false)) {
                    Some(k) => {
                        self.taken[k as usize] = true;
                        k
                    }
                    None => self.unknown(),
                },
            )
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
        let mut n = Naming::new(0);
        assert_eq!(live(&mut n, &[None, None], &[0, 1, 0, 1]), [0, 1, 0, 1]);
        assert_eq!(n.speech_seconds(1), 2.0);
    }

    #[test]
    fn known_voices_take_their_enrolled_id_and_others_count_from_k() {
        // Enrolled: Alice and Bob. The stream: a stranger, then Bob.
        let mut n = Naming::new(2);
        assert_eq!(live(&mut n, &[None, Some(1)], &[0, 1, 0]), [2, 1, 2]);
        assert_eq!(n.label_of(1), Some(1));
        assert_eq!(n.label_of(0), None);
        assert_eq!(n.speech_seconds(2), 2.0);
    }

    #[test]
    fn an_enrolled_id_goes_to_one_label_only() {
        let mut n = Naming::new(1);
        assert_eq!(live(&mut n, &[Some(0), Some(0)], &[0, 1]), [0, 1]);
    }

    #[test]
    fn an_offline_result_takes_its_labels_enrolled_speakers() {
        // Labels: unknown, enrolled 1, enrolled 0, enrolled 1 again (refused: one label
        // per enrolled speaker), unknown.
        let mut n = Naming::new(2);
        n.name_all(&[None, Some(1), Some(0), Some(1), None]);
        let ids: Vec<u32> = (0..5)
            .map(|l| {
                let mut s = seg(l, 0.0, 1.0);
                n.rename(&mut s);
                s.speaker
            })
            .collect();
        assert_eq!(ids, [2, 1, 0, 3, 4]);
    }
}
