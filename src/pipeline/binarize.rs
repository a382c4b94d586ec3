//! Turns final per-frame speaker scores into segments: hysteresis (on above `onset`, off
//! below `offset`), gaps shorter than `min_off` filled, segments shorter than `min_on`
//! dropped. Segments are released in start order, each only once nothing earlier can
//! still appear.
//!
//! Released segments carry dense speaker labels in order of appearance: the first
//! speaker of the output is 0, the next new one 1, and so on. The tracks are indexed by
//! the tracker's confirmed ids instead, which may have gaps in the output (a confirmed
//! speaker whose every run was too short) or appear out of order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::segment::Segment;

#[derive(Clone)]
pub struct BinarizeSettings {
    pub onset: f32,
    pub offset: f32,
    /// In frames.
    pub min_on: i64,
    pub min_off: i64,
    pub frame_seconds: f64,
}

#[derive(Clone, Copy, Default)]
struct Track {
    /// Start frame of the current run of activity, while active.
    active_since: Option<i64>,
    /// Last finished run `[start, end)`, held back in case the speaker resumes within
    /// `min_off` frames.
    held: Option<(i64, i64)>,
}

pub struct Binarizer {
    settings: BinarizeSettings,
    tracks: Vec<Track>,
    /// Closed segments ordered by start frame: (start, end, speaker).
    closed: BinaryHeap<Reverse<(i64, i64, u32)>>,
    ready: VecDeque<Segment>,
    /// Output label of each track, once it has released a segment.
    labels: Vec<Option<u32>>,
    /// Track of each output label.
    tracks_of_labels: Vec<u32>,
}

impl Binarizer {
    pub fn new(settings: BinarizeSettings) -> Self {
        Binarizer {
            settings,
            tracks: Vec::new(),
            closed: BinaryHeap::new(),
            ready: VecDeque::new(),
            labels: Vec::new(),
            tracks_of_labels: Vec::new(),
        }
    }

    /// The output label of `track`, given at its first released segment.
    fn label(&mut self, track: u32) -> u32 {
        let t = track as usize;
        if self.labels.len() <= t {
            self.labels.resize(t + 1, None);
        }
        *self.labels[t].get_or_insert_with(|| {
            self.tracks_of_labels.push(track);
            self.tracks_of_labels.len() as u32 - 1
        })
    }

    /// Whether `track` has released a segment (and so has its output label).
    pub fn has_released(&self, track: u32) -> bool {
        self.labels.get(track as usize).is_some_and(Option::is_some)
    }

    /// The track (tracker id) that output label `label` was given to.
    pub fn track_of_label(&self, label: u32) -> Option<u32> {
        self.tracks_of_labels.get(label as usize).copied()
    }

    /// Feeds the scores of final frame `frame` (index = public speaker id).
    pub fn push_frame(&mut self, frame: i64, scores: &[f32]) {
        if self.tracks.len() < scores.len() {
            self.tracks.resize(scores.len(), Track::default());
        }
        for speaker in 0..self.tracks.len() {
            let score = scores.get(speaker).copied().unwrap_or(0.0);
            let mut track = self.tracks[speaker];
            match track.active_since {
                None if score > self.settings.onset => {
                    // Resuming within min_off continues the held run.
                    track.active_since = Some(match track.held.take() {
                        Some((start, end)) if frame - end < self.settings.min_off => start,
                        Some(run) => {
                            self.close(speaker as u32, run);
                            frame
                        }
                        None => frame,
                    });
                }
                Some(start) if score < self.settings.offset => {
                    track.active_since = None;
                    track.held = Some((start, frame));
                }
                _ => {}
            }
            if let Some(run) = track.held {
                if track.active_since.is_none() && frame + 1 - run.1 >= self.settings.min_off {
                    track.held = None;
                    self.close(speaker as u32, run);
                }
            }
            self.tracks[speaker] = track;
        }
        self.release(frame + 1);
    }

    fn close(&mut self, speaker: u32, (start, end): (i64, i64)) {
        if end - start >= self.settings.min_on.max(1) {
            self.closed.push(Reverse((start, end, speaker)));
        }
    }

    /// Moves closed segments that start no later than any still open run to `ready`.
    fn release(&mut self, next_frame: i64) {
        let bound = self
            .tracks
            .iter()
            .filter_map(|t| t.held.map(|h| h.0).or(t.active_since))
            .min()
            .unwrap_or(next_frame);
        while let Some(Reverse((start, end, speaker))) = self.closed.peek().copied() {
            if start > bound {
                break;
            }
            self.closed.pop();
            let fs = self.settings.frame_seconds;
            let speaker = self.label(speaker);
            self.ready.push_back(Segment {
                speaker,
                start: start as f64 * fs,
                end: end as f64 * fs,
            });
        }
    }

    /// Closes every run at `end_frame` (end of stream) and releases everything.
    pub fn finish(&mut self, end_frame: i64) {
        for speaker in 0..self.tracks.len() {
            let track = std::mem::take(&mut self.tracks[speaker]);
            if let Some(run) = track.held {
                self.close(speaker as u32, run);
            }
            if let Some(start) = track.active_since {
                self.close(speaker as u32, (start, end_frame.max(start)));
            }
        }
        self.release(i64::MAX);
    }

    pub fn ready(&mut self) -> &mut VecDeque<Segment> {
        &mut self.ready
    }
}

/// For a one-speaker segmenter, which cannot see overlap: a frame's speech goes to the
/// speaker most windows chose, instead of to every speaker some did.
pub fn keep_loudest(scores: &mut [f32]) {
    let total: f32 = scores.iter().sum();
    if let Some(winner) = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b])) {
        scores.iter_mut().for_each(|v| *v = 0.0);
        scores[winner] = total.min(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binarized(scores: &[&[f32]], min_on: i64, min_off: i64) -> Binarizer {
        let mut b = Binarizer::new(BinarizeSettings {
            onset: 0.5,
            offset: 0.3,
            min_on,
            min_off,
            frame_seconds: 1.0,
        });
        for (i, s) in scores.iter().enumerate() {
            b.push_frame(i as i64, s);
        }
        b.finish(scores.len() as i64);
        b
    }

    fn run(scores: &[&[f32]], min_on: i64, min_off: i64) -> Vec<(u32, i64, i64)> {
        binarized(scores, min_on, min_off)
            .ready()
            .iter()
            .map(|s| (s.speaker, s.start as i64, s.end as i64))
            .collect()
    }

    #[test]
    fn hysteresis_keeps_speaker_on_between_offset_and_onset() {
        let s: Vec<&[f32]> = vec![&[0.0], &[0.6], &[0.4], &[0.4], &[0.2], &[0.4], &[0.0]];
        assert_eq!(run(&s, 0, 0), vec![(0, 1, 4)]);
    }

    #[test]
    fn short_gaps_are_filled_and_short_segments_dropped() {
        let s: Vec<&[f32]> = vec![
            &[0.9],
            &[0.9],
            &[0.0],
            &[0.9],
            &[0.9],
            &[0.0],
            &[0.0],
            &[0.0],
            &[0.9],
            &[0.0],
            &[0.0],
            &[0.0],
        ];
        assert_eq!(run(&s, 2, 2), vec![(0, 0, 5)]);
        assert_eq!(run(&s, 0, 1), vec![(0, 0, 2), (0, 3, 5), (0, 8, 9)]);
    }

    #[test]
    fn segments_come_out_in_start_order_across_speakers() {
        // Speaker 0 talks 0..6, speaker 1 talks 2..4 (closes first).
        let s: Vec<&[f32]> = vec![
            &[0.9, 0.0],
            &[0.9, 0.0],
            &[0.9, 0.9],
            &[0.9, 0.9],
            &[0.9, 0.0],
            &[0.9, 0.0],
            &[0.0, 0.0],
        ];
        assert_eq!(run(&s, 0, 0), vec![(0, 0, 6), (1, 2, 4)]);
    }

    #[test]
    fn labels_are_dense_in_order_of_appearance() {
        // Track 2 talks first, track 0 only for one frame (dropped by min_on), track 1 last.
        let s: Vec<&[f32]> = vec![
            &[0.0, 0.0, 0.9],
            &[0.9, 0.0, 0.9],
            &[0.0, 0.0, 0.9],
            &[0.0, 0.9, 0.0],
            &[0.0, 0.9, 0.0],
        ];
        let b = binarized(&s, 2, 0);
        assert_eq!(run(&s, 2, 0), vec![(0, 0, 3), (1, 3, 5)]);
        assert_eq!(b.track_of_label(0), Some(2));
        assert_eq!(b.track_of_label(1), Some(1));
        assert_eq!(b.track_of_label(2), None);
    }

    #[test]
    fn open_segment_is_closed_at_end_of_stream() {
        let s: Vec<&[f32]> = vec![&[0.0], &[0.9], &[0.9]];
        assert_eq!(run(&s, 0, 0), vec![(0, 1, 3)]);
    }
}
