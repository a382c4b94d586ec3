//! WAV decoding of arbitrary bytes: audio or an `Io` error, never a panic or a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::audio::read_wav_from;
use voiceflow::Status;

fuzz_target!(|data: &[u8]| {
    match read_wav_from(data, "fuzz.wav") {
        Ok(audio) => {
            assert!(audio.channels > 0);
            assert_eq!(audio.samples.len() % usize::from(audio.channels), 0);
        }
        Err(e) => {
            assert_eq!(e.status(), Status::Io);
            assert!(e.message().starts_with("fuzz.wav: "));
        }
    }
});
