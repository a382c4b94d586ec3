//! Streaming conversion of any supported input format to 16 kHz mono: interleaved
//! channels are averaged, then resampled with `rubato`'s FFT resampler. The resampler's
//! delay is removed, so output sample `i` lines up with input time `i / 16000` s.

use rubato::{FftFixedIn, Resampler};

use crate::error::{Error, Result, Status};

pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 192_000;
/// Input frames per resampler call.
const CHUNK_IN: usize = 1024;

pub struct StreamResampler {
    target_rate: u32,
    input_rate: u32,
    channels: usize,
    /// `None` when the input already is at the target rate.
    fft: Option<FftFixedIn<f32>>,
    /// Mono input waiting for a full resampler chunk.
    pending: Vec<f32>,
    out_buf: Vec<Vec<f32>>,
    /// Output samples still to drop at the start (the resampler's delay).
    skip: usize,
    input_frames: u64,
    output_frames: u64,
}

impl StreamResampler {
    /// Checks the format and builds the converter. Rates outside 8..=192 kHz and channel
    /// counts outside 1..=32 are rejected.
    pub fn new(input_rate: u32, channels: u32, target_rate: u32) -> Result<Self> {
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&input_rate) {
            return Err(Error::new(
                Status::UnsupportedSampleRate,
                format!("sample rate {input_rate} Hz is outside {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} Hz"),
            ));
        }
        if !(1..=32).contains(&channels) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("channel count {channels} is outside 1..=32"),
            ));
        }
        let fft = if input_rate == target_rate {
            None
        } else {
            let r =
                FftFixedIn::<f32>::new(input_rate as usize, target_rate as usize, CHUNK_IN, 2, 1)
                    .map_err(|e| {
                    Error::new(
                        Status::UnsupportedSampleRate,
                        format!("resampler for {input_rate} Hz: {e}"),
                    )
                })?;
            Some(r)
        };
        let skip = fft.as_ref().map_or(0, |f| f.output_delay());
        let out_buf = vec![vec![0.0; fft.as_ref().map_or(0, |f| f.output_frames_max())]];
        Ok(StreamResampler {
            target_rate,
            input_rate,
            channels: channels as usize,
            fft,
            pending: Vec::with_capacity(CHUNK_IN),
            out_buf,
            skip,
            input_frames: 0,
            output_frames: 0,
        })
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Converts interleaved samples (length a multiple of the channel count) and appends
    /// the 16 kHz mono result to `out`.
    pub fn push(
        &mut self,
        interleaved: impl Iterator<Item = f32>,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let mut frame_sum = 0.0f32;
        let mut in_frame = 0usize;
        let scale = 1.0 / self.channels as f32;
        for v in interleaved {
            frame_sum += v;
            in_frame += 1;
            if in_frame == self.channels {
                self.input_frames += 1;
                let mono = frame_sum * scale;
                frame_sum = 0.0;
                in_frame = 0;
                if self.fft.is_none() {
                    out.push(mono);
                    self.output_frames += 1;
                    continue;
                }
                self.pending.push(mono);
                if self.pending.len() == CHUNK_IN {
                    self.run_chunk(out)?;
                }
            }
        }
        Ok(())
    }

    fn run_chunk(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let Some(fft) = self.fft.as_mut() else {
            return Ok(());
        };
        self.pending.resize(CHUNK_IN, 0.0);
        let (_, written) = fft
            .process_into_buffer(&[&self.pending[..]], &mut self.out_buf, None)
            .map_err(|e| Error::new(Status::Internal, format!("resampler: {e}")))?;
        self.pending.clear();
        let produced = &self.out_buf[0][..written];
        let dropped = self.skip.min(produced.len());
        self.skip -= dropped;
        out.extend_from_slice(&produced[dropped..]);
        self.output_frames += (produced.len() - dropped) as u64;
        Ok(())
    }

    /// Ends the stream: drains the resampler so that exactly
    /// `round(input_frames * 16000 / input_rate)` samples have come out in total.
    pub fn flush(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let expected = (self.input_frames * u64::from(self.target_rate)
            + u64::from(self.input_rate) / 2)
            / u64::from(self.input_rate);
        while self.fft.is_some() && self.output_frames < expected {
            self.run_chunk(out)?;
        }
        let excess = (self.output_frames - expected.min(self.output_frames)) as usize;
        out.truncate(out.len().saturating_sub(excess));
        self.output_frames -= excess as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, seconds: f32, channels: usize) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .flat_map(|i| {
                let v = (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 0.5;
                std::iter::repeat_n(v, channels)
            })
            .collect()
    }

    fn resample_all(rate: u32, channels: usize, input: &[f32], push_size: usize) -> Vec<f32> {
        let mut r = StreamResampler::new(rate, channels as u32, 16_000).unwrap();
        let mut out = Vec::new();
        for piece in input.chunks(push_size * channels) {
            r.push(piece.iter().copied(), &mut out).unwrap();
        }
        r.flush(&mut out).unwrap();
        out
    }

    /// Resampling keeps a sine's amplitude and frequency, and its timing to within half an
    /// output sample (the FFT resampler's delay is removed in whole samples).
    #[test]
    fn resampled_sine_matches_the_ideal_sine() {
        let cases = [
            (44_100, 1),
            (48_000, 2),
            (8_000, 1),
            (192_000, 1),
            (22_050, 3),
            (32_000, 1),
        ];
        for (rate, channels) in cases {
            let input = sine(rate, 440.0, 1.0, channels);
            let out = resample_all(rate, channels, &input, 777);
            assert_eq!(out.len(), 16_000, "rate {rate}");
            let best = (-10..=10)
                .map(|lag| {
                    let shift = lag as f32 / 20.0; // -0.5..=0.5 output samples
                    let err = (400..15_600)
                        .map(|i| {
                            let t = (i as f32 + shift) / 16_000.0;
                            (out[i] - (2.0 * std::f32::consts::PI * 440.0 * t).sin() * 0.5).abs()
                        })
                        .fold(0.0f32, f32::max);
                    (err, shift)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap();
            assert!(
                best.0 < 2e-3,
                "rate {rate}: max error {} at shift {}",
                best.0,
                best.1
            );
        }
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let input = sine(44_100, 300.0, 0.7, 1);
        let a = resample_all(44_100, 1, &input, 1);
        let b = resample_all(44_100, 1, &input, 4096);
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_bad_formats() {
        assert_eq!(
            StreamResampler::new(7_999, 1, 16_000)
                .err()
                .unwrap()
                .status(),
            Status::UnsupportedSampleRate
        );
        assert_eq!(
            StreamResampler::new(192_001, 1, 16_000)
                .err()
                .unwrap()
                .status(),
            Status::UnsupportedSampleRate
        );
        assert_eq!(
            StreamResampler::new(16_000, 0, 16_000)
                .err()
                .unwrap()
                .status(),
            Status::InvalidArgument
        );
    }

    #[test]
    fn sixteen_khz_passes_through_and_downmixes() {
        let mut r = StreamResampler::new(16_000, 2, 16_000).unwrap();
        let mut out = Vec::new();
        r.push([1.0, 0.0, 0.5, 0.5, -1.0, -1.0].into_iter(), &mut out)
            .unwrap();
        r.flush(&mut out).unwrap();
        assert_eq!(out, vec![0.5, 0.5, -1.0]);
    }
}
