//! Voiceprints end to end on the example conversation (alice, bob, carol): made from
//! audio, read from sessions, stored and loaded, and enrolled so that known speakers come
//! out under their ids and names.

mod common;

use std::collections::HashMap;

use common::*;
use voiceflow::{Config, Mode, Segment, Session, Status, Voiceprint};

const RATE: usize = 16_000;

/// Audio of one reference turn of the example.
fn turn(audio: &[f32], start: f64, end: f64) -> &[f32] {
    &audio[(start * RATE as f64) as usize..(end * RATE as f64) as usize]
}

/// A voiceprint of `speaker` from its first reference turn (3 to 4.3 s of speech).
fn enrolled(audio: &[f32], speaker: &str) -> Voiceprint {
    let (_, start, end) = example_truth()
        .into_iter()
        .find(|t| t.0 == speaker)
        .unwrap();
    Voiceprint::from_audio(&model(), turn(audio, start, end), 16_000, 1, Some(speaker)).unwrap()
}

fn config(mode: Mode, speakers: &[Voiceprint]) -> Config {
    let mut config = Config {
        mode,
        ..Config::default()
    };
    for v in speakers {
        config.enroll(v.clone()).unwrap();
    }
    config
}

/// The id most of each reference speaker's solo time goes to.
fn majority_ids(segments: &[Segment]) -> HashMap<String, u32> {
    let mut time: HashMap<(String, u32), f64> = HashMap::new();
    for (label, start, end) in example_truth() {
        for s in segments {
            let shared = s.end.min(end) - s.start.max(start);
            if shared > 0.0 {
                *time.entry((label.clone(), s.speaker)).or_default() += shared;
            }
        }
    }
    let mut best: HashMap<String, (u32, f64)> = HashMap::new();
    for ((label, id), t) in time {
        let entry = best.entry(label).or_insert((id, t));
        if t > entry.1 {
            *entry = (id, t);
        }
    }
    best.into_iter().map(|(l, (id, _))| (l, id)).collect()
}

#[test]
fn enrolled_speakers_get_their_ids_in_enrollment_order_and_the_rest_count_on() {
    let audio = example_audio();
    // Enrolled out of order of appearance: carol is id 0, alice id 1; bob is unknown.
    let known = [enrolled(&audio, "carol"), enrolled(&audio, "alice")];
    let expected = HashMap::from([("carol", 0), ("alice", 1), ("bob", 2)]);
    for mode in [Mode::Streaming, Mode::Offline] {
        let plain = diarize(model(), config(mode, &[]), &audio, 16_000, 1, 16_000);
        let named = diarize(model(), config(mode, &known), &audio, 16_000, 1, 16_000);
        // Every reference turn is found under its speaker's id. Streaming without
        // enrolled speakers gives alice's first turn to carol (its tracker has heard
        // neither yet): the enrolled voiceprints put it right.
        for (label, start, end) in example_truth() {
            let id = named
                .iter()
                .filter(|s| s.end.min(end) - s.start.max(start) > 0.5 * (end - start))
                .map(|s| s.speaker)
                .next();
            assert_eq!(
                id,
                Some(expected[label.as_str()]),
                "{mode:?} {label} at {start}: {named:?}"
            );
        }
        if mode == Mode::Streaming {
            continue;
        }
        // Offline, where the clustering already tells the three voices apart, enrolling
        // only renames: the same segments, one to one.
        assert_eq!(plain.len(), named.len());
        let mut rename = HashMap::new();
        for (p, n) in plain.iter().zip(&named) {
            assert_eq!((p.start, p.end), (n.start, n.end));
            assert_eq!(*rename.entry(p.speaker).or_insert(n.speaker), n.speaker);
        }
        let mut targets: Vec<u32> = rename.values().copied().collect();
        targets.sort();
        targets.dedup();
        assert_eq!(targets.len(), rename.len(), "{rename:?}");
    }
}

#[test]
fn names_and_voiceprints_are_read_per_id_while_streaming_and_after_flush() {
    let audio = example_audio();
    let known = [enrolled(&audio, "bob")];
    let mut session = Session::new(model(), config(Mode::Streaming, &known)).unwrap();
    assert_eq!(session.speaker_name(0), Some("bob"));
    assert_eq!(session.speaker_name(1), None);
    assert!(session.voiceprint(0).is_none(), "bob has not spoken yet");
    let mut segments = Vec::new();
    let mut seen_while_streaming = false;
    for piece in audio.chunks(8_000) {
        session.push(piece, 16_000, 1).unwrap();
        segments.extend(session.poll());
        seen_while_streaming |= session.voiceprint(0).is_some();
    }
    assert!(seen_while_streaming, "a voiceprint before flush");
    session.flush().unwrap();
    segments.extend(session.poll());
    let bob = session.voiceprint(0).unwrap();
    assert_eq!(bob.name(), Some("bob"));
    let bob_time: f64 = segments
        .iter()
        .filter(|s| s.speaker == 0)
        .map(|s| s.end - s.start)
        .sum();
    assert!((f64::from(bob.speech_seconds()) - bob_time).abs() < 1e-3);
    assert!(bob_time > 10.0, "{bob_time}");
    let other = session.voiceprint(1).unwrap();
    assert_eq!(other.name(), None);
    let contract = model().embedder().contract().clone();
    bob.check_model(&contract).unwrap();
    assert_eq!(bob.dim(), contract.embedding_dim);
    assert!(session.voiceprint(9).is_none());
}

#[test]
fn a_session_voiceprint_stored_and_loaded_names_that_speaker_next_time() {
    let audio = example_audio();
    // First session: the first half; alice is its first speaker (id 0).
    let half = &audio[..audio.len() / 2];
    let mut first = Session::new(model(), config(Mode::Offline, &[])).unwrap();
    first.push(half, 16_000, 1).unwrap();
    first.flush().unwrap();
    let alice_id = majority_ids(&first.poll())["alice"];
    let mut alice = first.voiceprint(alice_id).unwrap();
    alice.set_name(Some("Alice Smith")).unwrap();
    // Stored as bytes and as JSON, loaded again: the same voiceprint.
    let from_bytes = Voiceprint::from_bytes(&alice.to_bytes()).unwrap();
    let from_json = Voiceprint::from_json(&alice.to_json()).unwrap();
    assert_eq!(from_bytes, alice);
    assert_eq!(from_json, alice);
    // Second session: the second half, with alice enrolled.
    let second_half = &audio[audio.len() / 2..];
    let segments = diarize(
        model(),
        config(Mode::Streaming, &[from_json]),
        second_half,
        16_000,
        1,
        4_000,
    );
    let alice_time: f64 = example_truth()
        .iter()
        .filter(|t| t.0 == "alice" && t.1 >= audio.len() as f64 / 2.0 / RATE as f64)
        .map(|t| t.2 - t.1)
        .sum();
    let named: f64 = segments
        .iter()
        .filter(|s| s.speaker == 0)
        .map(|s| s.end - s.start)
        .sum();
    assert!(
        named > 0.8 * alice_time && named < 1.2 * alice_time,
        "alice speaks {alice_time:.1} s of the second half, id 0 has {named:.1} s"
    );
}

#[test]
fn bad_voiceprints_are_refused_and_change_nothing() {
    let audio = example_audio();
    let alice = enrolled(&audio, "alice");
    let mut config = Config::default();
    // Unnamed, duplicate name, other dimension: refused by enroll, config unchanged.
    let mut unnamed = alice.clone();
    unnamed.set_name(None).unwrap();
    assert_eq!(
        config.enroll(unnamed).unwrap_err().status(),
        Status::InvalidArgument
    );
    assert_eq!(config.enroll(alice.clone()).unwrap(), 0);
    let e = config.enroll(alice.clone()).unwrap_err();
    assert!(e.message().contains("enrolled already"), "{}", e.message());
    let short = Voiceprint::new(
        alice.model(),
        alice.model_version(),
        vec![1.0],
        1.0,
        Some("x"),
    )
    .unwrap();
    assert!(config.enroll(short).is_err());
    assert_eq!(config.speakers.len(), 1);
    // Made by another model: the session is refused, naming the voiceprint.
    let foreign = Voiceprint::new(
        "other-model",
        "1",
        alice.vector().to_vec(),
        5.0,
        Some("eve"),
    )
    .unwrap();
    let mut bad = Config::default();
    bad.enroll(foreign).unwrap();
    let e = Session::new(model(), bad).err().unwrap();
    assert_eq!(e.status(), Status::InvalidConfig);
    assert!(
        e.message().contains("speakers[0]") && e.message().contains("other-model"),
        "{}",
        e.message()
    );
    // Too little speech, silence, or audio a session refuses.
    let e = Voiceprint::from_audio(&model(), &audio[..RATE], 16_000, 1, None).unwrap_err();
    assert_eq!(e.status(), Status::InvalidAudio);
    assert!(e.message().contains("too little speech"), "{}", e.message());
    let silence = vec![0.0; 5 * RATE];
    assert!(Voiceprint::from_audio(&model(), &silence, 16_000, 1, None).is_err());
    let e = Voiceprint::from_audio(&model(), &audio[..RATE], 1_000, 1, None).unwrap_err();
    assert_eq!(e.status(), Status::UnsupportedSampleRate);
}
