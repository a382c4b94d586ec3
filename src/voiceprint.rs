//! Voiceprints: a speaker's voice as the embedding model sees it, kept between sessions.
//!
//! A [`Voiceprint`] holds the unit centroid of a speaker's voiceprints, the embedding
//! model that made it (name and version: vectors of two models cannot be compared), the
//! seconds of speech behind it and an optional name. It is read from a session
//! ([`Session::voiceprint`](crate::Session::voiceprint)), made from audio
//! ([`Voiceprint::from_audio`]), and enrolled into a [`Config`](crate::Config) so that a
//! later session reports that speaker under a fixed id and its name.
//!
//! Two encodings, one content (README, section Voiceprints):
//! - **bytes** ([`Voiceprint::to_bytes`]), for C callers: little-endian, exact length.
//!
//!   | bytes | field |
//!   |---|---|
//!   | 4 | magic `VFVP` |
//!   | 2 | format version, 1 |
//!   | 2 | dimension D (1..=4096) |
//!   | 4 | seconds of speech (f32) |
//!   | 1 + n | model name: length n (1..=255), UTF-8 |
//!   | 1 + n | model version: length n (0..=255), UTF-8 |
//!   | 1 + n | speaker name: length n (0..=255; 0 = none), UTF-8 |
//!   | 4 D | the unit vector (f32) |
//! - **JSON** ([`Voiceprint::to_json`]), for files: `{"format": "voiceflow.voiceprint",
//!   "version": 1, "model": {"name", "version"}, "name", "speech_seconds", "dim",
//!   "vector"}`; `name` may be `null`.
//!
//! Every way in checks the same rules ([`Voiceprint::new`]), so a truncated file, NaN in
//! the vector or a wrong dimension is an error naming the cause, never a voiceprint.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Status};
use crate::models::contract::EmbeddingContract;

/// Version of both encodings written by this library (and the only one it reads).
pub const VOICEPRINT_FORMAT_VERSION: u16 = 1;
/// Longest vector accepted.
pub const MAX_VOICEPRINT_DIM: usize = 4096;
/// Longest model name, model version or speaker name, in UTF-8 bytes.
pub const MAX_VOICEPRINT_TEXT: usize = 255;
const MAGIC: &[u8; 4] = b"VFVP";
const JSON_FORMAT: &str = "voiceflow.voiceprint";
/// How far from 1 the vector's length may be (rounding in files written by others).
const UNIT_TOLERANCE: f32 = 1e-3;

/// One speaker's voiceprint; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
pub struct Voiceprint {
    model: String,
    model_version: String,
    vector: Vec<f32>,
    speech_seconds: f32,
    name: Option<String>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArgument, message)
}

fn check_text(what: &str, text: &str, allow_empty: bool) -> Result<()> {
    if text.len() > MAX_VOICEPRINT_TEXT {
        return Err(invalid(format!(
            "voiceprint {what} is {} bytes long, more than {MAX_VOICEPRINT_TEXT}",
            text.len()
        )));
    }
    if text.contains(char::is_control) {
        return Err(invalid(format!(
            "voiceprint {what} contains a control character (NUL, newline, tab, ...)"
        )));
    }
    if !allow_empty && text.trim().is_empty() {
        return Err(invalid(format!("voiceprint {what} is empty")));
    }
    Ok(())
}

impl Voiceprint {
    /// A voiceprint of `vector` (a unit vector: length within 0.001 of 1) from the embedding
    /// model `model` at `model_version`, heard for `speech_seconds`. Refuses NaN or
    /// infinite values, an empty or over-long vector, a vector that is not unit length,
    /// negative speech, and texts that are empty (the version may be), over 255 bytes or hold
    /// a control character.
    pub fn new(
        model: &str,
        model_version: &str,
        vector: Vec<f32>,
        speech_seconds: f32,
        name: Option<&str>,
    ) -> Result<Voiceprint> {
        check_text("model name", model, false)?;
        check_text("model version", model_version, true)?;
        if let Some(name) = name {
            check_text("name", name, false)?;
        }
        if vector.is_empty() || vector.len() > MAX_VOICEPRINT_DIM {
            return Err(invalid(format!(
                "voiceprint dimension {} must be in 1..={MAX_VOICEPRINT_DIM}",
                vector.len()
            )));
        }
        if let Some(i) = vector.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!(
                "voiceprint vector element {i} is {} (must be finite)",
                vector[i]
            )));
        }
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        if (norm - 1.0).abs() > UNIT_TOLERANCE {
            return Err(invalid(format!(
                "voiceprint vector has length {norm}, not 1 (a unit vector is required)"
            )));
        }
        if !(speech_seconds.is_finite() && speech_seconds >= 0.0) {
            return Err(invalid(format!(
                "voiceprint speech_seconds {speech_seconds} must be finite and >= 0"
            )));
        }
        Ok(Voiceprint {
            model: model.to_owned(),
            model_version: model_version.to_owned(),
            vector,
            speech_seconds,
            name: name.map(str::to_owned),
        })
    }

    /// Name of the embedding model that made the vector.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Version of that model.
    pub fn model_version(&self) -> &str {
        &self.model_version
    }

    /// The unit vector.
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }

    /// Dimension of the vector.
    pub fn dim(&self) -> usize {
        self.vector.len()
    }

    /// Seconds of speech the vector was computed from.
    pub fn speech_seconds(&self) -> f32 {
        self.speech_seconds
    }

    /// The speaker's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Gives the voiceprint a name (`None` removes it); the rules of [`Voiceprint::new`].
    pub fn set_name(&mut self, name: Option<&str>) -> Result<()> {
        if let Some(name) = name {
            check_text("name", name, false)?;
        }
        self.name = name.map(str::to_owned);
        Ok(())
    }

    /// Whether the vector can be compared with those of the embedding model `contract`
    /// describes: same model name, version and dimension. The error names both models.
    pub fn check_model(&self, contract: &EmbeddingContract) -> Result<()> {
        let theirs = &contract.provenance;
        if self.model != theirs.name
            || self.model_version != theirs.version
            || self.dim() != contract.embedding_dim
        {
            return Err(invalid(format!(
                "voiceprint{} was made by embedding model {:?} {:?} ({} dimensions); this \
                 model is {:?} {:?} ({} dimensions): voiceprints of different models \
                 cannot be compared, make it again with this model",
                self.name
                    .as_deref()
                    .map(|n| format!(" {n:?}"))
                    .unwrap_or_default(),
                self.model,
                self.model_version,
                self.dim(),
                theirs.name,
                theirs.version,
                contract.embedding_dim
            )));
        }
        Ok(())
    }

    /// The byte encoding (see the [module documentation](self)).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.byte_len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VOICEPRINT_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.dim() as u16).to_le_bytes());
        out.extend_from_slice(&self.speech_seconds.to_le_bytes());
        for text in [&self.model, &self.model_version] {
            out.push(text.len() as u8);
            out.extend_from_slice(text.as_bytes());
        }
        let name = self.name.as_deref().unwrap_or("");
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        for v in &self.vector {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Length of [`Voiceprint::to_bytes`]'s result.
    pub fn byte_len(&self) -> usize {
        12 + 3
            + self.model.len()
            + self.model_version.len()
            + self.name.as_deref().map_or(0, str::len)
            + 4 * self.dim()
    }

    /// Reads the byte encoding; the whole of `bytes` must be one voiceprint.
    pub fn from_bytes(bytes: &[u8]) -> Result<Voiceprint> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(invalid(
                "not a voiceprint: the bytes do not start with \"VFVP\"",
            ));
        }
        let version = u16::from_le_bytes(r.array()?);
        if version != VOICEPRINT_FORMAT_VERSION {
            return Err(invalid(format!(
                "voiceprint format version {version} is not supported (this library reads \
                 version {VOICEPRINT_FORMAT_VERSION})"
            )));
        }
        let dim = u16::from_le_bytes(r.array()?) as usize;
        let speech = f32::from_le_bytes(r.array()?);
        let model = r.text("model name")?;
        let model_version = r.text("model version")?;
        let name = r.text("name")?;
        let vector = r
            .take(4 * dim)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if r.at != bytes.len() {
            return Err(invalid(format!(
                "voiceprint has {} bytes after its end (length {}, expected {})",
                bytes.len() - r.at,
                bytes.len(),
                r.at
            )));
        }
        let name = (!name.is_empty()).then_some(name);
        Voiceprint::new(model, model_version, vector, speech, name)
    }

    /// The JSON encoding (see the [module documentation](self)).
    pub fn to_json(&self) -> String {
        let file = JsonVoiceprint {
            format: JSON_FORMAT.into(),
            version: VOICEPRINT_FORMAT_VERSION,
            model: JsonModel {
                name: self.model.clone(),
                version: self.model_version.clone(),
            },
            name: self.name.clone(),
            speech_seconds: self.speech_seconds,
            dim: self.dim(),
            vector: self.vector.clone(),
        };
        // Serialising plain strings and finite numbers cannot fail.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Reads the JSON encoding.
    pub fn from_json(text: &str) -> Result<Voiceprint> {
        let file: JsonVoiceprint = serde_json::from_str(text)
            .map_err(|e| invalid(format!("not a voiceprint JSON file: {e}")))?;
        if file.format != JSON_FORMAT {
            return Err(invalid(format!(
                "not a voiceprint: \"format\" is {:?}, expected {JSON_FORMAT:?}",
                file.format
            )));
        }
        if file.version != VOICEPRINT_FORMAT_VERSION {
            return Err(invalid(format!(
                "voiceprint format version {} is not supported (this library reads \
                 version {VOICEPRINT_FORMAT_VERSION})",
                file.version
            )));
        }
        if file.dim != file.vector.len() {
            return Err(invalid(format!(
                "voiceprint \"dim\" is {} but its vector has {} values",
                file.dim,
                file.vector.len()
            )));
        }
        Voiceprint::new(
            &file.model.name,
            &file.model.version,
            file.vector,
            file.speech_seconds,
            file.name.as_deref(),
        )
    }
}

impl Voiceprint {
    /// Reads a voiceprint JSON file ([`Voiceprint::to_json`]). A file that cannot be read
    /// is `Status::Io`; one that is not a valid voiceprint is `Status::InvalidArgument`;
    /// both messages name the file.
    pub fn read_json_file(path: &Path) -> Result<Voiceprint> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                Status::Io,
                format!("voiceprint file {}: {e}", path.display()),
            )
        })?;
        Voiceprint::from_json(&text).map_err(|e| {
            invalid(format!(
                "voiceprint file {}: {}",
                path.display(),
                e.message()
            ))
        })
    }

    /// Writes the voiceprint as a JSON file (replacing it); `Status::Io` names the file.
    pub fn write_json_file(&self, path: &Path) -> Result<()> {
        std::fs::write(path, format!("{}\n", self.to_json())).map_err(|e| {
            Error::new(
                Status::Io,
                format!("voiceprint file {}: {e}", path.display()),
            )
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonModel {
    name: String,
    version: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonVoiceprint {
    format: String,
    version: u16,
    model: JsonModel,
    name: Option<String>,
    speech_seconds: f32,
    dim: usize,
    vector: Vec<f32>,
}

/// Reads the byte encoding front to back; running out is a "truncated" error.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let piece = self.bytes.get(self.at..self.at + n).ok_or_else(|| {
            invalid(format!(
                "voiceprint is truncated: {} bytes, more expected after byte {}",
                self.bytes.len(),
                self.at
            ))
        })?;
        self.at += n;
        Ok(piece)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn text(&mut self, what: &str) -> Result<&'a str> {
        let len = self.take(1)?[0] as usize;
        std::str::from_utf8(self.take(len)?)
            .map_err(|_| invalid(format!("voiceprint {what} is not valid UTF-8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dim: usize) -> Vec<f32> {
        let v = 1.0 / (dim as f32).sqrt();
        vec![v; dim]
    }

    fn alice() -> Voiceprint {
        Voiceprint::new("campplus", "1.0", unit(192), 8.5, Some("Alice")).unwrap()
    }

    #[test]
    fn bytes_and_json_round_trip_exactly() {
        let mut v = alice();
        assert_eq!(Voiceprint::from_bytes(&v.to_bytes()).unwrap(), v);
        assert_eq!(Voiceprint::from_json(&v.to_json()).unwrap(), v);
        assert_eq!(v.to_bytes().len(), v.byte_len());
        v.set_name(None).unwrap();
        assert_eq!(Voiceprint::from_bytes(&v.to_bytes()).unwrap().name(), None);
        assert_eq!(Voiceprint::from_json(&v.to_json()).unwrap().name(), None);
    }

    #[test]
    fn every_truncation_and_any_trailing_byte_is_refused() {
        let bytes = alice().to_bytes();
        for len in 0..bytes.len() {
            let e = Voiceprint::from_bytes(&bytes[..len]).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Voiceprint::from_bytes(&longer)
            .unwrap_err()
            .message()
            .contains("after its end"));
    }

    #[test]
    fn bad_vectors_and_texts_are_refused_with_the_cause() {
        let mut nan = unit(4);
        nan[2] = f32::NAN;
        let cases: Vec<(Result<Voiceprint>, &str)> = vec![
            (Voiceprint::new("m", "1", nan, 1.0, None), "element 2"),
            (Voiceprint::new("m", "1", vec![], 1.0, None), "dimension 0"),
            (Voiceprint::new("m", "1", vec![0.6; 4], 1.0, None), "unit"),
            (
                Voiceprint::new("m", "1", unit(4), -1.0, None),
                "speech_seconds",
            ),
            (
                Voiceprint::new("", "1", unit(4), 1.0, None),
                "model name is empty",
            ),
            (
                Voiceprint::new("m", "1", unit(4), 1.0, Some(" ")),
                "name is empty",
            ),
            (
                Voiceprint::new("m", "1", unit(4), 1.0, Some(&"x".repeat(256))),
                "256 bytes",
            ),
            (Voiceprint::new("m", "1", unit(4), 1.0, Some("a\0b")), "NUL"),
            (
                Voiceprint::new("m", "1", unit(4), 1.0, Some("a\nb")),
                "control",
            ),
        ];
        for (result, cause) in cases {
            let e = result.unwrap_err();
            assert!(e.message().contains(cause), "{}", e.message());
        }
    }

    #[test]
    fn nan_written_into_the_bytes_is_refused() {
        let mut bytes = alice().to_bytes();
        let last = bytes.len() - 4;
        bytes[last..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Voiceprint::from_bytes(&bytes)
            .unwrap_err()
            .message()
            .contains("must be finite"));
    }

    #[test]
    fn other_formats_and_versions_are_refused() {
        assert!(Voiceprint::from_bytes(b"RIFF....")
            .unwrap_err()
            .message()
            .contains("VFVP"));
        let mut bytes = alice().to_bytes();
        bytes[4] = 2;
        assert!(Voiceprint::from_bytes(&bytes)
            .unwrap_err()
            .message()
            .contains("version 2"));
        let json = alice().to_json();
        for (from, to, cause) in [
            ("\"dim\": 192", "\"dim\": 191", "191"),
            ("voiceflow.voiceprint", "other", "\"format\""),
            ("\"version\": 1,", "\"version\": 9,", "version 9"),
            (
                "\"speech_seconds\"",
                "\"extra\": 1, \"speech_seconds\"",
                "extra",
            ),
        ] {
            let e = Voiceprint::from_json(&json.replacen(from, to, 1)).unwrap_err();
            assert!(e.message().contains(cause), "{}", e.message());
        }
        assert!(Voiceprint::from_json(&json[..json.len() / 2]).is_err());
    }

    #[test]
    fn a_voiceprint_of_another_model_is_refused_naming_both() {
        let contract = |name: &str, version: &str, dim: usize| EmbeddingContract {
            embedding_dim: dim,
            delta_new: None,
            cluster_threshold: None,
            cluster_count: None,
            narrowband: Default::default(),
            window_samples: 48_000,
            min_samples: 8_000,
            provenance: crate::models::contract::Provenance {
                name: name.into(),
                version: version.into(),
            },
        };
        let v = alice();
        v.check_model(&contract("campplus", "1.0", 192)).unwrap();
        for other in [
            contract("ge2e", "1.0", 192),
            contract("campplus", "1.1", 192),
            contract("campplus", "1.0", 256),
        ] {
            let e = v.check_model(&other).unwrap_err();
            assert!(
                e.message().contains("\"campplus\" \"1.0\""),
                "{}",
                e.message()
            );
            assert!(e.message().contains("cannot be compared"));
        }
    }
}
