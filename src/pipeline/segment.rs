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

/// Label of a speaker id that has no name: `SPEAKER_NN`.
pub fn speaker_label(speaker: u32) -> String {
    format!("SPEAKER_{speaker:02}")
}

/// How the writers label speaker ids: the enrolled speakers' names for ids 0..K (the
/// session's [`Session::speaker_name`](crate::Session::speaker_name)), [`speaker_label`]
/// for the rest. The default names nobody.
#[derive(Debug, Clone, Default)]
pub struct SpeakerNames(Vec<String>);

impl SpeakerNames {
    /// `names[k]` is id k's name.
    pub fn new(names: Vec<String>) -> SpeakerNames {
        SpeakerNames(names)
    }

    /// Id `speaker`'s name, else `SPEAKER_NN`.
    pub fn label(&self, speaker: u32) -> String {
        self.0
            .get(speaker as usize)
            .cloned()
            .unwrap_or_else(|| speaker_label(speaker))
    }
}

/// `text` as one RTTM field: fields are whitespace-separated, so whitespace and control
/// characters become `_` (and nothing at all a lone `_`).
fn rttm_field(text: &str) -> String {
    let field: String = text
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if field.is_empty() {
        "_".into()
    } else {
        field
    }
}

/// Writes segments as RTTM lines (`SPEAKER <uri> 1 <start> <duration> <NA> <NA> <label>
/// <NA> <NA>`). Whitespace in `uri` or a name would break the format, so it becomes `_`.
pub fn to_rttm(uri: &str, segments: &[Segment], names: &SpeakerNames) -> String {
    let uri = if uri.is_empty() {
        "audio".to_string()
    } else {
        rttm_field(uri)
    };
    let mut out = String::new();
    for s in segments {
        let _ = writeln!(
            out,
            "SPEAKER {uri} 1 {:.3} {:.3} <NA> <NA> {} <NA> <NA>",
            s.start,
            s.duration(),
            rttm_field(&names.label(s.speaker))
        );
    }
    out
}

/// Writes segments as a JSON document `{"uri": ..., "segments": [...]}`; each segment's
/// `speaker` is its label (a name or `SPEAKER_NN`), `speaker_id` its id.
pub fn to_json(uri: &str, segments: &[Segment], names: &SpeakerNames) -> String {
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
                speaker: names.label(s.speaker),
                speaker_id: s.speaker,
                start: (s.start * 1000.0).round() / 1000.0,
                end: (s.end * 1000.0).round() / 1000.0,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// Writes one human-readable line per segment.
pub fn to_text(segments: &[Segment], names: &SpeakerNames) -> String {
    let mut out = String::new();
    for s in segments {
        let _ = writeln!(
            out,
            "{:>9.3} {:>9.3}  {}",
            s.start,
            s.end,
            names.label(s.speaker).replace(char::is_control, " ")
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
        let text = to_rttm("réunion MÉO069", &SEGS, &SpeakerNames::default());
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
        assert!(to_rttm("", &SEGS, &SpeakerNames::default()).starts_with("SPEAKER audio 1"));
    }

    #[test]
    fn json_round_trips() {
        let v: serde_json::Value =
            serde_json::from_str(&to_json("MÉO", &SEGS, &SpeakerNames::default())).unwrap();
        assert_eq!(v["uri"], "MÉO");
        assert_eq!(v["segments"][1]["speaker_id"], 11);
        assert_eq!(v["segments"][0]["end"], 1.25);
        assert_eq!(to_text(&SEGS, &SpeakerNames::default()).lines().count(), 2);
    }

    #[test]
    fn enrolled_names_label_their_ids_in_every_format() {
        let names = SpeakerNames::new(vec!["Alice Smith".into()]);
        let rttm = to_rttm("m", &SEGS, &names);
        assert!(rttm.starts_with("SPEAKER m 1 0.500 0.750 <NA> <NA> Alice_Smith <NA>"));
        assert!(rttm.lines().nth(1).unwrap().contains(" SPEAKER_11 "));
        let v: serde_json::Value = serde_json::from_str(&to_json("m", &SEGS, &names)).unwrap();
        assert_eq!(v["segments"][0]["speaker"], "Alice Smith");
        assert_eq!(v["segments"][0]["speaker_id"], 0);
        assert_eq!(v["segments"][1]["speaker"], "SPEAKER_11");
        assert!(to_text(&SEGS, &names)
            .lines()
            .next()
            .unwrap()
            .ends_with("  Alice Smith"));
    }
}
