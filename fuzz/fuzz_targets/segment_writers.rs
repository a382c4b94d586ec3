//! RTTM, JSON and text writers on arbitrary segments (NaN, infinities, huge ids),
//! arbitrary uris and speaker names: no panic, one line per segment, JSON that parses back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::pipeline::{to_json, to_rttm, to_text, SpeakerNames};
use voiceflow::Segment;

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    uri: String,
    /// Enrolled names, any text (the library refuses empty names and NULs, the writers
    /// must not depend on it).
    names: Vec<String>,
    segments: Vec<(u32, f64, f64)>,
}

fuzz_target!(|input: Input| {
    let segments: Vec<Segment> = input
        .segments
        .iter()
        .map(|&(speaker, start, end)| Segment {
            speaker,
            start,
            end,
        })
        .collect();
    let names = SpeakerNames::new(input.names.clone());

    let rttm = to_rttm(&input.uri, &segments, &names);
    assert_eq!(rttm.lines().count(), segments.len());
    for line in rttm.lines() {
        // Ten whitespace-separated fields, whatever the uri holds.
        assert_eq!(line.split_whitespace().count(), 10, "{line:?}");
    }

    let json = to_json(&input.uri, &segments, &names);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("writer output is JSON");
    assert_eq!(doc["uri"].as_str(), Some(input.uri.as_str()));
    assert_eq!(
        doc["segments"].as_array().map(Vec::len),
        Some(segments.len())
    );

    assert_eq!(to_text(&segments, &names).lines().count(), segments.len());
});
