//! Audio in: sample conversion, downmixing, resampling to 16 kHz, a bounded history, and
//! WAV reading for the command-line tool.

mod resample;
mod ring;
mod wav;

pub use resample::{StreamResampler, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
pub use ring::SampleRing;
pub use wav::{read_wav, read_wav_from, WavAudio};

/// Scale of 16-bit PCM: `i16::MIN` maps to -1.0.
pub fn i16_to_f32(v: i16) -> f32 {
    f32::from(v) / 32768.0
}
