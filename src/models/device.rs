//! Where models run: the device string of the configuration and the C ABI, and the report
//! of the device a model actually got.
//!
//! Forms: `cpu` (intra-op threads from the model options), `cpu:N` (N intra-op threads,
//! 1..=64), `cuda` (GPU 0), `cuda:K` (GPU K), `best` (CUDA when this build has the `cuda`
//! feature and a GPU is usable, else CPU; the choice is reported).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, Status};

/// Most intra-op threads a model may use.
pub const MAX_THREADS: usize = 64;
/// Highest GPU index accepted (CUDA numbers devices from 0).
const MAX_GPU_INDEX: u32 = 1023;

/// A requested device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// CPU with the model options' intra-op threads.
    #[default]
    Cpu,
    /// CPU with this many intra-op threads (overrides the model options).
    CpuThreads(usize),
    /// CUDA GPU by index.
    Cuda(u32),
    /// CUDA when usable, else CPU.
    Best,
}

impl Device {
    /// Whether this request may use a GPU.
    pub fn wants_gpu(self) -> bool {
        matches!(self, Device::Cuda(_) | Device::Best)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::CpuThreads(n) => write!(f, "cpu:{n}"),
            Device::Cuda(k) => write!(f, "cuda:{k}"),
            Device::Best => write!(f, "best"),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(text: &str) -> Result<Device> {
        let bad = |why: &str| {
            Error::new(
                Status::InvalidArgument,
                format!(
                    "device {text:?}: {why}; expected \"cpu\", \"cpu:N\" (N intra-op threads, \
                     1..={MAX_THREADS}), \"cuda\", \"cuda:K\" (GPU index) or \"best\""
                ),
            )
        };
        let lower = text.trim().to_ascii_lowercase();
        let (name, arg) = match lower.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (lower.as_str(), None),
        };
        // Digits only: `parse` alone would accept a leading '+'.
        let number = |arg: &str| -> Option<u64> {
            if arg.is_empty() || arg.len() > 6 || !arg.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            arg.parse().ok()
        };
        match (name, arg) {
            ("cpu", None) => Ok(Device::Cpu),
            ("cpu", Some(arg)) => match number(arg) {
                Some(n) if (1..=MAX_THREADS as u64).contains(&n) => {
                    Ok(Device::CpuThreads(n as usize))
                }
                _ => Err(bad(&format!(
                    "the thread count must be a whole number in 1..={MAX_THREADS}"
                ))),
            },
            ("cuda", None) => Ok(Device::Cuda(0)),
            ("cuda", Some(arg)) => match number(arg) {
                Some(k) if k <= u64::from(MAX_GPU_INDEX) => Ok(Device::Cuda(k as u32)),
                _ => Err(bad(&format!(
                    "the GPU index must be a whole number in 0..={MAX_GPU_INDEX}"
                ))),
            },
            ("best", None) => Ok(Device::Best),
            ("best", Some(_)) => Err(bad("\"best\" takes no index")),
            ("", _) => Err(bad("empty device")),
            _ => Err(bad("unknown device")),
        }
    }
}

/// The device a model actually runs on, decided when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    /// What the caller asked for.
    pub requested: Device,
    /// What the models run on: `"cpu"` or `"cuda:K"`.
    pub used: String,
    /// Why a GPU request runs on the CPU (`None` when it got what it asked for).
    pub fallback: Option<String>,
}

impl DeviceReport {
    /// One line for logs and the C ABI: `cuda:0`, or `cpu (fallback from cuda:0: reason)`.
    pub fn summary(&self) -> String {
        match &self.fallback {
            Some(reason) => format!("{} (fallback from {}: {reason})", self.used, self.requested),
            None => self.used.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_valid_form_parses() {
        let cases = [
            ("cpu", Device::Cpu),
            ("CPU", Device::Cpu),
            (" cpu ", Device::Cpu),
            ("cpu:1", Device::CpuThreads(1)),
            ("cpu:64", Device::CpuThreads(64)),
            ("cuda", Device::Cuda(0)),
            ("cuda:0", Device::Cuda(0)),
            ("cuda:3", Device::Cuda(3)),
            ("best", Device::Best),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Device>().unwrap(), want, "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for d in [
            Device::Cpu,
            Device::CpuThreads(4),
            Device::Cuda(2),
            Device::Best,
        ] {
            assert_eq!(d.to_string().parse::<Device>().unwrap(), d);
        }
    }

    #[test]
    fn bad_strings_are_clear_errors() {
        let cases = [
            ("gpu", "unknown device"),
            ("", "empty device"),
            ("cuda:-1", "GPU index"),
            ("cuda:x", "GPU index"),
            ("cuda:", "GPU index"),
            ("cuda:+1", "GPU index"),
            ("cuda:1.5", "GPU index"),
            ("cuda:99999999999", "GPU index"),
            ("cpu:0", "thread count"),
            ("cpu:65", "thread count"),
            ("cpu:two", "thread count"),
            ("best:1", "no index"),
            ("cuda:0:1", "GPU index"),
        ];
        for (text, why) in cases {
            let err = text.parse::<Device>().unwrap_err();
            assert_eq!(err.status(), Status::InvalidArgument, "{text}");
            assert!(err.message().contains(why), "{text}: {}", err.message());
            assert!(
                err.message().contains(&format!("{text:?}")),
                "names the input: {}",
                err.message()
            );
        }
    }

    #[test]
    fn summary_reports_fallback() {
        let plain = DeviceReport {
            requested: Device::Cuda(1),
            used: "cuda:1".into(),
            fallback: None,
        };
        assert_eq!(plain.summary(), "cuda:1");
        let fell = DeviceReport {
            requested: Device::Cuda(0),
            used: "cpu".into(),
            fallback: Some("no driver".into()),
        };
        assert_eq!(fell.summary(), "cpu (fallback from cuda:0: no driver)");
        assert!(Device::Best.wants_gpu() && !Device::CpuThreads(2).wants_gpu());
    }
}
