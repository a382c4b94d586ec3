//! The progress bar on stderr: audio done, speed in × real time, and ETA. Drawn only on a
//! terminal, so logs and pipes stay clean.

use std::io::{self, IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressState, ProgressStyle};

/// Progress through `total` interleaved samples, counted in milliseconds of audio so that
/// indicatif's rate is directly audio per wall-clock second.
pub struct Progress {
    bar: ProgressBar,
    /// Interleaved samples per second of audio (sample rate × channels).
    samples_per_second: u64,
    pushed: u64,
}

impl Progress {
    /// A bar labelled `what`, shown when `show` and stderr is a terminal.
    pub fn new(
        what: &'static str,
        total: u64,
        sample_rate: u32,
        channels: u16,
        show: bool,
    ) -> Self {
        let target = if show && io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(what, total, sample_rate, channels, target)
    }

    fn with_target(
        what: &'static str,
        total: u64,
        sample_rate: u32,
        channels: u16,
        target: ProgressDrawTarget,
    ) -> Self {
        let samples_per_second = (u64::from(sample_rate) * u64::from(channels.max(1))).max(1);
        let style = ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {audio} · {speed} · ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key("audio", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let len = s.len().unwrap_or(0);
            let _ = write!(w, "{} / {}", clock(s.pos()), clock(len));
        })
        .with_key("speed", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&speed(s.per_sec()));
        });
        let length = millis(total, samples_per_second);
        let bar = ProgressBar::with_draw_target(Some(length), target)
            .with_style(style)
            .with_prefix(what)
            // An early return (an error, a closed pipe) must not leave a stale bar above
            // the error message.
            .with_finish(ProgressFinish::AndClear);
        Progress {
            bar,
            samples_per_second,
            pushed: 0,
        }
    }

    /// Counts `samples` more interleaved samples as pushed. The position is derived from
    /// the running total, so that no rounding accumulates and the end is the length.
    pub fn advance(&mut self, samples: usize) {
        self.pushed += samples as u64;
        self.bar
            .set_position(millis(self.pushed, self.samples_per_second));
    }

    /// Runs `f` (which writes to the terminal) with the bar cleared, then redraws it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }
}

/// Milliseconds of audio in `samples` interleaved samples.
fn millis(samples: u64, samples_per_second: u64) -> u64 {
    (u128::from(samples) * 1000 / u128::from(samples_per_second)) as u64
}

/// `m:ss` (or `h:mm:ss`) of a position in milliseconds.
fn clock(millis: u64) -> String {
    let s = millis / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Speed from indicatif's rate (milliseconds of audio per second).
fn speed(millis_per_second: f64) -> String {
    let x = millis_per_second / 1000.0;
    if x.is_finite() && x > 0.0 {
        format!("{x:.1}× real time")
    } else {
        // Before the first push there is no rate yet.
        "–× real time".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(total: u64, rate: u32, channels: u16) -> Progress {
        Progress::with_target("test", total, rate, channels, ProgressDrawTarget::hidden())
    }

    #[test]
    fn position_reaches_the_duration_in_audio_milliseconds() {
        // 57.0 s of stereo 44.1 kHz in 100 ms chunks, with a short last chunk.
        let total = 57 * 44_100 * 2 + 1_234;
        let mut p = hidden(total, 44_100, 2);
        assert_eq!(p.bar.length(), Some(57_013));
        let chunk = 4_410 * 2;
        let mut pushed = 0;
        while pushed < total {
            let take = chunk.min(total - pushed);
            p.advance(take as usize);
            pushed += take;
            if pushed == 10 * chunk {
                assert_eq!(p.bar.position(), 1_000);
            }
        }
        assert_eq!(p.bar.position(), p.bar.length().unwrap());
    }

    #[test]
    fn hidden_when_stderr_is_not_asked_for() {
        assert!(Progress::new("test", 16_000, 16_000, 1, false)
            .bar
            .is_hidden());
    }

    #[test]
    fn labels() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(57_013), "0:57");
        assert_eq!(clock(61_000), "1:01");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(speed(8_460.0), "8.5× real time");
        assert_eq!(speed(0.0), "–× real time");
        assert_eq!(speed(f64::INFINITY), "–× real time");
    }
}
