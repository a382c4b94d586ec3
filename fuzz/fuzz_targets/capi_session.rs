//! The C ABI driven by fuzzer input: random sequences of create (streaming, offline or
//! refining sessions, random config values) / push (f32 and i16) / poll and refined poll
//! (odd capacities, NULL buffers) / pending / flush / destroy on two session slots,
//! random chunk sizes, NaN / infinite / denormal / huge samples, every accepted (and many
//! refused) sample rates and channel counts, calls on destroyed (NULL) or flushed
//! sessions, oversized pushes, pushes past "max_offline_audio", enrolled voiceprints
//! (of the session's model, of the other model, renamed, duplicated) and reads of the
//! sessions' voiceprints and speaker names for any id. Both model kinds are
//! used: the silero VAD + GE2E pair, and the synthetic windowed-segmentation pair of the
//! set-up, which takes the code paths of the default segmentation-3.0 + CAM++ pair at a
//! fraction of its cost (so many more sequences run per second).
//!
//! Invariants checked on every call: no caught panic (`VF_ERR_INTERNAL`) and no inference
//! failure, a known status and a message for every failure, the documented status for
//! each kind of bad call, no segments from an offline session before flush, polled
//! segments (live and refined) that are finite, ordered, non-empty and carry dense
//! speaker ids (enrolled ids 0..K at any time, the others from K in order), names for
//! exactly the enrolled ids, and unit voiceprints of the model's dimension.
#![no_main]

use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use voiceflow::capi::*;

/// Audio budget of one input, in samples (all channels): keeps one run under a second.
const SAMPLE_BUDGET: usize = 16_000 * 24;
const COMMON_RATES: [u32; 13] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400,
    192_000,
];
const CONFIG_KEYS: [&CStr; 21] = [
    c"latency",
    c"step",
    c"vad_window",
    c"tau_active",
    c"delta_new",
    c"rho_update",
    c"min_embedding_speech",
    c"onset",
    c"offset",
    c"min_duration_on",
    c"min_duration_off",
    c"min_new_speaker_speech",
    c"embedding_interval",
    c"max_embedding_speech",
    c"num_speakers",
    c"min_speakers",
    c"max_speakers",
    c"cluster_threshold",
    c"max_offline_audio",
    c"known_speaker_threshold",
    c"no_such_key",
];

/// Models and real speech shared by every input (the runtime is loaded once per process).
struct Shared {
    /// Pointers kept as integers: the models are immutable and shared by design.
    models: [usize; 2],
    /// A valid voiceprint of each model (its name, version and dimension), as bytes.
    voiceprints: [Vec<u8>; 2],
    speech: Vec<i16>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let home = std::env::var_os("VOICEFLOW_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join(".voiceflow"));
        let path = |file: &str| {
            CString::new(
                home.join("models")
                    .join(file)
                    .to_string_lossy()
                    .into_owned(),
            )
            .expect("model path")
        };
        let open = |seg: Option<&CString>, emb: Option<&CString>| {
            let mut model = std::ptr::null_mut();
            let status = unsafe {
                vf_model_open(
                    seg.map_or(std::ptr::null(), |p| p.as_ptr()),
                    emb.map_or(std::ptr::null(), |p| p.as_ptr()),
                    1,
                    &mut model,
                )
            };
            assert_eq!(status, VF_OK, "model open: {}", last_error());
            model as usize
        };
        // A voiceprint each model accepts: a unit vector under its embedding model's name.
        let voiceprint = |seg: &str, emb: &str| {
            let options = voiceflow::ModelOptions {
                segmentation: Some(home.join("models").join(seg)),
                embedding: Some(home.join("models").join(emb)),
                ..voiceflow::ModelOptions::default()
            };
            let model = voiceflow::Model::open(&options).expect("model");
            let contract = model.embedder().contract();
            let mut v = vec![1.0; contract.embedding_dim];
            voiceflow::models::normalize(&mut v);
            let p = &contract.provenance;
            voiceflow::Voiceprint::new(&p.name, &p.version, v, 5.0, Some("known"))
                .expect("voiceprint")
                .to_bytes()
        };
        let wav = repo.join("examples/data/conversation.wav");
        let audio = voiceflow::audio::read_audio(&wav).expect("example audio");
        let speech = audio
            .samples
            .iter()
            .map(|v| (v * 32768.0).clamp(-32768.0, 32767.0) as i16)
            .collect();
        Shared {
            models: [
                open(Some(&path("silero_vad.onnx")), Some(&path("ge2e.onnx"))),
                open(
                    Some(&path("test_segmentation.onnx")),
                    Some(&path("test_embedding.onnx")),
                ),
            ],
            voiceprints: [
                voiceprint("silero_vad.onnx", "ge2e.onnx"),
                voiceprint("test_segmentation.onnx", "test_embedding.onnx"),
            ],
            speech,
        }
    })
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(vf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Rate {
    Common(u8),
    Any(u32),
}

impl Rate {
    fn hz(self) -> u32 {
        match self {
            Rate::Common(i) => COMMON_RATES[usize::from(i) % COMMON_RATES.len()],
            Rate::Any(hz) => hz,
        }
    }
}

/// Values that stress sample handling; the fuzzer picks one to fill a push with.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Special {
    Nan,
    Infinity,
    NegInfinity,
    Denormal,
    Huge,
    Max,
    NegZero,
    OutOfRange(f32),
}

impl Special {
    fn value(self) -> f32 {
        match self {
            Special::Nan => f32::NAN,
            Special::Infinity => f32::INFINITY,
            Special::NegInfinity => f32::NEG_INFINITY,
            Special::Denormal => f32::from_bits(1),
            Special::Huge => 1e30,
            Special::Max => f32::MAX,
            Special::NegZero => -0.0,
            Special::OutOfRange(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Create {
        slot: bool,
        windowed: bool,
        settings: Vec<(u8, f64)>,
        /// Set last, so the harness knows it: streaming, offline, or streaming + refine.
        mode: SessionMode,
        /// Voiceprints enrolled before create (at most 4).
        enroll: Vec<Enroll>,
    },
    /// A session's voiceprint and name for an id (live or refined).
    Voiceprint {
        slot: bool,
        speaker: u8,
        refined: bool,
    },
    PushF32 {
        slot: bool,
        rate: Rate,
        channels: u8,
        samples: Vec<f32>,
        repeat: u8,
    },
    PushI16 {
        slot: bool,
        rate: Rate,
        channels: u8,
        samples: Vec<i16>,
        repeat: u8,
    },
    /// Real speech, so that segments come out.
    PushSpeech {
        slot: bool,
        rate: Rate,
        channels: u8,
        offset: u16,
        tenths: u8,
        as_f32: bool,
    },
    /// A push whose samples include one special value at a chosen place.
    PushSpecial {
        slot: bool,
        rate: Rate,
        channels: u8,
        value: Special,
        at: u16,
        len: u16,
    },
    /// A count above the per-call maximum with a small buffer: refused before reading.
    PushOversized {
        slot: bool,
        extra: u32,
        as_f32: bool,
    },
    Poll {
        slot: bool,
        capacity: u8,
        null_out: bool,
        refined: bool,
    },
    Pending {
        slot: bool,
        refined: bool,
    },
    Flush {
        slot: bool,
    },
    Destroy {
        slot: bool,
    },
}

/// One voiceprint to enroll: the shared voiceprint of a model, named `name` (an invalid
/// name is refused by vf_voiceprint_set_name; an unnamed one by vf_config_enroll), maybe
/// with a byte flipped (then usually refused by vf_voiceprint_from_bytes).
#[derive(Arbitrary, Debug)]
struct Enroll {
    other_model: bool,
    name: Option<String>,
    flip: Option<(u16, u8)>,
}

#[derive(Arbitrary, Debug, Clone, Copy, Default, PartialEq)]
enum SessionMode {
    #[default]
    Streaming,
    Offline,
    Refining,
}

/// What the harness knows of one session slot.
#[derive(Default)]
struct Slot {
    session: usize,
    mode: SessionMode,
    flushed: bool,
    /// Speakers enrolled in its config.
    enrolled: u32,
    live: Stream,
    refined: Stream,
}

/// The polled segments of one result so far: the last start and the speakers seen.
#[derive(Default)]
struct Stream {
    last_start: f64,
    speakers: u32,
}

impl Slot {
    fn ptr(&self) -> *mut vf_session {
        self.session as *mut vf_session
    }
}

struct Harness {
    slots: [Slot; 2],
    budget: usize,
}

/// Statuses every call may return; `VF_ERR_INTERNAL` (a caught panic) and
/// `VF_ERR_INFERENCE` are bugs here, so they are not in the list.
fn check_status(status: vf_status, what: &str) {
    let allowed = [
        VF_OK,
        VF_ERR_NULL_POINTER,
        VF_ERR_INVALID_ARGUMENT,
        VF_ERR_INVALID_CONFIG,
        VF_ERR_INVALID_AUDIO,
        VF_ERR_UNSUPPORTED_SAMPLE_RATE,
        VF_ERR_INVALID_STATE,
        VF_ERR_LIMIT_REACHED,
    ];
    assert!(
        allowed.contains(&status),
        "{what}: unexpected status {status}: {}",
        last_error()
    );
    if status != VF_OK {
        assert!(
            !last_error().is_empty(),
            "{what}: failure without a message"
        );
    }
}

impl Harness {
    fn slot(&mut self, second: bool) -> &mut Slot {
        &mut self.slots[usize::from(second)]
    }

    /// Pushes through the f32 or i16 entry point and checks the status against what the
    /// documented rules say about this push.
    fn push(&mut self, slot: bool, data: PushData<'_>, rate: u32, channels: u32) {
        let count = data.len();
        if count > self.budget {
            return;
        }
        self.budget -= count;
        let s = self.slot(slot);
        let status = unsafe {
            match data {
                PushData::F32(v) => {
                    vf_session_push_samples(s.ptr(), v.as_ptr(), count, rate, channels)
                }
                PushData::I16(v) => {
                    vf_session_push_samples_i16(s.ptr(), v.as_ptr(), count, rate, channels)
                }
            }
        };
        check_status(status, "push");
        if status == VF_ERR_LIMIT_REACHED {
            // Only a session that keeps its audio for the flush has a limit; nothing of
            // the push was taken, and it still flushes (checked by the Flush op).
            assert_ne!(s.mode, SessionMode::Streaming, "{}", last_error());
            assert!(!s.flushed && count > 0);
            return;
        }
        let rate_ok = (8_000..=192_000).contains(&rate);
        let shape_ok = (1..=32).contains(&channels) && count % channels.max(1) as usize == 0;
        if s.session == 0 {
            assert_eq!(status, VF_ERR_NULL_POINTER);
        } else if s.flushed {
            assert_eq!(status, VF_ERR_INVALID_STATE);
        } else if count == 0 || !rate_ok || !shape_ok || data.has_non_finite() {
            // Refused or a no-op: the documented statuses only.
            if count == 0 {
                // An empty push is a no-op unless its arguments themselves are refused.
                if shape_ok {
                    assert!(
                        status == VF_OK || status == VF_ERR_UNSUPPORTED_SAMPLE_RATE,
                        "{status}"
                    );
                }
            } else if data.has_non_finite() && shape_ok && rate_ok {
                assert!(
                    status == VF_ERR_INVALID_AUDIO || status == VF_ERR_UNSUPPORTED_SAMPLE_RATE,
                    "{status}"
                );
            } else {
                assert_ne!(status, VF_OK);
            }
        } else {
            // Valid samples: accepted, unless the stream's format differs.
            assert!(
                status == VF_OK || status == VF_ERR_UNSUPPORTED_SAMPLE_RATE,
                "{status}: {}",
                last_error()
            );
        }
    }

    fn run(&mut self, op: Op) {
        let shared = shared();
        match op {
            Op::Create {
                slot,
                windowed,
                settings,
                mode,
                enroll,
            } => {
                let mut config = std::ptr::null_mut();
                assert_eq!(unsafe { vf_config_new(&mut config) }, VF_OK);
                let mut enrolled = 0;
                let mut foreign = false;
                for e in enroll.into_iter().take(4) {
                    let model = usize::from(windowed) ^ usize::from(e.other_model);
                    if enroll_one(config, &shared.voiceprints[model], &e, enrolled) {
                        enrolled += 1;
                        foreign |= e.other_model;
                    }
                }
                for (key, value) in settings.into_iter().take(8) {
                    let key = CONFIG_KEYS[usize::from(key) % CONFIG_KEYS.len()];
                    let status = unsafe { vf_config_set_float(config, key.as_ptr(), value) };
                    check_status(status, "config_set_float");
                }
                let (mode_value, refine) = match mode {
                    SessionMode::Streaming => (VF_MODE_STREAMING, 0.0),
                    SessionMode::Offline => (VF_MODE_OFFLINE, 0.0),
                    SessionMode::Refining => (VF_MODE_STREAMING, 1.0),
                };
                for (key, value) in [(c"mode", f64::from(mode_value)), (c"refine", refine)] {
                    let status = unsafe { vf_config_set_float(config, key.as_ptr(), value) };
                    assert_eq!(status, VF_OK, "{}", last_error());
                }
                let model = shared.models[usize::from(windowed)] as *const vf_model;
                let mut session = std::ptr::null_mut();
                let status = unsafe { vf_session_create(model, config, &mut session) };
                unsafe { vf_config_free(config) };
                check_status(status, "session_create");
                if foreign {
                    assert_eq!(status, VF_ERR_INVALID_CONFIG, "another model's voiceprint");
                }
                if status == VF_OK {
                    let s = self.slot(slot);
                    unsafe { vf_session_destroy(s.ptr()) };
                    for id in 0..enrolled + 2 {
                        let name = unsafe { vf_session_speaker_name(session, id) };
                        assert_eq!(name.is_null(), id >= enrolled, "name of id {id}");
                    }
                    *s = Slot {
                        session: session as usize,
                        mode,
                        enrolled,
                        ..Slot::default()
                    };
                } else {
                    assert!(session.is_null(), "output written on failure");
                }
            }
            Op::PushF32 {
                slot,
                rate,
                channels,
                samples,
                repeat,
            } => {
                for _ in 0..=repeat % 8 {
                    self.push(slot, PushData::F32(&samples), rate.hz(), channels.into());
                }
            }
            Op::PushI16 {
                slot,
                rate,
                channels,
                samples,
                repeat,
            } => {
                for _ in 0..=repeat % 8 {
                    self.push(slot, PushData::I16(&samples), rate.hz(), channels.into());
                }
            }
            Op::PushSpeech {
                slot,
                rate,
                channels,
                offset,
                tenths,
                as_f32,
            } => {
                let start = usize::from(offset) * 16 % shared.speech.len();
                let len = (usize::from(tenths) * 1_600).min(shared.speech.len() - start);
                let pcm = &shared.speech[start..start + len];
                if as_f32 {
                    let f: Vec<f32> = pcm.iter().map(|&v| f32::from(v) / 32768.0).collect();
                    self.push(slot, PushData::F32(&f), rate.hz(), channels.into());
                } else {
                    self.push(slot, PushData::I16(pcm), rate.hz(), channels.into());
                }
            }
            Op::PushSpecial {
                slot,
                rate,
                channels,
                value,
                at,
                len,
            } => {
                let len = usize::from(len);
                let mut samples: Vec<f32> = shared.speech[..len.min(shared.speech.len())]
                    .iter()
                    .map(|&v| f32::from(v) / 32768.0)
                    .collect();
                if !samples.is_empty() {
                    let i = usize::from(at) % samples.len();
                    samples[i] = value.value();
                }
                self.push(slot, PushData::F32(&samples), rate.hz(), channels.into());
            }
            Op::PushOversized {
                slot,
                extra,
                as_f32,
            } => {
                let s = self.slot(slot);
                let count = VF_MAX_PUSH_SAMPLES + 1 + extra as usize;
                let small = [0i16; 4];
                let status = unsafe {
                    if as_f32 {
                        vf_session_push_samples(s.ptr(), [0.0f32; 4].as_ptr(), count, 16_000, 1)
                    } else {
                        vf_session_push_samples_i16(s.ptr(), small.as_ptr(), count, 16_000, 1)
                    }
                };
                let want = if s.session == 0 {
                    VF_ERR_NULL_POINTER
                } else {
                    VF_ERR_INVALID_ARGUMENT
                };
                assert_eq!(status, want, "{}", last_error());
            }
            Op::Poll {
                slot,
                capacity,
                null_out,
                refined,
            } => self.poll(slot, usize::from(capacity) % 17, null_out, refined),
            Op::Pending { slot, refined } => {
                let s = self.slot(slot);
                let mut count = usize::MAX;
                let status = unsafe {
                    if refined {
                        vf_session_pending_refined_segments(s.ptr(), &mut count)
                    } else {
                        vf_session_pending_segments(s.ptr(), &mut count)
                    }
                };
                check_status(status, "pending");
                if s.session == 0 {
                    assert_eq!(status, VF_ERR_NULL_POINTER);
                } else if refined && s.mode != SessionMode::Refining {
                    assert_eq!(
                        status, VF_ERR_INVALID_STATE,
                        "a refined result without refine"
                    );
                } else {
                    assert_eq!(status, VF_OK, "{}", last_error());
                    if (refined || s.mode == SessionMode::Offline) && !s.flushed {
                        assert_eq!(count, 0, "an answer before flush");
                    }
                    return;
                }
                assert_eq!(count, usize::MAX, "output written on failure");
            }
            Op::Flush { slot } => {
                let s = self.slot(slot);
                let status = unsafe { vf_session_flush(s.ptr()) };
                check_status(status, "flush");
                if s.session == 0 {
                    assert_eq!(status, VF_ERR_NULL_POINTER);
                } else {
                    assert_eq!(status, VF_OK, "{}", last_error());
                    s.flushed = true;
                }
            }
            Op::Voiceprint {
                slot,
                speaker,
                refined,
            } => {
                let s = self.slot(slot);
                let speaker = u32::from(speaker % 8);
                let mut out = std::ptr::null_mut();
                let status = unsafe {
                    if refined {
                        vf_session_refined_voiceprint(s.ptr(), speaker, &mut out)
                    } else {
                        vf_session_voiceprint(s.ptr(), speaker, &mut out)
                    }
                };
                check_status(status, "session_voiceprint");
                if s.session == 0 {
                    assert_eq!(status, VF_ERR_NULL_POINTER);
                }
                if status != VF_OK {
                    assert!(out.is_null(), "output written on failure");
                    return;
                }
                let dim = unsafe { vf_voiceprint_dim(out) };
                let v = unsafe { std::slice::from_raw_parts(vf_voiceprint_vector(out), dim) };
                let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                assert!(
                    dim > 0 && (norm - 1.0).abs() < 1e-3,
                    "dim {dim}, norm {norm}"
                );
                let named = unsafe { !vf_voiceprint_name(out).is_null() };
                assert_eq!(
                    named,
                    speaker < s.enrolled,
                    "voiceprint name of id {speaker}"
                );
                unsafe { vf_voiceprint_free(out) };
            }
            Op::Destroy { slot } => {
                let s = self.slot(slot);
                unsafe { vf_session_destroy(s.ptr()) };
                *s = Slot::default();
            }
        }
    }

    fn poll(&mut self, slot: bool, capacity: usize, null_out: bool, refined: bool) {
        let s = self.slot(slot);
        let mut out = vec![vf_segment::default(); capacity];
        let mut got = usize::MAX;
        let out_ptr = if null_out {
            std::ptr::null_mut()
        } else {
            out.as_mut_ptr()
        };
        let status = unsafe {
            if refined {
                vf_session_poll_refined_segments(s.ptr(), out_ptr, capacity, &mut got)
            } else {
                vf_session_poll_segments(s.ptr(), out_ptr, capacity, &mut got)
            }
        };
        check_status(status, "poll");
        // The order of the checks: the session, then (refined) whether there is a
        // refined result at all, then the buffer.
        let no_refined = s.session != 0 && refined && s.mode != SessionMode::Refining;
        if !no_refined && (s.session == 0 || (null_out && capacity > 0)) {
            assert_eq!(status, VF_ERR_NULL_POINTER);
            assert_eq!(got, usize::MAX, "output written on failure");
            return;
        }
        if no_refined {
            assert_eq!(
                status, VF_ERR_INVALID_STATE,
                "a refined result without refine"
            );
            assert_eq!(got, usize::MAX, "output written on failure");
            return;
        }
        assert_eq!(status, VF_OK);
        assert!(got <= capacity);
        if (refined || s.mode == SessionMode::Offline) && !s.flushed {
            assert_eq!(got, 0, "an answer before flush");
        }
        let stream = if refined { &mut s.refined } else { &mut s.live };
        for seg in &out[..got] {
            assert!(seg.start.is_finite() && seg.end.is_finite(), "{seg:?}");
            assert!(seg.start >= 0.0 && seg.end > seg.start, "{seg:?}");
            assert!(
                seg.start >= stream.last_start,
                "segments out of start order: {seg:?}"
            );
            // Enrolled ids (below K) at any time; the others dense from K in order.
            let known = s.enrolled;
            assert!(
                seg.speaker < known || seg.speaker <= known + stream.speakers,
                "speaker ids not dense: {seg:?}"
            );
            assert_eq!(seg.reserved, 0);
            stream.last_start = seg.start;
            if seg.speaker >= known {
                stream.speakers = stream.speakers.max(seg.speaker - known + 1);
            }
        }
    }
}

/// Enrolls `base` as `e` says into `config`; whether it was enrolled. Every refusal must
/// be a documented status and change nothing (the next enrolled id stays `enrolled`).
fn enroll_one(config: *mut vf_config, base: &[u8], e: &Enroll, enrolled: u32) -> bool {
    let mut bytes = base.to_vec();
    if let Some((at, xor)) = e.flip {
        let i = usize::from(at) % bytes.len();
        bytes[i] ^= xor;
    }
    let mut vp = std::ptr::null_mut();
    let status = unsafe { vf_voiceprint_from_bytes(bytes.as_ptr(), bytes.len(), &mut vp) };
    check_status(status, "voiceprint_from_bytes");
    if status != VF_OK {
        assert!(vp.is_null(), "output written on failure");
        return false;
    }
    if let Some(name) = &e.name {
        let name = CString::new(name.replace('\0', "")).unwrap_or_default();
        check_status(
            unsafe { vf_voiceprint_set_name(vp, name.as_ptr()) },
            "voiceprint_set_name",
        );
    }
    let mut id = u32::MAX;
    let status = unsafe { vf_config_enroll(config, vp, &mut id) };
    unsafe { vf_voiceprint_free(vp) };
    check_status(status, "config_enroll");
    if status == VF_OK {
        assert_eq!(id, enrolled, "enrolled ids count from 0");
    } else {
        assert_eq!(id, u32::MAX, "output written on failure");
    }
    status == VF_OK
}

enum PushData<'a> {
    F32(&'a [f32]),
    I16(&'a [i16]),
}

impl PushData<'_> {
    fn len(&self) -> usize {
        match self {
            PushData::F32(v) => v.len(),
            PushData::I16(v) => v.len(),
        }
    }

    fn has_non_finite(&self) -> bool {
        match self {
            PushData::F32(v) => v.iter().any(|x| !x.is_finite()),
            PushData::I16(_) => false,
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut harness = Harness {
        slots: [Slot::default(), Slot::default()],
        budget: SAMPLE_BUDGET,
    };
    for op in ops.into_iter().take(64) {
        harness.run(op);
    }
    for s in &mut harness.slots {
        unsafe { vf_session_destroy(s.ptr()) };
    }
});
