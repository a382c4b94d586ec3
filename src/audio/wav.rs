//! WAV files in (integer PCM of 8 to 32 bits, or 32-bit float), via `hound`.

use std::path::Path;

use crate::error::{Error, Result, Status};

/// Decoded WAV: interleaved samples in -1..1.
pub struct WavAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
}

impl WavAudio {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64
            / f64::from(self.channels.max(1))
            / f64::from(self.sample_rate.max(1))
    }
}

pub fn read_wav(path: &Path) -> Result<WavAudio> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::new(Status::Io, format!("{}: {e}", path.display())))?;
    read_wav_from(std::io::BufReader::new(file), &path.display().to_string())
}

/// Decodes a WAV stream; `name` (a path, usually) prefixes error messages. Any byte
/// sequence gives either audio or an `Io` error, never a panic.
pub fn read_wav_from(reader: impl std::io::Read, name: &str) -> Result<WavAudio> {
    let io = |e: hound::Error| Error::new(Status::Io, format!("{name}: {e}"));
    let mut reader = hound::WavReader::new(reader).map_err(io)?;
    let spec = reader.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(io)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(io)?
        }
    };
    Ok(WavAudio {
        samples,
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    })
}
