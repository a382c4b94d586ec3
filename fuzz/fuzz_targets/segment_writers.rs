//! RTTM, JSON and text writers on arbitrary segments (NaN, infinities, huge ids) and
//! arbitrary uris: no panic, one line per segment, JSON that parses back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voiceflow::pipeline::{to_json, to_rttm, to_text};
use voiceflow::Segment;

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    uri: String,
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

    let rttm = to_rttm(&input.uri, &segments);
    assert_eq!(rttm.lines().count(), segments.len());
    for line in rttm.lines() {
        // Ten whitespace-separated fields, whatever the uri holds.
        assert_eq!(line.split_whitespace().count(), 10, "{line:?}");
    }

    let json = to_json(&input.uri, &segments);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("writer output is JSON");
    assert_eq!(doc["uri"].as_str(), Some(input.uri.as_str()));
    assert_eq!(
        doc["segments"].as_array().map(Vec::len),
        Some(segments.len())
    );

    assert_eq!(to_text(&segments).lines().count(), segments.len());
});
