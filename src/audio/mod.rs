//! Audio in: sample conversion, downmixing, resampling to 16 kHz, a bounded history, and
//! audio-file decoding for the command-line tool and the bindings.

mod file;
mod resample;
mod ring;

pub use file::{decode_audio_bytes, in_audio_decoder, read_audio, DecodedAudio, SUPPORTED_FORMATS};
pub use resample::{StreamResampler, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};
pub use ring::SampleRing;

/// Scale of 16-bit PCM: `i16::MIN` maps to -1.0.
pub fn i16_to_f32(v: i16) -> f32 {
    f32::from(v) / 32768.0
}
