//! Audio files in, through the pure-Rust `symphonia` decoders: every WAV flavour (integer
//! PCM, float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, ADTS AAC, and
//! MKV/WebM. MP4/M4A is refused: symphonia 0.5.5's MP4 reader sizes its sample tables from
//! the file's counts, and 4 kB files made it ask for 6.7 and 19.5 GB (where the system
//! refuses that, the process aborts). Used by the command-line tool and by
//! `vf_audio_read_file`, which the bindings' file helpers call, so every language reads
//! the same formats the same way.

use std::cell::Cell;
use std::io::{Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL, CODEC_TYPE_OPUS};
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::{Error, Result, Status};

/// What the decoders read, for error messages.
pub const SUPPORTED_FORMATS: &str = "WAV (8- to 32-bit PCM, 32/64-bit float, A-law, mu-law, \
    ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, ADTS AAC, and MKV/WebM";

/// A decoded file: interleaved samples in -1..1.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
}

impl DecodedAudio {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64
            / f64::from(self.channels.max(1))
            / f64::from(self.sample_rate.max(1))
    }
}

/// Decodes the audio file at `path`; its extension only hints at the format, the content
/// decides. A missing, empty, non-audio or undecodable file is an `Io` error naming the
/// file and, where it helps, the formats that are supported.
pub fn read_audio(path: &Path) -> Result<DecodedAudio> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| Error::new(Status::Io, format!("{name}: {e}")))?;
    let extension = path.extension().and_then(|e| e.to_str());
    decode(Box::new(file), extension, &name)
}

/// Decodes a whole file held in memory; `name` (a path, usually) prefixes error messages.
/// Any byte sequence gives either audio or an `Io` error, never a panic.
pub fn decode_audio_bytes(bytes: Vec<u8>, name: &str) -> Result<DecodedAudio> {
    decode(Box::new(Cursor::new(bytes)), None, name)
}

thread_local! {
    /// Set while this thread runs the decoders, for [`in_audio_decoder`].
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside the symphonia decoders right now: for a panic hook.
/// Some malformed files make them panic instead of failing (symphonia 0.5.5: a header
/// declaring 0 Hz panics in `TimeBase::new`, an ADTS header in `step_by(0)`).
/// [`read_audio`] contains those panics and returns an error; a program's panic hook can
/// use this to keep quiet about them, since the error that follows says what went wrong.
pub fn in_audio_decoder() -> bool {
    DECODING.with(Cell::get)
}

fn decode(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
    name: &str,
) -> Result<DecodedAudio> {
    // A decoder bug on malformed input must not take the host down: it becomes an error.
    DECODING.with(|d| d.set(true));
    let decoded = catch_unwind(AssertUnwindSafe(|| {
        decode_unguarded(source, extension, name)
    }));
    DECODING.with(|d| d.set(false));
    decoded.unwrap_or_else(|_| {
        Err(Error::new(
            Status::Io,
            format!("{name}: the decoder failed on malformed data"),
        ))
    })
}

fn decode_unguarded(
    mut source: Box<dyn MediaSource>,
    extension: Option<&str>,
    name: &str,
) -> Result<DecodedAudio> {
    let head = sniff(&mut source);
    if head.is_empty() {
        return Err(not_audio(name, "the file is empty"));
    }
    // An ISO base media file (MP4, M4A, MOV, 3GP) starts with a box whose type is "ftyp".
    if head.get(4..8) == Some(b"ftyp".as_slice()) {
        return Err(Error::new(
            Status::Io,
            format!(
                "{name}: MP4/M4A files are not supported yet (the pure-Rust MP4 reader is not \
                 safe on malformed files); convert it first, e.g. `ffmpeg -i {name} out.flac`"
            ),
        ));
    }
    let mut hint = Hint::new();
    if let Some(extension) = extension {
        hint.with_extension(extension);
    }
    let stream = MediaSourceStream::new(source, Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            // Gapless: MP3 and AAC encoder delay and padding are trimmed, so the decoded
            // audio lines up with the original and segment times are not shifted.
            &FormatOptions {
                enable_gapless: true,
                ..Default::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(|e| not_audio(name, &format!("not a recognised audio file ({e})")))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| not_audio(name, "the file holds no audio track"))?;
    let track_id = track.id;
    if track.codec_params.codec == CODEC_TYPE_OPUS {
        return Err(Error::new(
            Status::Io,
            format!(
                "{name}: Opus audio is not supported (no well-kept pure-Rust Opus decoder \
                 exists yet); convert it first, e.g. `ffmpeg -i {name} out.flac`"
            ),
        ));
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| not_audio(name, &format!("its codec is not supported ({e})")))?;

    let mut samples = Vec::new();
    let mut layout: Option<(u32, u16)> = None;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            // The normal end of a stream, and a truncated last packet, both end here.
            Err(DecodeError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(DecodeError::ResetRequired) => break,
            Err(e) => return Err(Error::new(Status::Io, format!("{name}: {e}"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged frame is skipped, as players do; the rest of the file still counts.
            Err(DecodeError::DecodeError(_)) => continue,
            Err(e) => return Err(Error::new(Status::Io, format!("{name}: {e}"))),
        };
        let spec = *decoded.spec();
        let this = (spec.rate, spec.channels.count() as u16);
        if this.0 == 0 || this.1 == 0 {
            return Err(not_audio(
                name,
                "its audio has no sample rate or no channels",
            ));
        }
        match layout {
            None => layout = Some(this),
            Some(first) if first != this => {
                return Err(Error::new(
                    Status::Io,
                    format!(
                        "{name}: the audio changes from {} Hz x {} channels to {} Hz x {} \
                         channels mid-file",
                        first.0, first.1, this.0, this.1
                    ),
                ))
            }
            Some(_) => {}
        }
        // One conversion buffer, grown only when a packet is larger than any before.
        let frames = decoded.capacity();
        let buf = match &mut buffer {
            Some(buf) if buf.capacity() >= frames * usize::from(this.1) => buf,
            _ => buffer.insert(SampleBuffer::new(frames as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        samples.extend_from_slice(buf.samples());
    }
    let (sample_rate, channels) =
        layout.ok_or_else(|| not_audio(name, "no audio could be decoded from it"))?;
    Ok(DecodedAudio {
        samples,
        sample_rate,
        channels,
    })
}

/// The first bytes of `source` (at most 8; none for an empty file), then rewinds it.
fn sniff(source: &mut Box<dyn MediaSource>) -> Vec<u8> {
    let mut head = Vec::with_capacity(8);
    let _ = source.by_ref().take(8).read_to_end(&mut head);
    // Rewind for the probe; a source that cannot seek back fails there with a clear error.
    let _ = source.seek(SeekFrom::Start(0));
    head
}

fn not_audio(name: &str, why: &str) -> Error {
    Error::new(
        Status::Io,
        format!("{name}: {why}; voiceflow reads {SUPPORTED_FORMATS}"),
    )
}
