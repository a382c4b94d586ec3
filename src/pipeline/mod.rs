//! The streaming pipeline: push -> resample -> window -> models -> tracker -> aggregator
//! -> binarize -> segments -> poll.

mod aggregator;
mod binarize;
mod clean_speech;
pub mod clustering;
mod continuity;
mod enroll;
mod naming;
mod offline;
#[cfg(feature = "eval-oracle")]
mod oracle;
mod recording;
mod segment;
mod session;
mod stage;
mod tracker;

pub use enroll::MIN_ENROLL_SPEECH;
pub use segment::{speaker_label, to_json, to_rttm, to_text, Segment, SpeakerNames};
pub use session::{Session, SessionStats, MAX_PUSH_SAMPLES, NARROWBAND_MAX_HZ};
