//! Local segmentation of one window, whichever model does it: frame-level activity of the
//! window's local speakers on the session's frame grid.

use crate::audio::SampleRing;
use crate::error::Result;
use crate::models::{SegmentationModel, Segmenter, VadState};

/// Activity of the local speakers of one window.
#[derive(Default)]
pub struct LocalActivity {
    /// Absolute index (on the frame grid) of the first frame.
    pub first_frame: i64,
    pub frames: usize,
    pub speakers: usize,
    /// `frames x speakers`, row-major, in 0..=1.
    pub values: Vec<f32>,
}

impl LocalActivity {
    pub fn get(&self, frame: usize, speaker: usize) -> f32 {
        self.values[frame * self.speakers + speaker]
    }

    /// Becomes a copy of `other`, reusing this one's buffer.
    pub fn copy_from(&mut self, other: &LocalActivity) {
        self.first_frame = other.first_frame;
        self.frames = other.frames;
        self.speakers = other.speakers;
        self.values.clone_from(&other.values);
    }
}

#[cfg(test)]
impl LocalActivity {
    /// A window of two local speakers for tests: `rows[f][k]` is speaker k's activity.
    pub fn two_speakers(first_frame: i64, rows: &[[f32; 2]]) -> LocalActivity {
        LocalActivity {
            first_frame,
            frames: rows.len(),
            speakers: 2,
            values: rows.iter().flatten().copied().collect(),
        }
    }
}

/// Per-stream state of the segmentation stage.
pub enum Stage {
    Vad {
        state: VadState,
        /// 16 kHz samples not yet making a whole VAD chunk.
        pending: Vec<f32>,
        /// Probabilities of the newest chunks; `probs[0]` is chunk `first_chunk`.
        probs: std::collections::VecDeque<f32>,
        first_chunk: i64,
        /// Window length in chunks.
        window_chunks: usize,
        scratch: Vec<f32>,
    },
    Windowed {
        /// Non-silent windows of one batch, back to back.
        batch: Vec<f32>,
        /// Index (in the batch's windows) of each row of `batch`.
        rows: Vec<usize>,
        /// Activities of the rows, as the model returns them.
        scores: Vec<f32>,
    },
}

/// Below this RMS a window is digital silence and models are not run on it.
const SILENCE_RMS: f32 = 1e-5;

impl Stage {
    pub fn new(segmenter: &Segmenter, vad_window_samples: usize) -> Stage {
        match segmenter {
            Segmenter::Vad(m) => {
                let chunk = m.contract().chunk_samples;
                Stage::Vad {
                    state: m.new_state(),
                    pending: Vec::with_capacity(chunk * 2),
                    probs: Default::default(),
                    first_chunk: 0,
                    window_chunks: vad_window_samples.div_ceil(chunk),
                    scratch: Vec::new(),
                }
            }
            Segmenter::Windowed(m) => Stage::Windowed {
                batch: Vec::with_capacity(m.contract().window_samples),
                rows: Vec::new(),
                scores: Vec::new(),
            },
        }
    }

    /// Samples per frame of the grid this stage reports on.
    pub fn frame_samples(segmenter: &Segmenter) -> usize {
        match segmenter {
            Segmenter::Vad(m) => m.contract().chunk_samples,
            Segmenter::Windowed(m) => m.contract().frame_step_samples,
        }
    }

    /// Feeds new 16 kHz audio (the streaming VAD consumes it as it comes).
    pub fn feed(&mut self, segmenter: &Segmenter, samples: &[f32]) -> Result<()> {
        if let (
            Stage::Vad {
                state,
                pending,
                probs,
                first_chunk,
                window_chunks,
                scratch,
            },
            Segmenter::Vad(m),
        ) = (self, segmenter)
        {
            pending.extend_from_slice(samples);
            let chunk = m.contract().chunk_samples;
            let whole = pending.len() / chunk * chunk;
            if whole > 0 {
                scratch.clear();
                m.process(state, &pending[..whole], scratch)?;
                pending.drain(..whole);
                probs.extend(scratch.iter().copied());
                let excess = probs.len().saturating_sub(*window_chunks);
                probs.drain(..excess);
                *first_chunk += excess as i64;
            }
        }
        Ok(())
    }

    /// Local activities of the windows that end at the absolute samples `ends` (all
    /// inside `ring`), one per element of `out`. A windowed model runs them in one
    /// inference; the streaming VAD takes one window at a time.
    pub fn windows(
        &mut self,
        segmenter: &Segmenter,
        ring: &SampleRing,
        ends: &[u64],
        out: &mut [LocalActivity],
    ) -> Result<()> {
        debug_assert_eq!(ends.len(), out.len());
        match (self, segmenter) {
            (
                Stage::Vad {
                    probs, first_chunk, ..
                },
                Segmenter::Vad(_),
            ) => {
                debug_assert_eq!(ends.len(), 1, "the VAD stage reports its newest window");
                for out in out.iter_mut() {
                    out.first_frame = *first_chunk;
                    out.frames = probs.len();
                    out.speakers = 1;
                    out.values.clear();
                    out.values.extend(probs.iter().copied());
                }
            }
            (
                Stage::Windowed {
                    batch,
                    rows,
                    scores,
                },
                Segmenter::Windowed(m),
            ) => {
                run_windowed(m, ring, ends, batch, rows, scores, out)?;
            }
            _ => unreachable!("stage built for another segmenter"),
        }
        Ok(())
    }
}

fn run_windowed(
    m: &SegmentationModel,
    ring: &SampleRing,
    ends: &[u64],
    batch: &mut Vec<f32>,
    rows: &mut Vec<usize>,
    scores: &mut Vec<f32>,
    out: &mut [LocalActivity],
) -> Result<()> {
    let c = m.contract();
    let frames = c.frames();
    let step = c.frame_step_samples as i64;
    let per_window = frames * c.speakers;
    batch.clear();
    rows.clear();
    for (i, (&end, out)) in ends.iter().zip(out.iter_mut()).enumerate() {
        let start = end as i64 - c.window_samples as i64;
        // Frame j is centred at start + offset + j*step + length/2; place it on the grid.
        let centre = start + c.frame_offset_samples as i64 + c.frame_length_samples as i64 / 2;
        out.first_frame = centre.div_euclid(step);
        out.frames = frames;
        out.speakers = c.speakers;
        out.values.clear();
        out.values.resize(per_window, 0.0);
        let row_start = batch.len();
        ring.extend_range(start, end as i64, batch);
        let window = &batch[row_start..];
        let energy = window.iter().map(|v| v * v).sum::<f32>() / window.len().max(1) as f32;
        if energy.sqrt() < SILENCE_RMS {
            batch.truncate(row_start); // digital silence: no speaker, no inference
        } else {
            rows.push(i);
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    m.infer_batch(batch, rows.len(), scores)?;
    for (row, &i) in rows.iter().enumerate() {
        out[i]
            .values
            .copy_from_slice(&scores[row * per_window..(row + 1) * per_window]);
    }
    Ok(())
}
