//! What an offline (or refining) session keeps of its stream until flush: each window's
//! local activity and the voiceprints of its local speakers.
//!
//! Every voiceprint is an item of the whole-stream clustering, weighted by the speech its
//! window adds to the stream (frames no earlier window covered), so that a cluster's
//! weight is the speech it holds, each frame counted once. Tried and dropped: clustering
//! tracklets (one local speaker followed from window to window by `continuity`, with the
//! mean of its voiceprints). segmentation-3.0's local speakers switch voices too often for
//! that: with perfect voiceprints (`make eval-oracle`) the simulated set scored 37 % DER
//! with tracklets against 15 % with single voiceprints.
//!
//! Memory grows with the stream: activity is kept as one byte per frame and local speaker
//! (exact for hard powerset decoding, 1/255 steps otherwise), and voiceprints as `f32`.
//! Windows without any active speaker keep only their position (16 bytes).
use super::stage::LocalActivity;

/// Marks "none" in the `u32` indices below.
const NONE: u32 = u32::MAX;

/// Most bytes kept per hour of speech with the default models (segmentation-3.0: 293
/// frames and 3 local speakers per 5 s window, a window every 0.5 s; CAM++: 192-d
/// voiceprints), when all three local speakers talk in every window: 3235 bytes per
/// window, 7200 windows, plus the 1/8 growth headroom of [`reserve`]. README, section
/// Offline mode.
#[cfg(test)]
const MAX_BYTES_PER_SPEECH_HOUR: usize = 27 * 1024 * 1024;

/// Grows `v` for `extra` more items by an eighth of its length at a time instead of
/// doubling: a long stream's buffers then hold at most 1/8 more than they use.
fn reserve<T>(v: &mut Vec<T>, extra: usize) {
    if v.capacity() - v.len() < extra {
        v.reserve_exact(extra.max(v.len() / 8));
    }
}

#[derive(Clone, Copy)]
struct WindowRecord {
    first_frame: i64,
    frames: u32,
    /// Offset of the window's activity in `activity`; `NONE` when nobody was active.
    activity: u32,
}

#[derive(Clone, Copy)]
struct LocalRecord {
    active: bool,
    /// The voice continues the previous window's in the same slot (see `continuity`).
    continued: bool,
    /// Row in `embeddings`, `NONE` without a voiceprint.
    embedding: u32,
}

/// One active local speaker of one window, as the clustering sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedLocal {
    pub slot: usize,
    pub continued: bool,
    /// Its voiceprint's item index.
    pub voiceprint: Option<usize>,
}

pub struct Recording {
    dim: usize,
    speakers: usize,
    frame_seconds: f32,
    windows: Vec<WindowRecord>,
    /// `speakers` entries per window with activity, in window order.
    locals: Vec<LocalRecord>,
    activity: Vec<u8>,
    /// Unit voiceprints, `dim` values each: the clustering's items.
    embeddings: Vec<f32>,
    /// Speech (seconds) each voiceprint's window adds to the stream for its speaker.
    speech: Vec<f32>,
    /// Last frame (exclusive) of the previous window.
    previous_end: i64,
}

impl Recording {
    pub fn new(dim: usize, speakers: usize, frame_seconds: f32) -> Self {
        Recording {
            dim,
            speakers,
            frame_seconds,
            windows: Vec::new(),
            locals: Vec::new(),
            activity: Vec::new(),
            embeddings: Vec::new(),
            speech: Vec::new(),
            previous_end: i64::MIN,
        }
    }

    /// Keeps window `a` (local speakers already in their continuity slots).
    /// `active[k]`: slot `k` speaks in the window (above `tau` somewhere);
    /// `continues[k]`: slot `k` continues the previous window's voice (see `continuity`);
    /// `voiceprint(k)`: slot `k`'s voiceprint, if it got one.
    pub fn record<'v>(
        &mut self,
        a: &LocalActivity,
        tau: f32,
        active: &[bool],
        continues: &[bool],
        voiceprint: impl Fn(usize) -> Option<&'v [f32]>,
    ) {
        debug_assert_eq!(a.speakers, self.speakers);
        debug_assert_eq!(active.len(), a.speakers);
        let any = active.iter().any(|&x| x);
        reserve(&mut self.windows, 1);
        self.windows.push(WindowRecord {
            first_frame: a.first_frame,
            frames: a.frames as u32,
            activity: if any {
                self.activity.len() as u32
            } else {
                NONE
            },
        });
        // Frames of this window that no earlier window covered.
        let new_from = (self.previous_end - a.first_frame).clamp(0, a.frames as i64) as usize;
        self.previous_end = a.first_frame + a.frames as i64;
        if !any {
            return;
        }
        reserve(&mut self.activity, a.frames * a.speakers);
        reserve(&mut self.locals, a.speakers);
        reserve(&mut self.embeddings, a.speakers * self.dim);
        reserve(&mut self.speech, a.speakers);
        self.activity.extend(
            a.values[..a.frames * a.speakers]
                .iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8),
        );
        for (k, &is_active) in active.iter().enumerate() {
            let embedding = match voiceprint(k) {
                Some(e) if is_active => {
                    self.embeddings.extend_from_slice(&e[..self.dim]);
                    let speech = (new_from..a.frames).filter(|&f| a.get(f, k) > tau).count();
                    self.speech.push(speech as f32 * self.frame_seconds);
                    (self.speech.len() - 1) as u32
                }
                _ => NONE,
            };
            self.locals.push(LocalRecord {
                active: is_active,
                continued: continues.get(k).copied().unwrap_or(false),
                embedding,
            });
        }
    }

    /// Bytes held (allocated capacity of every buffer).
    pub fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.windows.capacity() * size_of::<WindowRecord>()
            + self.locals.capacity() * size_of::<LocalRecord>()
            + self.activity.capacity()
            + (self.embeddings.capacity() + self.speech.capacity()) * size_of::<f32>()
    }

    #[cfg(test)]
    pub fn windows(&self) -> usize {
        self.windows.len()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The voiceprints, back to back (`dim` values each).
    pub fn voiceprints(&self) -> &[f32] {
        &self.embeddings
    }

    /// Speech (seconds) each voiceprint adds to the stream.
    pub fn speech(&self) -> &[f32] {
        &self.speech
    }

    /// Calls `visit(first_frame, frames, activity, locals)` for every window in stream
    /// order, `activity(f, k)` giving the kept activity and `locals` the active local
    /// speakers (none for a window without speech).
    pub fn for_each_window(
        &self,
        mut visit: impl FnMut(i64, usize, &dyn Fn(usize, usize) -> f32, &[RecordedLocal]),
    ) {
        let mut next_local = 0usize;
        let mut locals = Vec::with_capacity(self.speakers);
        let k = self.speakers;
        for w in &self.windows {
            locals.clear();
            let offset = w.activity as usize;
            if w.activity != NONE {
                for (slot, l) in self.locals[next_local..next_local + k].iter().enumerate() {
                    if l.active {
                        locals.push(RecordedLocal {
                            slot,
                            continued: l.continued,
                            voiceprint: (l.embedding != NONE).then_some(l.embedding as usize),
                        });
                    }
                }
                next_local += k;
            }
            let activity = |f: usize, s: usize| {
                if w.activity == NONE {
                    0.0
                } else {
                    f32::from(self.activity[offset + f * k + s]) / 255.0
                }
            };
            visit(w.first_frame, w.frames as usize, &activity, &locals);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(first_frame: i64, rows: &[[f32; 2]]) -> LocalActivity {
        LocalActivity::two_speakers(first_frame, rows)
    }

    #[test]
    fn keeps_voiceprints_with_the_speech_their_window_adds() {
        let mut r = Recording::new(2, 2, 0.5);
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 1.0];
        // Slot 0 speaks in every frame of both windows (the second starts one frame
        // later); slot 1 only in the first, and has no voiceprint in the second.
        r.record(
            &window(0, &[[1.0, 1.0]; 4]),
            0.5,
            &[true, true],
            &[false, false],
            |k| Some(if k == 0 { &a[..] } else { &b[..] }),
        );
        r.record(
            &window(1, &[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]),
            0.5,
            &[true, false],
            &[true, false],
            |k| (k == 0).then_some(&a[..]),
        );
        r.record(
            &window(2, &[[0.0, 0.0]; 4]),
            0.5,
            &[false, false],
            &[false, false],
            |_| None,
        );
        assert_eq!(r.windows(), 3);
        assert_eq!(r.voiceprints(), &[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        // 4 frames each in the first window, then the one new frame of the second.
        assert_eq!(r.speech(), &[2.0, 2.0, 0.5]);
        let mut seen = Vec::new();
        r.for_each_window(|first, frames, act, locals| {
            seen.push((first, frames, act(0, 0), act(0, 1), locals.to_vec()));
        });
        assert_eq!(
            seen[1].4,
            vec![RecordedLocal {
                slot: 0,
                continued: true,
                voiceprint: Some(2)
            }]
        );
        assert_eq!((seen[1].2, seen[1].3), (1.0, 0.0));
        assert!(seen[2].4.is_empty(), "a silent window keeps only its place");
        assert_eq!((seen[2].0, seen[2].1), (2, 4));
        assert!(r.bytes() > 0);
    }

    /// Three hours of windows shaped like the default models', every local speaker
    /// talking with a voiceprint in every window: within the documented bound.
    #[test]
    fn three_hours_of_speech_stay_within_the_documented_memory() {
        let (frames, speakers, dim) = (293, 3, 192);
        let mut r = Recording::new(dim, speakers, 0.017);
        let voiceprint = vec![0.1f32; dim];
        let mut a = LocalActivity {
            first_frame: 0,
            frames,
            speakers,
            values: vec![1.0; frames * speakers],
        };
        let windows = 3 * 7200;
        for w in 0..windows {
            a.first_frame = w as i64 * 29;
            r.record(&a, 0.5, &[true; 3], &[true; 3], |_| Some(&voiceprint[..]));
        }
        let bytes = r.bytes();
        let per_window = frames * speakers + 16 + 8 * speakers + speakers * (4 * dim + 4);
        assert!(bytes >= windows * per_window, "{bytes} counts every buffer");
        assert!(
            bytes <= 3 * MAX_BYTES_PER_SPEECH_HOUR,
            "{} MB for 3 h, more than documented",
            bytes >> 20
        );
    }
}
