//! Offline mode (the whole stream clustered at flush) and the refined result of streaming
//! sessions, end to end on the example conversation.

mod common;

use common::*;
use voiceflow::{Config, Mode, Session, Status};

fn offline() -> Config {
    Config {
        mode: Mode::Offline,
        ..Config::default()
    }
}

fn refining() -> Config {
    Config {
        refine: true,
        ..Config::default()
    }
}

#[test]
fn an_offline_session_answers_at_flush_only_with_the_three_speakers() {
    let audio = example_audio();
    let mut session = Session::new(model(), offline()).unwrap();
    for piece in audio.chunks(16_000) {
        session.push(piece, 16_000, 1).unwrap();
        assert!(
            session.poll().is_empty(),
            "an offline session emits nothing early"
        );
        assert_eq!(session.pending_segments(), 0);
    }
    assert!(session.stats().kept_bytes > 0);
    session.flush().unwrap();
    let segments = session.poll();
    assert_eq!(speakers(&segments), 3, "{segments:?}");
    let score = agreement(&example_truth(), &segments);
    assert!(
        score > 0.9,
        "only {score:.3} of the speech has the right speaker"
    );
    assert_eq!(
        first_seen(&segments),
        vec![0, 1, 2],
        "ids dense in order of appearance"
    );
    for pair in segments.windows(2) {
        assert!(pair[0].start <= pair[1].start, "out of order: {pair:?}");
    }
    assert!(session.poll().is_empty(), "a segment is returned only once");
    assert_eq!(session.stats().offline_speakers, 3);
    for id in 0..3 {
        let v = session.voiceprint(id).expect("a voiceprint per speaker");
        let norm: f32 = v.vector().iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-3);
    }
}

/// Without a tracker, an offline session still honours `embedding_interval`: a voice
/// gets a voiceprint when it starts, then once per interval of new speech.
#[test]
fn offline_sessions_honour_the_embedding_interval() {
    let audio = example_audio();
    let embeddings = |interval: f32| {
        let mut session = Session::new(
            model(),
            Config {
                embedding_interval: interval,
                ..offline()
            },
        )
        .unwrap();
        session.push(&audio, 16_000, 1).unwrap();
        session.flush().unwrap();
        assert!(!session.poll().is_empty());
        session.stats().embeddings
    };
    let (every_step, sparse) = (embeddings(0.0), embeddings(1.0));
    assert!(
        sparse * 2 < every_step,
        "interval 1 s: {sparse} voiceprints, every step: {every_step}"
    );
}

#[test]
fn offline_segments_do_not_depend_on_the_chunking() {
    let audio = example_audio();
    let whole = diarize(model(), offline(), &audio, 16_000, 1, audio.len());
    for chunk in [333, 16_000] {
        assert_eq!(
            diarize(model(), offline(), &audio, 16_000, 1, chunk),
            whole,
            "chunk {chunk}"
        );
    }
}

/// Hints up to the number of voices present are honoured exactly. Asked for more, the
/// clustering splits a voice into the extra speakers, whose halves may fall below the
/// onset and not surface: never more than asked, never fewer than the voices.
#[test]
fn offline_count_hints_are_honoured_exactly() {
    let audio = example_audio();
    for n in 1..=5 {
        let config = Config {
            num_speakers: Some(n),
            ..offline()
        };
        let found = speakers(&diarize(model(), config, &audio, 16_000, 1, 16_000)) as u32;
        if n <= 3 {
            assert_eq!(found, n, "num_speakers {n}");
        } else {
            assert!((3..=n).contains(&found), "num_speakers {n}: {found}");
        }
    }
    for (min, max, expect) in [(1, 2, 2), (1, 1, 1), (2, 20, 3), (3, 3, 3)] {
        let config = Config {
            min_speakers: Some(min),
            max_speakers: Some(max),
            ..offline()
        };
        let segments = diarize(model(), config, &audio, 16_000, 1, 16_000);
        assert_eq!(speakers(&segments), expect, "min {min} max {max}");
    }
}

#[test]
fn a_refining_session_streams_as_usual_and_refines_at_flush() {
    let audio = example_audio();
    let plain = diarize(model(), Config::default(), &audio, 16_000, 1, 8000);
    let mut session = Session::new(model(), refining()).unwrap();
    let mut live = Vec::new();
    for piece in audio.chunks(8000) {
        session.push(piece, 16_000, 1).unwrap();
        live.extend(session.poll());
        assert_eq!(session.pending_refined_segments(), Ok(0));
    }
    assert!(!live.is_empty(), "live segments while streaming");
    session.flush().unwrap();
    live.extend(session.poll());
    assert_eq!(live, plain, "refining leaves the live answer as it was");
    let refined = session.poll_refined().unwrap();
    assert_eq!(speakers(&refined), 3);
    assert!(agreement(&example_truth(), &refined) > 0.9);
    assert_eq!(session.pending_refined_segments(), Ok(0));
    assert!(session.refined_voiceprint(0).is_some());

    // Without refine there is no refined result, and an offline session is refused one.
    let mut plain = Session::new(model(), Config::default()).unwrap();
    let err = plain.poll_refined().unwrap_err();
    assert_eq!(err.status(), Status::InvalidState);
    assert!(err.message().contains("refine"), "{}", err.message());
    let both = Config {
        refine: true,
        ..offline()
    };
    let err = Session::new(model(), both).err().expect("refused");
    assert_eq!(err.status(), Status::InvalidConfig);
}

#[test]
fn past_the_offline_audio_limit_a_push_is_refused_and_nothing_is_lost() {
    let audio = example_audio();
    let config = Config {
        max_offline_audio: 20.0,
        ..offline()
    };
    let mut session = Session::new(model(), config).unwrap();
    session.push(&audio[..16_000 * 15], 16_000, 1).unwrap();
    let err = session
        .push(&audio[16_000 * 15..16_000 * 25], 16_000, 1)
        .unwrap_err();
    assert_eq!(err.status(), Status::LimitReached);
    assert!(
        err.message().contains("max_offline_audio"),
        "{}",
        err.message()
    );
    // Nothing of the refused push was consumed; a push that fits is still taken.
    session
        .push(&audio[16_000 * 15..16_000 * 20], 16_000, 1)
        .unwrap();
    session.flush().unwrap();
    let segments = session.poll();
    assert_eq!(session.stats().audio_seconds, 20.0);
    let same = diarize(model(), offline(), &audio[..16_000 * 20], 16_000, 1, 16_000);
    assert_eq!(segments, same);
    // A streaming session without refine keeps nothing and has no limit.
    let mut streaming = Session::new(
        model(),
        Config {
            max_offline_audio: 1.0,
            ..Config::default()
        },
    )
    .unwrap();
    streaming.push(&audio[..16_000 * 5], 16_000, 1).unwrap();
    assert_eq!(streaming.stats().kept_bytes, 0);
}

/// The example at 8 kHz (pairs of samples averaged: telephone-rate audio).
fn example_at_8k() -> Vec<f32> {
    example_audio()
        .chunks_exact(2)
        .map(|p| 0.5 * (p[0] + p[1]))
        .collect()
}

#[test]
fn a_telephone_rate_stream_takes_the_narrowband_clustering_distance() {
    let narrowband = model()
        .recommended_settings()
        .narrowband
        .cluster_threshold
        .expect("the default CAM++ recommends a narrowband clustering distance");
    let audio = example_at_8k();
    let wideband = Session::new(model(), offline()).unwrap().config().clone();
    assert_ne!(wideband.cluster_threshold(), narrowband);

    let mut session = Session::new(model(), offline()).unwrap();
    // An empty push fixes no format, so it decides nothing either.
    session.push(&[], 8_000, 1).unwrap();
    assert_eq!(
        session.config().cluster_threshold(),
        wideband.cluster_threshold()
    );
    session
        .push(&audio[..8_000], voiceflow::NARROWBAND_MAX_HZ, 1)
        .unwrap();
    assert_eq!(session.config().cluster_threshold(), narrowband);
    // Enrolled voiceprints come from other recordings: their distance stays wideband.
    assert_eq!(
        session.config().known_speaker_threshold(),
        wideband.known_speaker_threshold()
    );
    session.push(&audio[8_000..], 8_000, 1).unwrap();
    session.flush().unwrap();
    let segments = session.poll();
    assert_eq!(speakers(&segments), 3, "{segments:?}");
    assert!(agreement(&example_truth(), &segments) > 0.8);

    // A wideband stream keeps the wideband distance, and a caller's value always wins.
    let mut session = Session::new(model(), offline()).unwrap();
    session.push(&example_audio()[..16_000], 16_000, 1).unwrap();
    assert_eq!(
        session.config().cluster_threshold(),
        wideband.cluster_threshold()
    );
    let chosen = Config {
        cluster_threshold: Some(0.45),
        ..offline()
    };
    let mut session = Session::new(model(), chosen).unwrap();
    session.push(&audio[..8_000], 8_000, 1).unwrap();
    assert_eq!(session.config().cluster_threshold(), 0.45);
}
