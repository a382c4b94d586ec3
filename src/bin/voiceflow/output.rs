//! Everything the CLI writes goes through here, so that a closed pipe or a full disk ends
//! the run with an exit code and (at most) one line, never a panic from `print!`.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use voiceflow::pipeline::{to_json, to_rttm, to_text, SpeakerNames};
use voiceflow::Segment;

use crate::progress::Progress;
use crate::Format;

/// Exit code when the reader of stdout went away (`voiceflow ... | head -1`): 128 + SIGPIPE,
/// what a shell shows for a process the signal killed, so pipelines treat us like `cat`.
/// Rust ignores SIGPIPE, so the closed pipe reaches us as an `EPIPE` write error instead.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Why a command failed; [`Failure::exit`] reports it and picks the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The engine, the input or the arguments (exit 1).
    Engine(voiceflow::Error),
    /// Writing stdout failed (exit 1, or [`EXIT_BROKEN_PIPE`] silently when the reader left).
    Output(io::Error),
    /// Drawing or writing the `--plot` file failed (exit 1).
    Plot(String),
}

impl From<voiceflow::Error> for Failure {
    fn from(e: voiceflow::Error) -> Self {
        Failure::Engine(e)
    }
}

impl Failure {
    pub fn exit(self) -> ExitCode {
        match self {
            // Whoever closed the pipe asked for no more; a message would only be noise
            // (`voiceflow ... | head` is a normal thing to do).
            Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                ExitCode::from(EXIT_BROKEN_PIPE)
            }
            Failure::Output(e) => {
                warn(format_args!("cannot write output: {e}"));
                ExitCode::from(1)
            }
            Failure::Engine(e) => {
                warn(format_args!("{e}"));
                ExitCode::from(1)
            }
            Failure::Plot(e) => {
                warn(format_args!("{e}"));
                ExitCode::from(1)
            }
        }
    }
}

/// Prints clap's answer (help and version on stdout, usage errors on stderr) and gives its
/// exit code; `Cli::parse` would do the same but ignore a failing stdout.
pub fn clap_exit(e: &clap::Error) -> ExitCode {
    match e.print() {
        Err(io) if !e.use_stderr() => Failure::Output(io).exit(),
        // A usage error stays a usage error (2) even if stderr cannot show it.
        _ => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
    }
}

/// One `voiceflow: ...` line on stderr. A failing stderr is ignored: there is nobody left
/// to tell, and `eprintln!` would panic instead.
pub fn warn(message: fmt::Arguments) {
    let _ = writeln!(io::stderr().lock(), "voiceflow: {message}");
}

/// Writes `text` to stdout and flushes it, so that a failure surfaces here and not in the
/// flush at exit, where it would be lost.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::Output)
}

/// `diarize`'s result on stdout. Text and RTTM lines go out as soon as the session
/// returns them (a streaming run shows its turns while it runs, and a closed pipe stops
/// the work at once); JSON is one document, written by [`Segments::finish`].
pub struct Segments {
    format: Format,
    uri: String,
    names: SpeakerNames,
    all: Vec<Segment>,
}

impl Segments {
    pub fn new(format: Format, uri: String, names: SpeakerNames) -> Self {
        Segments {
            format,
            uri,
            names,
            all: Vec::new(),
        }
    }

    /// Takes the segments of one poll; `progress` is cleared while they are written, so
    /// that lines on a terminal do not land inside the bar.
    pub fn push(&mut self, batch: Vec<Segment>, progress: &Progress) -> Result<(), Failure> {
        if batch.is_empty() {
            return Ok(());
        }
        let text = match self.format {
            Format::Rttm => to_rttm(&self.uri, &batch, &self.names),
            Format::Text => to_text(&batch, &self.names),
            Format::Json => String::new(),
        };
        self.all.extend(batch);
        if text.is_empty() {
            return Ok(());
        }
        progress.suspend(|| write_stdout(&text))
    }

    /// Writes what is still due (the JSON document) and returns every segment, in the
    /// order they were written.
    pub fn finish(self) -> Result<Vec<Segment>, Failure> {
        if let Format::Json = self.format {
            write_stdout(&format!("{}\n", to_json(&self.uri, &self.all, &self.names)))?;
        }
        Ok(self.all)
    }
}
