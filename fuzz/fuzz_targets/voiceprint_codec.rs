//! The voiceprint decoders (the byte encoding of `vf_voiceprint_from_bytes` and the JSON
//! files of `voiceflow enroll`) on arbitrary input: a voiceprint or an error, never a
//! panic; whatever decodes is a valid voiceprint (finite unit vector) whose encodings read
//! back to the same voiceprint, and the byte encoding is canonical (the input itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::Voiceprint;

fn check(v: &Voiceprint) {
    assert!(v.vector().iter().all(|x| x.is_finite()));
    let norm: f32 = v.vector().iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() <= 1e-3, "{norm}");
    let bytes = v.to_bytes();
    assert_eq!(bytes.len(), v.byte_len());
    assert_eq!(
        &Voiceprint::from_bytes(&bytes).expect("own bytes read back"),
        v
    );
    assert_eq!(
        &Voiceprint::from_json(&v.to_json()).expect("own JSON reads back"),
        v
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = Voiceprint::from_bytes(data) {
        check(&v);
        assert_eq!(v.to_bytes(), data, "one encoding per voiceprint");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = Voiceprint::from_json(text) {
            check(&v);
        }
    }
});
