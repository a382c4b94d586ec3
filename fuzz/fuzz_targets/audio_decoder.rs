//! Audio-file decoding of arbitrary bytes (every container and codec voiceflow reads):
//! audio or an `Io` error, never a panic or a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::audio::decode_audio_bytes;
use voiceflow::Status;

fuzz_target!(
    init: {
        // libFuzzer's hook aborts on every panic, even a caught one. Panics inside the
        // symphonia decoders (an upstream bug class: 0.5.5 had a 0 Hz WAV header and a
        // zero ADTS step, fixed in 0.6.1) are contained by the library and must come back
        // as `Io` errors, which the body checks; any other panic still aborts.
        let libfuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !voiceflow::audio::in_audio_decoder() {
                libfuzzer_hook(info);
            }
        }));
    },
    |data: &[u8]| {
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
    }
);
