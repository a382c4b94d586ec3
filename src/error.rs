//! Errors of the safe API and the stable status codes they map to at the C boundary.

use std::ffi::CStr;
use std::fmt;

/// Stable result codes. `0` is success, errors are negative. Codes are never renumbered
/// or reused: new errors get new numbers.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = -1,
    /// An argument was out of range or malformed (e.g. a channel count of 0).
    InvalidArgument = -2,
    /// A configuration field holds an invalid value; the message names the field.
    InvalidConfig = -3,
    /// ONNX Runtime could not be loaded, or is too old.
    RuntimeUnavailable = -4,
    /// A model file is missing, unreadable, or breaks the model contract.
    Model = -5,
    /// ONNX Runtime failed while running a model.
    Inference = -6,
    /// Audio samples contain NaN or infinite values (nothing was consumed), or hold too
    /// little speech for a voiceprint.
    InvalidAudio = -7,
    /// The sample rate is outside 8000..=192000 Hz or changed mid-stream.
    UnsupportedSampleRate = -8,
    /// The call is not allowed in the object's current state (e.g. push after flush).
    InvalidState = -9,
    /// A panic was caught inside the library; the object it happened in is unusable.
    Internal = -10,
    /// A file could not be read or written.
    Io = -11,
    /// The requested device (e.g. a CUDA GPU) cannot be used and CPU fallback was not
    /// allowed; the message names the cause.
    DeviceUnavailable = -12,
    /// An offline or refining session has taken as much audio as it may keep (its
    /// `max_offline_audio`); nothing of the push was consumed, flush for the answer.
    LimitReached = -13,
}

impl Status {
    /// Short static description of the status, the text of `vf_status_str`.
    pub fn description(self) -> &'static str {
        self.description_c().to_str().unwrap_or("")
    }

    /// [`Status::description`] as a C string.
    pub fn description_c(self) -> &'static CStr {
        match self {
            Status::Ok => c"ok",
            Status::NullPointer => c"a required pointer argument was NULL",
            Status::InvalidArgument => c"invalid argument",
            Status::InvalidConfig => c"invalid configuration value",
            Status::RuntimeUnavailable => c"ONNX Runtime is unavailable or too old",
            Status::Model => c"model file missing, unreadable or not matching the model contract",
            Status::Inference => c"model inference failed",
            Status::InvalidAudio => {
                c"invalid audio: NaN or infinite samples, or too little speech for a voiceprint"
            }
            Status::UnsupportedSampleRate => c"unsupported or changed sample rate",
            Status::InvalidState => c"call not allowed in the current state",
            Status::Internal => c"internal error (caught panic); the object is unusable",
            Status::Io => c"input/output error",
            Status::DeviceUnavailable => {
                c"requested device unavailable (and CPU fallback not allowed)"
            }
            Status::LimitReached => {
                c"the session's offline audio limit is reached; nothing was consumed"
            }
        }
    }

    /// Every status, in code order; used by tests and bindings.
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::NullPointer,
        Status::InvalidArgument,
        Status::InvalidConfig,
        Status::RuntimeUnavailable,
        Status::Model,
        Status::Inference,
        Status::InvalidAudio,
        Status::UnsupportedSampleRate,
        Status::InvalidState,
        Status::Internal,
        Status::Io,
        Status::DeviceUnavailable,
        Status::LimitReached,
    ];

    /// The status with the given code, if any.
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.into_iter().find(|s| *s as i32 == code)
    }
}

/// Error of every fallible voiceflow operation: a status plus a message that says what was
/// wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with a status and a detailed message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        debug_assert!(status != Status::Ok);
        Error {
            status,
            message: message.into(),
        }
    }

    /// Invalid configuration: `field` names the offending field.
    pub(crate) fn config(field: &str, message: impl fmt::Display) -> Self {
        Error::new(Status::InvalidConfig, format!("config.{field}: {message}"))
    }

    pub(crate) fn model(path: &std::path::Path, message: impl fmt::Display) -> Self {
        Error::new(
            Status::Model,
            format!("model {}: {message}", path.display()),
        )
    }

    pub(crate) fn device(message: impl fmt::Display) -> Self {
        Error::new(Status::DeviceUnavailable, message.to_string())
    }

    pub(crate) fn inference(what: &str, err: impl fmt::Display) -> Self {
        Error::new(Status::Inference, format!("{what}: {err}"))
    }

    /// The stable status code of this error.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The detailed message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status.description())
    }
}

impl std::error::Error for Error {}

/// Result of every fallible voiceflow operation.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_unique() {
        let codes: Vec<i32> = Status::ALL.iter().map(|s| *s as i32).collect();
        assert_eq!(codes, (0..14).map(|i| -i).collect::<Vec<_>>());
        for s in Status::ALL {
            assert_eq!(Status::from_code(s as i32), Some(s));
            assert!(!s.description().is_empty());
        }
        assert_eq!(Status::from_code(1), None);
    }

    #[test]
    fn config_errors_name_the_field() {
        let e = Error::config("step", "must be > 0");
        assert_eq!(e.status(), Status::InvalidConfig);
        assert!(e.message().contains("config.step"));
    }
}
