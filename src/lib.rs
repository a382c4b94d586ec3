//! # voiceflow
//!
//! Embeddable, streaming speaker diarization ("who spoke when").
//!
//! A [`Model`] (ONNX models run by ONNX Runtime) is loaded once and shared by any number
//! of [`Session`]s, one per audio stream. Push audio as it arrives, poll final
//! [`Segment`]s, flush at the end:
//!
//! ```no_run
//! use std::sync::Arc;
//! use voiceflow::{Config, Model, ModelOptions, Session};
//!
//! let model = Arc::new(Model::open(&ModelOptions::default())?);
//! let mut session = Session::new(model, Config::default())?;
//! let audio = vec![0.0f32; 48_000];            // 1 s of 48 kHz mono
//! session.push(&audio, 48_000, 1)?;
//! for seg in session.poll() {
//!     println!("speaker {} from {:.2} s to {:.2} s", seg.speaker, seg.start, seg.end);
//! }
//! session.flush()?;
//! let rest = session.poll();
//! # Ok::<(), voiceflow::Error>(())
//! ```
//!
//! The C ABI (`include/voiceflow.h`) is a thin layer over this API in [`capi`].

pub mod audio;
pub mod capi;
pub mod config;
pub mod error;
pub mod gpu;
pub mod models;
pub mod pipeline;
pub mod runtime;
pub mod voiceprint;

pub use config::{Config, Mode};
pub use voiceprint::Voiceprint;

// The README's Rust snippet runs as a doctest (the other snippets: `make test-readme`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use error::{Error, Result, Status};
pub use models::{Model, ModelOptions};
pub use pipeline::{Segment, Session, SessionStats, NARROWBAND_MAX_HZ};

/// Version of this library (`major.minor.patch`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
