//! Audio-file decoding of arbitrary bytes (every container and codec voiceflow reads):
//! audio or an `Io` error, never a panic or a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::audio::decode_audio_bytes;
use voiceflow::Status;

fuzz_target!(|data: &[u8]| {
    match decode_audio_bytes(data.to_vec(), "fuzz.bin") {
        Ok(audio) => {
            assert!(audio.channels > 0 && audio.sample_rate > 0);
            assert_eq!(audio.samples.len() % usize::from(audio.channels), 0);
        }
        Err(e) => {
            assert_eq!(e.status(), Status::Io);
            assert!(e.message().starts_with("fuzz.bin: "));
        }
    }
});
