//! The CLI's voiceprint commands on the example conversation (alice, bob, carol):
//! `voiceflow enroll` makes voiceprint files, `diarize --speakers` labels the enrolled
//! speakers' turns with their names in every format, `diarize --export-speakers` writes
//! every speaker's voiceprint for next time; bad files and ranges are one line, exit 1.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

/// A path in this test binary's scratch folder.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_voiceprints");
    fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    assert!(voiceflow::models::setup_present(), "run `make setup` first");
    Command::new(env!("CARGO_BIN_EXE_voiceflow"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the voiceflow binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs and expects exit 1 with one line on stderr holding every piece of `says`.
fn fails<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S], says: &[&str]) {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    for piece in says {
        assert!(err.contains(piece), "{piece:?} not in {err}");
    }
}

/// `voiceflow enroll` of the example between `start` and `end` into scratch `file`.
fn enroll(name: &str, start: &str, end: &str, file: &str) -> String {
    let wav = path_str(&example_wav());
    let out = path_str(&scratch(file));
    let printed = ok(&[
        "enroll", &wav, "--name", name, "--start", start, "--end", end, "--out", &out,
    ]);
    assert!(printed.starts_with(&format!("{name}: ")), "{printed}");
    out
}

/// The label each reference turn's time mostly goes to in an RTTM.
fn labels_of_turns(rttm: &str) -> Vec<(String, String)> {
    let hyp: Vec<(String, f64, f64)> = rttm
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let start: f64 = f[3].parse().unwrap();
            (
                f[7].to_string(),
                start,
                start + f[4].parse::<f64>().unwrap(),
            )
        })
        .collect();
    example_truth()
        .into_iter()
        .map(|(who, start, end)| {
            let best = hyp
                .iter()
                .max_by(|a, b| {
                    let shared = |h: &(String, f64, f64)| h.2.min(end) - h.1.max(start);
                    shared(a).total_cmp(&shared(b))
                })
                .map(|h| h.0.clone())
                .unwrap_or_default();
            (who, best)
        })
        .collect()
}

#[test]
fn enrolled_names_label_their_speakers_in_every_format() {
    let alice = enroll("Alice Smith", "0.5", "4.81", "alice.json");
    let bob = enroll("Bob", "5.41", "9.382", "bob.json");
    let wav = path_str(&example_wav());
    let diarize = |format: &str| {
        ok(&[
            "diarize",
            &wav,
            "--speakers",
            &alice,
            &bob,
            "--format",
            format,
        ])
    };
    let expected = |who: &str| match who {
        "alice" => "Alice_Smith",
        "bob" => "Bob",
        _ => "SPEAKER_02",
    };
    for (who, label) in labels_of_turns(&diarize("rttm")) {
        assert_eq!(label, expected(&who), "{who}");
    }
    let json: serde_json::Value = serde_json::from_str(&diarize("json")).unwrap();
    let first = &json["segments"][0];
    assert_eq!(
        (first["speaker"].as_str(), first["speaker_id"].as_u64()),
        (Some("Alice Smith"), Some(0))
    );
    let text = diarize("text");
    assert!(
        text.lines().next().unwrap().ends_with("  Alice Smith"),
        "{text}"
    );
    assert!(
        text.contains("  Bob\n") && text.contains("  SPEAKER_02\n"),
        "{text}"
    );
}

#[test]
fn exported_voiceprints_name_the_speakers_next_time() {
    let alice = enroll("alice", "0.5", "4.81", "alice_for_export.json");
    let dir = scratch("exported");
    let _ = fs::remove_dir_all(&dir);
    let wav = path_str(&example_wav());
    let dir_arg = path_str(&dir);
    ok(&[
        "diarize",
        &wav,
        "--speakers",
        &alice,
        "--export-speakers",
        &dir_arg,
    ]);
    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["SPEAKER_01.json", "SPEAKER_02.json", "alice.json"]);
    let alice_again = voiceflow::Voiceprint::read_json_file(&dir.join("alice.json")).unwrap();
    assert_eq!(alice_again.name(), Some("alice"));
    assert!(alice_again.speech_seconds() > 10.0);
    // An unnamed export renamed as a file: enrolled under the file's name.
    let unnamed = voiceflow::Voiceprint::read_json_file(&dir.join("SPEAKER_01.json")).unwrap();
    assert_eq!(unnamed.name(), None);
    let renamed = scratch("bob_from_export.json");
    fs::copy(dir.join("SPEAKER_01.json"), &renamed).unwrap();
    let rttm = ok(&[
        "diarize",
        &wav,
        "--speakers",
        &alice,
        &path_str(&renamed),
        "--format",
        "rttm",
    ]);
    for (who, label) in labels_of_turns(&rttm) {
        let expected = match who.as_str() {
            "alice" => "alice",
            "bob" => "bob_from_export",
            _ => "SPEAKER_02",
        };
        assert_eq!(label, expected, "{who}");
    }
}

#[test]
fn bad_ranges_and_files_are_one_line_and_exit_1() {
    let wav = path_str(&example_wav());
    let out = path_str(&scratch("never.json"));
    let enroll = |start: &str, end: &str| {
        vec![
            "enroll".to_string(),
            wav.clone(),
            "--name".into(),
            "x".into(),
            "--start".into(),
            start.into(),
            "--end".into(),
            end.into(),
            "--out".into(),
            out.clone(),
        ]
    };
    fails(&enroll("3", "2"), &["--start 3 --end 2"]);
    fails(&enroll("0", "99"), &["56.99"]);
    fails(
        &enroll("0.5", "1.5"),
        &["too little speech", "conversation.wav"],
    );
    assert!(!Path::new(&out).exists(), "nothing written");

    let missing = path_str(&scratch("missing.json"));
    fails(
        &["diarize", &wav, "--speakers", &missing],
        &["missing.json"],
    );
    let good = enroll_bob_once();
    let text = fs::read_to_string(&good).unwrap();
    let truncated = scratch("truncated.json");
    fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    fails(
        &["diarize", &wav, "--speakers", &path_str(&truncated)],
        &["truncated.json", "not a voiceprint"],
    );
    let nan = scratch("nan.json");
    let first_value = text.find("\"vector\": [").unwrap() + "\"vector\": [".len();
    let comma = first_value + text[first_value..].find(',').unwrap();
    fs::write(
        &nan,
        format!("{}NaN{}", &text[..first_value], &text[comma..]),
    )
    .unwrap();
    fails(
        &["diarize", &wav, "--speakers", &path_str(&nan)],
        &["nan.json"],
    );
    fails(
        &["diarize", &wav, "--speakers", &good, &good],
        &["enrolled already"],
    );
}

/// Bob's voiceprint file, for the error cases.
fn enroll_bob_once() -> String {
    enroll("Bob", "5.41", "9.382", "bob_for_errors.json")
}
