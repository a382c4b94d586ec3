//! Finished speaker segments and the text formats they are written in.

use std::fmt::Write as _;

use serde::Serialize;

/// One turn of one speaker. Final once returned: it never changes afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Global speaker id, dense from 0 in order of first appearance in this stream.
    pub speaker: u32,
    /// Start, in seconds from the start of the stream.
    pub start: f64,
    /// End, in seconds from the start of the stream.
    pub end: f64,
}

impl Segment {
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

/// Cuts segments at the end of the stream (the last frame may reach past it) and drops
/// those left empty.
pub(crate) fn end_at(segments: &mut std::collections::VecDeque<Segment>, end_seconds: f64) {
    for s in segments.iter_mut() {
        s.end = s.end.min(end_seconds);
    }
    segments.retain(|s| s.end > s.start);
}

/// Label used for a speaker id in text formats.
pub fn speaker_label(speaker: u32) -> String {
    format!("SPEAKER_{speaker:02}")
}

/// Writes segments as RTTM lines (`SPEAKER <uri> 1 <start> <duration> <NA> <NA> <label>
/// <NA> <NA>`). Whitespace in `uri` would break the format, so it becomes `_`.
pub fn to_rttm(uri: &str, segments: &[Segment]) -> String {
    let uri: String = uri
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let uri = if uri.is_empty() {
        "audio".to_string()
    } else {
        uri
    };
    let mut out = String::new();
    for s in segments {
        let _ = writeln!(
            out,
            "SPEAKER {uri} 1 {:.3} {:.3} <NA> <NA> {} <NA> <NA>",
            s.start,
            s.duration(),
            speaker_label(s.speaker)
        );
    }
    out
}

/// Writes segments as a JSON document `{"uri": ..., "segments": [...]}`.
pub fn to_json(uri: &str, segments: &[Segment]) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        uri: &'a str,
        segments: Vec<JsonSegment>,
    }
    #[derive(Serialize)]
    struct JsonSegment {
        speaker: String,
        speaker_id: u32,
        start: f64,
        end: f64,
    }
    let doc = Doc {
        uri,
        segments: segments
            .iter()
            .map(|s| JsonSegment {
                speaker: speaker_label(s.speaker),
                speaker_id: s.speaker,
                start: (s.start * 1000.0).round() / 1000.0,
                end: (s.end * 1000.0).round() / 1000.0,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// Writes one human-readable line per segment.
pub fn to_text(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        let _ = writeln!(
            out,
            "{:>9.3} {:>9.3}  {}",
            s.start,
            s.end,
            speaker_label(s.speaker)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEGS: [Segment; 2] = [
        Segment {
            speaker: 0,
            start: 0.5,
            end: 1.25,
        },
        Segment {
            speaker: 11,
            start: 1.0,
            end: 3.0,
        },
    ];

    #[test]
    fn rttm_lines_are_well_formed_and_utf8_clean() {
        let text = to_rttm("réunion MÉO069", &SEGS);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "SPEAKER réunion_MÉO069 1 0.500 0.750 <NA> <NA> SPEAKER_00 <NA> <NA>"
        );
        assert_eq!(
            lines[1],
            "SPEAKER réunion_MÉO069 1 1.000 2.000 <NA> <NA> SPEAKER_11 <NA> <NA>"
        );
        for line in lines {
            assert_eq!(line.split_whitespace().count(), 10);
        }
        assert!(to_rttm("", &SEGS).starts_with("SPEAKER audio 1"));
    }

    #[test]
    fn json_round_trips() {
        let v: serde_json::Value = serde_json::from_str(&to_json("MÉO", &SEGS)).unwrap();
        assert_eq!(v["uri"], "MÉO");
        assert_eq!(v["segments"][1]["speaker_id"], 11);
        assert_eq!(v["segments"][0]["end"], 1.25);
        assert_eq!(to_text(&SEGS).lines().count(), 2);
    }
}
