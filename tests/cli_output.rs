//! The CLI's output paths: a closed pipe or a full disk ends the run with a documented
//! exit code and at most one line, never a panic; the progress bar shows on a terminal
//! only; `--plot` writes the timeline. Each runs the built binary on the first 12 s of
//! the example (three turns, about a second of work). Audio files of other kinds are read
//! by the CLI like WAV, and what is not audio is one line.

mod common;

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::*;

/// 128 + SIGPIPE, as documented in the README.
const EXIT_BROKEN_PIPE: i32 = 141;

/// The first 12 s of the example as a 16-bit mono WAV, written once per test binary.
fn short_wav() -> &'static Path {
    static WAV: OnceLock<PathBuf> = OnceLock::new();
    WAV.get_or_init(|| {
        let samples = example_audio();
        let pcm: Vec<u8> = samples[..12 * 16_000]
            .iter()
            .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
            .collect();
        // The canonical 44-byte header: RIFF, a 16-byte PCM `fmt ` chunk, `data`.
        let mut wav = Vec::with_capacity(44 + pcm.len());
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + pcm.len() as u32).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        for field in [16u32, 1 | (1 << 16), 16_000, 32_000, 2 | (16 << 16)] {
            wav.extend_from_slice(&field.to_le_bytes());
        }
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
        wav.extend_from_slice(&pcm);
        let path = scratch("short.wav");
        fs::write(&path, wav).unwrap();
        path
    })
}

/// A path in Cargo's scratch folder for integration tests (one fixed folder, so that
/// runs overwrite rather than pile up; each test uses its own file names).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_output");
    fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn voiceflow(args: &[&str]) -> Command {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_voiceflow"));
    cmd.args(args).stdin(Stdio::null());
    cmd
}

fn diarize(extra: &[&str]) -> Command {
    let wav = path_str(short_wav());
    let mut args = vec!["diarize", wav.as_str()];
    args.extend_from_slice(extra);
    voiceflow(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd` with stdout on a pipe whose reader reads `lines` lines, then closes it.
/// The RTTM of a successful `diarize` of `file` (relative to the repository root).
fn rttm_of(file: &str) -> String {
    let path = path_str(&Path::new(env!("CARGO_MANIFEST_DIR")).join(file));
    let out = voiceflow(&["diarize", &path, "--format", "rttm"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn closed_pipe(mut cmd: Command, lines: usize) -> (Vec<String>, Output) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the voiceflow binary");
    let reader = BufReader::new(child.stdout.take().unwrap());
    let read: Vec<String> = reader.lines().take(lines).map(Result::unwrap).collect();
    // `read` (and with it the reader) is done: the pipe's only read end closes here.
    let out = child.wait_with_output().unwrap();
    (read, out)
}

fn assert_quiet_broken_pipe(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(EXIT_BROKEN_PIPE),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
}

#[test]
fn a_reader_that_left_ends_the_run_quietly() {
    // Nothing read: the first write (all of an offline run's text) meets a closed pipe.
    for format in ["text", "rttm", "json"] {
        let (_, out) = closed_pipe(diarize(&["--format", format]), 0);
        assert_quiet_broken_pipe(&out);
    }
    let wav = path_str(short_wav());
    let (_, out) = closed_pipe(voiceflow(&["bench", &wav, "--extra-sessions", "0"]), 0);
    assert_quiet_broken_pipe(&out);
}

#[test]
fn streaming_lines_go_out_as_they_come_and_stop_at_a_closed_pipe() {
    // `| head -1`: the first line arrives while the run goes on (a streaming session
    // returns turns long before the end), and the next write ends the run. The whole
    // example, so that seconds of work separate the first line from the next.
    let wav = path_str(&example_wav());
    let (read, out) = closed_pipe(voiceflow(&["diarize", &wav, "--mode", "streaming"]), 1);
    assert_eq!(read.len(), 1);
    assert!(read[0].ends_with("SPEAKER_00"), "{read:?}");
    assert_quiet_broken_pipe(&out);
}

#[test]
fn a_full_disk_is_one_line_and_exit_1() {
    let full = || File::options().write(true).open("/dev/full").unwrap();
    let wav = path_str(short_wav());
    let runs = [
        diarize(&[]),
        diarize(&["--format", "json"]),
        voiceflow(&["bench", &wav, "--extra-sessions", "0"]),
        voiceflow(&["diarize", "--help"]),
    ];
    for mut cmd in runs {
        let out = cmd.stdout(full()).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            "voiceflow: cannot write output: No space left on device (os error 28)\n"
        );
    }
}

#[test]
fn no_progress_text_when_stderr_is_not_a_terminal() {
    let out = diarize(&[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 3);
}

/// Runs `args` on a pseudo-terminal (util-linux `script`): stdout and stderr both land
/// in what it returns.
fn on_a_terminal(extra: &[&str]) -> String {
    let mut args = vec![
        env!("CARGO_BIN_EXE_voiceflow").to_string(),
        "diarize".into(),
        path_str(short_wav()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let line = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .output()
        .expect("the terminal test needs `script` (util-linux, in Debian's bsdutils)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn progress_bar_on_a_terminal_with_speed_and_eta() {
    let screen = on_a_terminal(&["--format", "rttm"]);
    for part in ["diarizing [", "0:12 / 0:12", "× real time", "ETA "] {
        assert!(screen.contains(part), "{part:?} missing from {screen:?}");
    }
    // The lines still all arrive, and the bar is erased after its last drawing.
    assert_eq!(screen.matches("SPEAKER short 1 ").count(), 3, "{screen:?}");
    let last_bar = &screen[screen.rfind("diarizing [").unwrap()..];
    assert!(last_bar.contains("\x1b[2K"), "{screen:?}");

    let quiet = on_a_terminal(&["--format", "rttm", "--no-progress"]);
    assert!(!quiet.contains("diarizing"), "{quiet:?}");
    assert_eq!(quiet.matches("SPEAKER short 1 ").count(), 3, "{quiet:?}");
}

#[test]
fn plot_writes_svg_and_png() {
    for name in ["timeline.svg", "timeline.PNG"] {
        let path = scratch(name);
        let _ = fs::remove_file(&path);
        let out = diarize(&["--plot", &path_str(&path)]).output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout).lines().count(),
            3,
            "stdout as without --plot"
        );
        let bytes = fs::read(&path).unwrap();
        if name.ends_with("svg") {
            let svg = text(&bytes);
            assert!(svg.starts_with("<svg"));
            for label in [
                "short.wav",
                "SPEAKER_00",
                "SPEAKER_01",
                "overlap",
                "seconds",
            ] {
                assert!(svg.contains(&format!("\n{label}\n")), "{label}");
            }
        } else {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}

#[test]
fn plot_with_another_extension_fails_before_any_work() {
    let path = scratch("timeline.pdf");
    // The audio does not exist: the refusal must come from the argument, first.
    let out = voiceflow(&["diarize", "/nonexistent.wav", "--plot", &path_str(&path)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = text(&out.stderr);
    assert!(
        err.contains("--plot") && err.contains(".svg or .png"),
        "{err}"
    );
    assert!(!err.contains("nonexistent"), "{err}");
    assert!(!path.exists());
}

#[test]
fn a_plot_that_cannot_be_written_is_one_line_and_exit_1() {
    let unwritable = scratch("no-such-dir").join("timeline.svg");
    let out = diarize(&["--plot", &path_str(&unwritable)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("voiceflow: cannot write plot ") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn an_m4a_diarizes_into_the_six_turns() {
    // The first 25 s of the example as AAC in M4A (tests/data/audio/README.md).
    let rttm = rttm_of("tests/data/audio/conversation_25s.m4a");
    let turns: Vec<(f64, &str)> = rttm
        .lines()
        .map(|l| {
            assert!(l.starts_with("SPEAKER conversation_25s 1 "), "{l}");
            let f: Vec<&str> = l.split(' ').collect();
            (f[3].parse().unwrap(), f[7])
        })
        .collect();
    // Six turns of three speakers, each speaking twice, starting where the reference says
    // (the M4A is 64 ms late: AAC priming).
    let truth = [0.5, 5.41, 9.832, 13.174, 16.181, 22.232];
    assert_eq!(turns.len(), truth.len(), "{rttm}");
    for ((start, _), want) in turns.iter().zip(truth) {
        assert!((start - want).abs() < 0.3, "{start} vs {want}: {rttm}");
    }
    let who: Vec<&str> = turns.iter().map(|t| t.1).collect();
    assert_eq!(&who[..3], &who[3..], "{rttm}");
    assert!(
        who[0] != who[1] && who[1] != who[2] && who[0] != who[2],
        "{rttm}"
    );
}

#[test]
fn an_mp3_diarizes_and_what_is_not_audio_is_one_line_and_exit_1() {
    let rttm = rttm_of("examples/data/conversation.mp3");
    let speakers: std::collections::BTreeSet<&str> =
        rttm.lines().filter_map(|l| l.split(' ').nth(7)).collect();
    assert_eq!(speakers.len(), 3, "{rttm}");
    assert!(rttm
        .lines()
        .all(|l| l.starts_with("SPEAKER conversation 1 ")));

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let empty = scratch("empty.flac");
    fs::write(&empty, b"").unwrap();
    for (file, says) in [
        (root.join("README.md"), "not a recognised audio file"),
        (empty, "the file is empty"),
        (
            root.join("tests/data/audio/opus.ogg"),
            "Opus audio is not supported",
        ),
        // A 0 Hz header (symphonia 0.5.5 panicked on it; the panic was contained).
        (
            root.join("tests/data/audio/crash_rate0.wav"),
            "its audio has no sample rate",
        ),
    ] {
        let file = path_str(&file);
        let out = voiceflow(&["diarize", &file]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{file}");
        let message = text(&out.stderr);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(
            message.starts_with(&format!("voiceflow: {file}: {says}")),
            "{message}"
        );
        assert!(out.stdout.is_empty());
    }
}
