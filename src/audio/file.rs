//! Audio files in, through the pure-Rust `symphonia` decoders: every WAV flavour (integer
//! PCM, float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A (AAC,
//! ALAC), ADTS AAC and MKV/WebM. Used by the command-line tool and by
//! `vf_audio_read_file`, which the bindings' file helpers call, so every language reads
//! the same formats the same way.
//!
//! MP4/M4A came with symphonia 0.6: 0.5.5's MP4 reader sized its sample tables from the
//! file's counts (4 kB files made it ask for 6.7 and 19.5 GB, and where the system refuses
//! that, the process aborts). 0.6.1 pre-allocates at most 1024 table entries and grows
//! them as entries are actually read, reads large boxes and samples in steps of at most
//! 4 MB (doubling), and never moves a track's read position backwards, so a track cannot
//! deliver the same bytes twice: what a file can make it allocate grows with its size, as
//! for the other formats.

use std::cell::Cell;
use std::io::{Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as DecodeError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use crate::error::{Error, Result, Status};

/// What the decoders read, for error messages.
pub const SUPPORTED_FORMATS: &str = "WAV (8- to 32-bit PCM, 32/64-bit float, A-law, mu-law, \
    ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A (AAC, ALAC), ADTS AAC, and MKV/WebM";

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
/// A malformed file may make them panic instead of failing (symphonia 0.5.5 did on a WAV
/// header declaring 0 Hz, in `TimeBase::new`, and on an ADTS header, in `step_by(0)`;
/// 0.6.1 fixed both, but the containment stays for what fuzzing has not found).
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
    if is_empty(&mut source) {
        return Err(not_audio(name, "the file is empty"));
    }
    let mut hint = Hint::new();
    if let Some(extension) = extension {
        hint.with_extension(extension);
    }
    let stream = MediaSourceStream::new(source, Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| not_audio(name, &format!("not a recognised audio file ({e})")))?;
    let track = format
        .first_track_known_codec(TrackType::Audio)
        .ok_or_else(|| not_audio(name, "the file holds no audio track"))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| not_audio(name, "the file holds no audio track"))?;
    if params.codec == CODEC_ID_OPUS {
        return Err(Error::new(
            Status::Io,
            format!(
                "{name}: Opus audio is not supported (no well-kept pure-Rust Opus decoder \
                 exists yet); convert it first, e.g. `ffmpeg -i {name} out.flac`"
            ),
        ));
    }
    // Gapless: MP3, Vorbis and the lossless codecs trim encoder delay and padding, so the
    // decoded audio lines up with the original and segment times are not shifted. AAC is
    // not trimmed (symphonia 0.6.1 reads no MP4 edit list, and ADTS carries no delay): it
    // starts with the encoder's priming, 1024 samples from ffmpeg, 2112 from Apple's.
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default().gapless(true))
        .map_err(|e| not_audio(name, &format!("its codec is not supported ({e})")))?;

    let mut samples = Vec::new();
    let mut layout: Option<(u32, u16)> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            // The normal end of a stream, and a truncated last packet, both end here.
            Ok(None) => break,
            Err(DecodeError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(DecodeError::ResetRequired) => break,
            Err(e) => return Err(Error::new(Status::Io, format!("{name}: {e}"))),
        };
        if packet.track_id != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged frame is skipped, as players do; the rest of the file still counts.
            Err(DecodeError::DecodeError(_) | DecodeError::IoError(_)) => continue,
            Err(e) => return Err(Error::new(Status::Io, format!("{name}: {e}"))),
        };
        let spec = decoded.spec();
        // More channels than a u16 holds counts as none: no real file has them.
        let this = (
            spec.rate(),
            u16::try_from(spec.channels().count()).unwrap_or(0),
        );
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
        let start = samples.len();
        samples.resize(start + decoded.samples_interleaved(), 0.0f32);
        decoded.copy_to_slice_interleaved(&mut samples[start..]);
    }
    let (sample_rate, channels) =
        layout.ok_or_else(|| not_audio(name, "no audio could be decoded from it"))?;
    Ok(DecodedAudio {
        samples,
        sample_rate,
        channels,
    })
}

/// Whether `source` holds no byte at all; rewinds it.
fn is_empty(source: &mut Box<dyn MediaSource>) -> bool {
    let mut first = Vec::with_capacity(1);
    let _ = source.by_ref().take(1).read_to_end(&mut first);
    // Rewind for the probe; a source that cannot seek back fails there with a clear error.
    let _ = source.seek(SeekFrom::Start(0));
    first.is_empty()
}

fn not_audio(name: &str, why: &str) -> Error {
    Error::new(
        Status::Io,
        format!("{name}: {why}; voiceflow reads {SUPPORTED_FORMATS}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that panics when read once rewound, i.e. inside symphonia: a stand-in for
    /// a decoder bug, since 0.6.1 fixed the panics the fuzzer had found in 0.5.5.
    struct PanicsOnceRewound(Cursor<Vec<u8>>, bool);

    impl Read for PanicsOnceRewound {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            assert!(!self.1, "a decoder bug");
            self.0.read(buf)
        }
    }

    impl Seek for PanicsOnceRewound {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            self.1 = true;
            self.0.seek(to)
        }
    }

    impl MediaSource for PanicsOnceRewound {
        fn is_seekable(&self) -> bool {
            true
        }

        fn byte_len(&self) -> Option<u64> {
            Some(self.0.get_ref().len() as u64)
        }
    }

    #[test]
    fn a_panic_in_the_decoders_is_an_io_error_and_the_flag_is_cleared() {
        let source = PanicsOnceRewound(Cursor::new(b"RIFF\x24\0\0\0WAVEfmt ".to_vec()), false);
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        // As the CLI's hook does: quiet inside the decoders, the usual report elsewhere
        // (the tests running beside this one).
        let seen = Arc::new(AtomicBool::new(false));
        let usual: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
            Arc::from(std::panic::take_hook());
        {
            let (seen, usual) = (seen.clone(), usual.clone());
            std::panic::set_hook(Box::new(move |info| {
                if in_audio_decoder() {
                    seen.store(true, Ordering::SeqCst);
                } else {
                    usual(info);
                }
            }));
        }
        let result = decode(Box::new(source), Some("wav"), "bug.wav");
        std::panic::set_hook(Box::new(move |info| usual(info)));
        let err = result.expect_err("a panic is an error");
        assert_eq!(err.status(), Status::Io);
        assert_eq!(
            err.message(),
            "bug.wav: the decoder failed on malformed data"
        );
        assert!(seen.load(Ordering::SeqCst), "the hook saw the flag");
        assert!(!in_audio_decoder(), "cleared after");
    }
}
