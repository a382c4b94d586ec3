//! Overlap-add of per-frame speaker activity across the windows that cover each frame.
//! Holds only frames that are not final yet, so its size is bounded by the latency plus
//! one window.

use std::collections::VecDeque;

#[derive(Default, Clone)]
struct FrameVotes {
    /// Summed activity per global speaker index.
    sums: Vec<f32>,
    /// Windows that covered this frame.
    windows: u32,
}

#[derive(Default)]
pub struct Aggregator {
    /// Absolute index of `frames[0]`.
    first: i64,
    frames: VecDeque<FrameVotes>,
}

impl Aggregator {
    /// Frames held (not final yet).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    fn frame_mut(&mut self, frame: i64) -> Option<&mut FrameVotes> {
        if frame < self.first {
            return None; // already final: late votes are ignored
        }
        let idx = (frame - self.first) as usize;
        if idx >= self.frames.len() {
            self.frames.resize(idx + 1, FrameVotes::default());
        }
        self.frames.get_mut(idx)
    }

    /// Records that a window covered `frame`.
    pub fn cover(&mut self, frame: i64) {
        if let Some(f) = self.frame_mut(frame) {
            f.windows += 1;
        }
    }

    /// Adds `activity` of global speaker `speaker` at `frame`.
    pub fn add(&mut self, frame: i64, speaker: usize, activity: f32) {
        if let Some(f) = self.frame_mut(frame) {
            if f.sums.len() <= speaker {
                f.sums.resize(speaker + 1, 0.0);
            }
            f.sums[speaker] += activity;
        }
    }

    /// Removes every frame before `until` and calls `emit(frame, mean activity per
    /// speaker)` for each, oldest first. Frames never covered by a window read as silence.
    pub fn finalize(&mut self, until: i64, mut emit: impl FnMut(i64, &[f32])) {
        let mut mean = Vec::new();
        while self.first < until {
            let votes = self.frames.pop_front().unwrap_or_default();
            mean.clear();
            let n = votes.windows.max(1) as f32;
            mean.extend(votes.sums.iter().map(|s| s / n));
            emit(self.first, &mean);
            self.first += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_over_covering_windows_and_drops_late_votes() {
        let mut a = Aggregator::default();
        for f in 0..4 {
            a.cover(f);
            a.add(f, 1, 1.0);
        }
        for f in 2..6 {
            a.cover(f);
        }
        let mut seen = Vec::new();
        a.finalize(4, |f, m| seen.push((f, m.to_vec())));
        assert_eq!(seen[0], (0, vec![0.0, 1.0]));
        assert_eq!(seen[3], (3, vec![0.0, 0.5]));
        a.add(1, 0, 1.0); // final already: ignored
        a.cover(5);
        a.add(5, 0, 1.0);
        seen.clear();
        a.finalize(7, |f, m| seen.push((f, m.to_vec())));
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1], (5, vec![0.5]));
        assert_eq!(seen[2], (6, vec![]));
        assert_eq!(a.frames.len(), 0);
    }
}
