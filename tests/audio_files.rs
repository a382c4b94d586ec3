//! Audio files of every supported kind decode to the samples they were made from (the
//! fixtures in tests/data/audio are cuts of the example conversation, see its README), and
//! everything else is one clear `Io` error that names the file and the supported formats.

use std::path::{Path, PathBuf};

use voiceflow::audio::{decode_audio_bytes, read_audio, DecodedAudio, SUPPORTED_FORMATS};
use voiceflow::Status;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/audio")
        .join(name)
}

fn decode(name: &str) -> DecodedAudio {
    read_audio(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// 16 kHz mono 16-bit PCM, the source of every other fixture.
fn reference() -> Vec<f32> {
    let audio = decode("ref_s16.wav");
    assert_eq!((audio.sample_rate, audio.channels), (16000, 1));
    assert_eq!(audio.samples.len(), 8000);
    audio.samples
}

/// Signal-to-noise ratio of `got` against `want` in dB, at the best shift of `got` within
/// `max_lag` samples (lossy codecs delay the signal by their frame overlap).
fn snr_db(want: &[f32], got: &[f32], max_lag: usize) -> f64 {
    let power: f64 = want.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (0..=max_lag)
        .map(|lag| {
            let noise: f64 = want
                .iter()
                .enumerate()
                .map(|(i, &w)| {
                    let g = got.get(i + lag).copied().unwrap_or(0.0);
                    (f64::from(w) - f64::from(g)).powi(2)
                })
                .sum();
            10.0 * (power / noise.max(1e-12)).log10()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn lossless_files_give_the_reference_samples() {
    let want = reference();
    // (file, largest sample error allowed): exact where the format holds 16 bits or more.
    for (name, tolerance) in [
        ("pcm_s24.wav", 1e-6),
        ("pcm_s32.wav", 1e-6),
        ("float32.wav", 1e-6),
        ("float64.wav", 1e-6),
        ("flac.flac", 1e-6),
        ("aiff.aiff", 1e-6),
        ("pcm_u8.wav", 1.0 / 128.0 + 1e-6),
    ] {
        let audio = decode(name);
        assert_eq!((audio.sample_rate, audio.channels), (16000, 1), "{name}");
        assert_eq!(audio.samples.len(), want.len(), "{name}");
        let worst = want
            .iter()
            .zip(&audio.samples)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= tolerance, "{name}: error {worst} > {tolerance}");
    }
}

#[test]
fn companded_and_lossy_files_are_close_to_the_reference() {
    let want = reference();
    // (file, least SNR in dB, longest codec delay in samples). MP3 and Vorbis come out
    // aligned (gapless decoding).
    for (name, least_snr, max_lag) in [
        ("alaw.wav", 30.0, 0),
        ("mulaw.wav", 30.0, 0),
        ("mp3.mp3", 15.0, 0),
        ("vorbis.ogg", 15.0, 0),
    ] {
        let audio = decode(name);
        assert_eq!((audio.sample_rate, audio.channels), (16000, 1), "{name}");
        let seconds = audio.duration_seconds();
        let longest = 0.515 + max_lag as f64 / 16000.0;
        assert!((0.5..=longest).contains(&seconds), "{name}: {seconds} s");
        let snr = snr_db(&want, &audio.samples, max_lag);
        assert!(snr >= least_snr, "{name}: SNR {snr:.1} dB < {least_snr}");
    }
}

#[test]
fn stereo_at_44k_keeps_its_rate_and_channels() {
    let audio = decode("stereo_44k.wav");
    assert_eq!((audio.sample_rate, audio.channels), (44100, 2));
    assert_eq!(audio.samples.len(), 2 * 22050);
    // Both channels carry the same (upmixed) signal.
    assert!(audio.samples.chunks(2).all(|frame| frame[0] == frame[1]));
    assert!(audio.samples.iter().any(|&v| v.abs() > 0.01));
}

fn io_error(result: voiceflow::Result<DecodedAudio>) -> String {
    let err = result.expect_err("must be refused");
    assert_eq!(err.status(), Status::Io, "{err}");
    assert!(!err.message().contains('\n'), "one line: {err}");
    err.message().to_string()
}

#[test]
fn mp4_is_refused_with_a_way_out() {
    // Not read at all: the MP4 reader asked for 6.7 GB for oom_mp4.m4a (4 kB; fuzzer).
    for name in ["aac.m4a", "oom_mp4.m4a"] {
        let message = io_error(read_audio(&fixture(name)));
        assert!(
            message.contains(name) && message.contains("MP4/M4A"),
            "{message}"
        );
        assert!(message.contains("ffmpeg"), "{message}");
    }
}

#[test]
fn opus_is_refused_with_a_way_out() {
    let message = io_error(read_audio(&fixture("opus.ogg")));
    assert!(
        message.contains("opus.ogg") && message.contains("Opus"),
        "{message}"
    );
    assert!(message.contains("ffmpeg"), "{message}");
}

#[test]
fn empty_missing_and_non_audio_files_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("voiceflow-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.join("notes.mp3");
    std::fs::write(&text, "these are meeting notes, not audio\n".repeat(50)).unwrap();

    let message = io_error(read_audio(&empty));
    assert!(
        message.contains("empty.wav") && message.contains("empty"),
        "{message}"
    );
    assert!(message.contains(SUPPORTED_FORMATS), "{message}");

    let message = io_error(read_audio(&text));
    assert!(message.contains("notes.mp3"), "{message}");
    assert!(message.contains(SUPPORTED_FORMATS), "{message}");

    let message = io_error(read_audio(&dir.join("absent.flac")));
    assert!(message.contains("absent.flac"), "{message}");

    let message = io_error(decode_audio_bytes(
        vec![0x52, 0x49, 0x46, 0x46, 1, 2],
        "cut.wav",
    ));
    assert!(message.starts_with("cut.wav: "), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_decoder_panic_is_contained_and_is_an_error() {
    // Found by the audio_decoder fuzzer: a WAV header declaring 0 Hz makes symphonia 0.5.5
    // panic (TimeBase::new). read_audio must turn that into an `Io` error, not unwind.
    let message = io_error(read_audio(&fixture("crash_rate0.wav")));
    assert!(message.contains("crash_rate0.wav"), "{message}");
    assert!(message.contains("malformed"), "{message}");
}

#[test]
fn headers_that_claim_gigabytes_cost_address_space_not_memory() {
    // Found by the audio_decoder fuzzer: symphonia 0.5.5 sizes a FLAC comment block from
    // its 32-bit length (up to 4 GB). With overcommit (Linux's default) that reservation is
    // never touched, because the file ends first; the decode fails there. See README,
    // Limitations.
    let name = "oom_flac.flac";
    let bytes = std::fs::read(fixture(name)).unwrap();
    assert!(bytes.len() < 8192, "{name}: a few kB");
    match decode_audio_bytes(bytes, name) {
        Ok(audio) => assert!(audio.samples.len() < 1 << 24, "{name}"),
        Err(e) => assert_eq!(e.status(), Status::Io, "{name}: {e}"),
    }
}

#[test]
fn a_truncated_file_gives_the_audio_it_holds() {
    let bytes = std::fs::read(fixture("ref_s16.wav")).unwrap();
    let header = bytes.len() - 2 * 8000;
    let half = bytes[..header + 8000].to_vec(); // the header and the first 4000 samples
    let audio = decode_audio_bytes(half, "half.wav").expect("the part that is there");
    assert_eq!(audio.samples.len(), 4000);
    assert!(
        audio.samples == reference()[..4000],
        "the samples that are there"
    );
}

#[test]
fn bytes_and_files_decode_alike() {
    for name in ["flac.flac", "mp3.mp3", "pcm_u8.wav"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        assert_eq!(
            decode_audio_bytes(bytes, name).unwrap(),
            decode(name),
            "{name}"
        );
    }
}
