//! A bounded history of the newest 16 kHz samples, addressed by absolute sample index
//! since stream start. Memory is fixed at creation, whatever the stream length.

use std::collections::VecDeque;

pub struct SampleRing {
    buf: VecDeque<f32>,
    capacity: usize,
    /// Absolute index of `buf[0]`.
    start: u64,
}

impl SampleRing {
    pub fn new(capacity: usize) -> Self {
        SampleRing {
            buf: VecDeque::with_capacity(capacity),
            capacity,
            start: 0,
        }
    }

    /// Absolute index one past the newest sample.
    pub fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn push(&mut self, samples: &[f32]) {
        let overflow = (self.buf.len() + samples.len()).saturating_sub(self.capacity);
        let drop_old = overflow.min(self.buf.len());
        self.buf.drain(..drop_old);
        self.start += drop_old as u64;
        // A push longer than the capacity keeps only its newest part.
        let skip = samples.len().saturating_sub(self.capacity);
        self.start += skip as u64;
        self.buf.extend(&samples[skip..]);
    }

    /// Appends samples `[from, to)` to `out`; samples before the stream start or already
    /// dropped read as zero, as do samples not yet pushed.
    pub fn extend_range(&self, from: i64, to: i64, out: &mut Vec<f32>) {
        out.reserve((to - from).max(0) as usize);
        for abs in from..to {
            let v = if abs >= self.start as i64 && abs < self.end() as i64 {
                self.buf[(abs - self.start as i64) as usize]
            } else {
                0.0
            };
            out.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_newest_capacity_samples() {
        let mut r = SampleRing::new(4);
        r.push(&[1.0, 2.0, 3.0]);
        r.push(&[4.0, 5.0, 6.0]);
        assert_eq!(r.end(), 6);
        let mut out = Vec::new();
        r.extend_range(0, 6, &mut out);
        assert_eq!(out, vec![0.0, 0.0, 3.0, 4.0, 5.0, 6.0]);
        r.push(&[7.0; 10]);
        assert_eq!(r.end(), 16);
        assert_eq!(r.buf.len(), 4);
        out.clear();
        r.extend_range(11, 17, &mut out);
        assert_eq!(out, vec![0.0, 7.0, 7.0, 7.0, 7.0, 0.0]);
    }

    #[test]
    fn negative_indices_read_as_silence() {
        let mut r = SampleRing::new(8);
        r.push(&[1.0, 2.0]);
        let mut out = Vec::new();
        r.extend_range(-2, 2, &mut out);
        assert_eq!(out, vec![0.0, 0.0, 1.0, 2.0]);
    }
}
