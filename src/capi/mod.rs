//! The C ABI: the only `unsafe extern "C"` code of the crate.
//!
//! Every exported function runs inside [`boundary`]: panics are caught and become
//! `VF_ERR_INTERNAL` (the session they happened in is marked unusable), every pointer is
//! checked, outputs are written only on success, and the reason of every failure is kept
//! for `vf_last_error()` on the calling thread.
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use crate::audio::DecodedAudio;
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::models::{Model, ModelOptions};
use crate::pipeline::{Segment, Session};
use crate::voiceprint::Voiceprint;

/// Result code of every fallible function: `VF_OK` (0) or a negative `VF_ERR_*` code.
pub type vf_status = i32;

/// Success.
pub const VF_OK: vf_status = 0;
/// A required pointer argument was NULL.
pub const VF_ERR_NULL_POINTER: vf_status = -1;
/// An argument was out of range or malformed.
pub const VF_ERR_INVALID_ARGUMENT: vf_status = -2;
/// A configuration field is invalid; vf_last_error() names it.
pub const VF_ERR_INVALID_CONFIG: vf_status = -3;
/// ONNX Runtime is missing, unloadable or older than 1.31.
pub const VF_ERR_RUNTIME_UNAVAILABLE: vf_status = -4;
/// A model file is missing, unreadable or breaks the model contract.
pub const VF_ERR_MODEL: vf_status = -5;
/// ONNX Runtime failed while running a model; the session is stopped.
pub const VF_ERR_INFERENCE: vf_status = -6;
/// NaN or infinite samples (nothing was consumed), or too little speech for a voiceprint.
pub const VF_ERR_INVALID_AUDIO: vf_status = -7;
/// Rate outside 8000..=192000 Hz, or changed mid-stream; nothing was consumed.
pub const VF_ERR_UNSUPPORTED_SAMPLE_RATE: vf_status = -8;
/// Not allowed now (push after flush, or the session stopped after a failure).
pub const VF_ERR_INVALID_STATE: vf_status = -9;
/// A panic was caught; the session it happened in is unusable.
pub const VF_ERR_INTERNAL: vf_status = -10;
/// A file could not be read or written.
pub const VF_ERR_IO: vf_status = -11;
/// The requested device (e.g. a CUDA GPU) cannot be used and CPU fallback was not
/// allowed; vf_last_error() names the cause.
pub const VF_ERR_DEVICE_UNAVAILABLE: vf_status = -12;
/// An offline or refining session has taken its "max_offline_audio" seconds of audio;
/// nothing of the push was consumed and the session stays usable: flush it for the answer.
pub const VF_ERR_LIMIT_REACHED: vf_status = -13;

/// Value of the "mode" config key: segments while the stream runs (the default).
pub const VF_MODE_STREAMING: u32 = 0;
/// Value of the "mode" config key: nothing until flush, then the whole stream clustered
/// at once (the best answer; memory grows with the stream's speech).
pub const VF_MODE_OFFLINE: u32 = 1;

/// `vf_model_open_ex` flag: run on the CPU when the requested GPU cannot be used;
/// `vf_model_device_fallback()` then says why.
pub const VF_MODEL_ALLOW_CPU_FALLBACK: u32 = 1;

pub const VF_VERSION_MAJOR: u32 = 0;
pub const VF_VERSION_MINOR: u32 = 1;
pub const VF_VERSION_PATCH: u32 = 0;
/// Bumped whenever a binary built against an older header could break. Adding functions
/// or appending status codes (as `vf_model_open_ex` and `VF_ERR_DEVICE_UNAVAILABLE` did)
/// breaks nothing, so it stays 1.
pub const VF_ABI_VERSION: u32 = 1;

/// Most samples (all channels counted) one push may carry (64 Mi: 70 minutes of 16 kHz
/// mono). A larger `count` is `VF_ERR_INVALID_ARGUMENT`, checked before `samples` is
/// read; nothing is consumed. Split longer audio into several pushes.
pub const VF_MAX_PUSH_SAMPLES: usize = 67_108_864;

/// Most speakers one config may enroll (`vf_config_enroll`).
pub const VF_MAX_ENROLLED_SPEAKERS: u32 = 64;
/// Version of the voiceprint byte and JSON encodings this library writes, and the only
/// one it reads (README, section Voiceprints).
pub const VF_VOICEPRINT_FORMAT_VERSION: u32 = 1;

/// A loaded pair of segmentation and embedding models.
pub struct vf_model {
    inner: Arc<Model>,
    /// `vf_model_device` text: "cpu" or "cuda:K".
    device: CString,
    /// `vf_model_device_fallback` text, when a GPU request runs on the CPU.
    fallback: Option<CString>,
}

impl vf_model {
    fn new(model: Model) -> Box<vf_model> {
        let text = |s: &str| CString::new(s.replace('\0', " ")).unwrap_or_default();
        let report = model.device();
        Box::new(vf_model {
            device: text(&report.used),
            fallback: report.fallback.as_deref().map(text),
            inner: Arc::new(model),
        })
    }
}

/// Settings for new sessions. Every field has a default; see `vf_config_set_float`.
pub struct vf_config {
    inner: Config,
}

/// One audio stream being diarized.
pub struct vf_session {
    inner: Session,
    /// `vf_session_speaker_name` texts: the enrolled speakers' names, in id order.
    names: Vec<CString>,
    /// Set when a panic was caught inside a call on this session.
    poisoned: bool,
}

/// A decoded audio file: interleaved samples in -1..1 with their rate and channel count.
pub struct vf_audio {
    inner: DecodedAudio,
}

/// One final speaker turn.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct vf_segment {
    /// Speaker id, dense from 0 in order of appearance in this stream.
    pub speaker: u32,
    /// Always 0; keeps the layout explicit.
    pub reserved: u32,
    /// Start, in seconds from the start of the stream.
    pub start: f64,
    /// End, in seconds from the start of the stream.
    pub end: f64,
}

impl From<Segment> for vf_segment {
    fn from(s: Segment) -> Self {
        vf_segment {
            speaker: s.speaker,
            reserved: 0,
            start: s.start,
            end: s.end,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `f`, turning errors and panics into status codes and the thread's last error.
fn boundary(function: &str, f: impl FnOnce() -> Result<()>) -> vf_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => VF_OK,
        Ok(Err(e)) => {
            set_last_error(&format!("{function}: {}", e.message()));
            e.status() as vf_status
        }
        Err(payload) => {
            set_last_error(&format!(
                "{function}: internal error: {}",
                panic_message(payload.as_ref())
            ));
            VF_ERR_INTERNAL
        }
    }
}

fn null(what: &str) -> Error {
    Error::new(Status::NullPointer, format!("{what} is NULL"))
}

/// Borrows a session for the length of a call, refusing poisoned ones and poisoning it
/// if the call panics.
fn with_session(
    function: &str,
    session: *mut vf_session,
    f: impl FnOnce(&mut Session) -> Result<()>,
) -> vf_status {
    // SAFETY: the caller passes a pointer from vf_session_create, not yet destroyed,
    // used from one thread at a time (the documented contract).
    let Some(handle) = (unsafe { session.as_mut() }) else {
        return boundary(function, || Err(null("session")));
    };
    if handle.poisoned {
        return boundary(function, || {
            Err(Error::new(
                Status::Internal,
                "session is unusable after an internal error; destroy it",
            ))
        });
    }
    let status = boundary(function, || f(&mut handle.inner));
    if status == VF_ERR_INTERNAL {
        handle.poisoned = true;
    }
    status
}

/// Frees a handle made by `Box::into_raw`; NULL is a no-op. A panic in a destructor is
/// contained (the memory may then leak, the host survives).
///
/// # Safety
/// `handle` is NULL or came from `Box::into_raw` and is not used afterwards.
unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        // SAFETY: per this function's contract.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(handle) })));
    }
}

fn path_arg(what: &str, ptr: *const c_char) -> Result<Option<PathBuf>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string for the call.
    let text = unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("{what} is not valid UTF-8"),
        )
    })?;
    Ok(Some(PathBuf::from(text)))
}

fn str_arg<'a>(what: &str, ptr: *const c_char) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: non-NULL, NUL-terminated by contract, only used during the call.
    unsafe { CStr::from_ptr(ptr) }.to_str().map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// Refuses an oversized push before its samples are even looked at: the pointer of a
/// caller that passed a corrupted count is not valid for `count` elements.
fn check_push_count(count: usize) -> Result<()> {
    if count > VF_MAX_PUSH_SAMPLES {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "count {count} is more than VF_MAX_PUSH_SAMPLES ({VF_MAX_PUSH_SAMPLES}); \
                 nothing was consumed, split the audio into smaller pushes"
            ),
        ));
    }
    Ok(())
}

/// Borrows `count` elements at `ptr`; NULL is allowed only when `count` is 0.
fn slice_arg<'a, T>(what: &str, ptr: *const T, count: usize) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(what));
    }
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::new(
            Status::InvalidArgument,
            format!("{what}: count {count} is too large"),
        ));
    }
    // SAFETY: non-NULL and, by contract, valid for `count` reads during the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

// ---------------------------------------------------------------------------------------
// Library

/// Static text describing `status` (never NULL; unknown codes get a generic text).
/// The returned string lives for the whole program and must not be freed.
#[no_mangle]
pub extern "C" fn vf_status_str(status: vf_status) -> *const c_char {
    let text = Status::from_code(status).map_or(c"unknown status code", Status::description_c);
    text.as_ptr()
}

/// Detailed message of the last failing call on this thread ("" if none). The pointer
/// stays valid until the next failing call on the same thread; do not free it.
#[no_mangle]
pub extern "C" fn vf_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Library version as static text, e.g. "0.1.0". Do not free.
#[no_mangle]
pub extern "C" fn vf_version() -> *const c_char {
    static VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

/// ABI version of the loaded library; compare it with `VF_ABI_VERSION` of your header.
#[no_mangle]
pub extern "C" fn vf_abi_version() -> u32 {
    VF_ABI_VERSION
}

/// Loads ONNX Runtime from `library_path` (NULL: `ORT_DYLIB_PATH`, then the set-up
/// folder). Optional: `vf_model_open` loads it on first use. Once loaded, the library
/// stays for the life of the process and later calls return `VF_OK` without reloading.
/// `library_path` is borrowed for the call only.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_runtime_load(library_path: *const c_char) -> vf_status {
    boundary("vf_runtime_load", || {
        let path = path_arg("library_path", library_path)?;
        crate::runtime::environment(path.as_deref()).map(|_| ())
    })
}

// ---------------------------------------------------------------------------------------
// Model

/// Opens the segmentation and embedding models (NULL path: the default model from the
/// set-up folder) with `intra_threads` inference threads (0 means 1). On success
/// `*out_model` receives a new model that the caller frees once with `vf_model_free`;
/// on failure `*out_model` is untouched. Paths are borrowed for the call only.
/// Thread safety: a model is immutable and may be used from any number of threads.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_model_open(
    segmentation_path: *const c_char,
    embedding_path: *const c_char,
    intra_threads: u32,
    out_model: *mut *mut vf_model,
) -> vf_status {
    boundary("vf_model_open", || {
        if out_model.is_null() {
            return Err(null("out_model"));
        }
        let options = ModelOptions {
            segmentation: path_arg("segmentation_path", segmentation_path)?,
            embedding: path_arg("embedding_path", embedding_path)?,
            runtime_library: None,
            intra_threads: intra_threads.max(1) as usize,
            ..ModelOptions::default()
        };
        let model = vf_model::new(Model::open(&options)?);
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot.
        unsafe { *out_model = Box::into_raw(model) };
        Ok(())
    })
}

/// Frees a model. Sessions created from it keep their own reference and stay usable;
/// the memory goes when the last of them is destroyed. NULL is a no-op. Call once.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_model_free(model: *mut vf_model) {
    // SAFETY: from the matching create function, freed once by contract.
    unsafe { free_handle(model) };
}

/// Like `vf_model_open`, on a chosen device. `device` (NULL: "cpu") is "cpu", "cpu:N"
/// (N intra-op threads, 1..=64, overriding `intra_threads`), "cuda" (GPU 0), "cuda:K"
/// (GPU K) or "best" (CUDA when usable, else the CPU; always allows the fallback).
/// `flags` is 0 or `VF_MODEL_ALLOW_CPU_FALLBACK`; other bits are `VF_ERR_INVALID_ARGUMENT`.
/// A malformed device string is `VF_ERR_INVALID_ARGUMENT`. A GPU that cannot be used (a
/// library built without the `cuda` feature, a CPU-only ONNX Runtime, missing CUDA
/// libraries or driver, a bad GPU index) is `VF_ERR_DEVICE_UNAVAILABLE` with the cause in
/// `vf_last_error()`, unless the fallback is allowed: then the model runs on the CPU and
/// `vf_model_device_fallback()` gives the cause. Ownership and threads: as `vf_model_open`.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_model_open_ex(
    segmentation_path: *const c_char,
    embedding_path: *const c_char,
    device: *const c_char,
    intra_threads: u32,
    flags: u32,
    out_model: *mut *mut vf_model,
) -> vf_status {
    boundary("vf_model_open_ex", || {
        if out_model.is_null() {
            return Err(null("out_model"));
        }
        if flags & !VF_MODEL_ALLOW_CPU_FALLBACK != 0 {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("flags {flags:#x} has unknown bits"),
            ));
        }
        let device = if device.is_null() {
            crate::models::Device::Cpu
        } else {
            str_arg("device", device)?.parse()?
        };
        let options = ModelOptions {
            segmentation: path_arg("segmentation_path", segmentation_path)?,
            embedding: path_arg("embedding_path", embedding_path)?,
            intra_threads: intra_threads.max(1) as usize,
            device,
            allow_cpu_fallback: flags & VF_MODEL_ALLOW_CPU_FALLBACK != 0,
            ..ModelOptions::default()
        };
        let model = vf_model::new(Model::open(&options)?);
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot.
        unsafe { *out_model = Box::into_raw(model) };
        Ok(())
    })
}

/// The device `model` runs on: "cpu" or "cuda:K". NULL if `model` is NULL. The string
/// belongs to the model: valid until `vf_model_free`, do not free it.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_model_device(model: *const vf_model) -> *const c_char {
    // SAFETY: NULL or a live model from vf_model_open(_ex), by contract.
    unsafe { model.as_ref() }.map_or(std::ptr::null(), |m| m.device.as_ptr())
}

/// Why `model` runs on the CPU although a GPU was requested (the fallback that
/// `VF_MODEL_ALLOW_CPU_FALLBACK` or "best" allowed), or NULL when it runs where it was
/// asked to (or `model` is NULL). The string belongs to the model: valid until
/// `vf_model_free`, do not free it.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_model_device_fallback(model: *const vf_model) -> *const c_char {
    // SAFETY: NULL or a live model from vf_model_open(_ex), by contract.
    unsafe { model.as_ref() }
        .and_then(|m| m.fallback.as_ref())
        .map_or(std::ptr::null(), |f| f.as_ptr())
}

// ---------------------------------------------------------------------------------------
// Config

/// Creates a configuration holding the defaults. The caller frees it once with
/// `vf_config_free`; it may be freed right after the sessions that use it are created.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_config_new(out_config: *mut *mut vf_config) -> vf_status {
    boundary("vf_config_new", || {
        if out_config.is_null() {
            return Err(null("out_config"));
        }
        let config = Box::new(vf_config {
            inner: Config::default(),
        });
        // SAFETY: checked non-NULL; writable slot by contract.
        unsafe { *out_config = Box::into_raw(config) };
        Ok(())
    })
}

/// Frees a configuration. NULL is a no-op. Call once.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_config_free(config: *mut vf_config) {
    // SAFETY: from the matching create function, freed once by contract.
    unsafe { free_handle(config) };
}

/// Sets a numeric field by name. Keys (seconds unless noted): "latency", "step",
/// "vad_window", "tau_active" (0..1), "delta_new" (cosine distance), "rho_update",
/// "min_embedding_speech", "onset" (0..1), "offset" (0..1), "min_duration_on",
/// "min_duration_off", "min_new_speaker_speech", "embedding_interval",
/// "max_embedding_speech", "cluster_threshold" (offline clustering distance; unset: the
/// embedding model's recommendation, its narrowband one for a stream pushed at 8 kHz or
/// less, else that of "delta_new"), "cluster_count" (how the offline clustering counts
/// speakers: 0 at "cluster_threshold", 1 at the largest gap of a Ward dendrogram; unset:
/// 0 for a stream pushed at 8 kHz or less, else the embedding model's recommendation
/// (CAM++: 1), else 0),
/// "max_offline_audio" (most seconds an offline or refining
/// session takes, default and maximum 86400), the speaker-count hints "num_speakers"
/// (exact), "min_speakers" and "max_speakers" (whole numbers in 1..=64; 0 removes the
/// hint; an exact count must lie within the bounds given), and the switches "mode"
/// (`VF_MODE_STREAMING` or `VF_MODE_OFFLINE`) and "refine" (0 or 1: a streaming session
/// also produces the offline answer at flush, see `vf_session_poll_refined_segments`),
/// and "known_speaker_threshold" (cosine distance within which a voice is taken for an
/// enrolled speaker, see `vf_config_enroll`; unset: that of "delta_new").
/// Defaults and meanings: README, section Configuration.
/// A value the key can never take (an unknown key, a speaker count that is not a whole
/// number in 0..=64, a "mode", "refine" or "cluster_count" other than 0 or 1) is `VF_ERR_INVALID_ARGUMENT`
/// here and changes nothing. Other out-of-range values, and settings that contradict each
/// other (e.g. "num_speakers" 3 with "max_speakers" 2), are reported by
/// `vf_session_create` as `VF_ERR_INVALID_CONFIG`. Every message shows the value given.
/// `key` is borrowed for the call only.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_config_set_float(
    config: *mut vf_config,
    key: *const c_char,
    value: f64,
) -> vf_status {
    boundary("vf_config_set_float", || {
        // SAFETY: pointer from vf_config_new, not shared across threads during the call.
        let config = unsafe { config.as_mut() }.ok_or_else(|| null("config"))?;
        let key = str_arg("key", key)?;
        config.inner.set(key, value)
    })
}

/// Enrolls a known speaker: sessions created from `config` afterwards report speech of
/// the voice of `voiceprint` under id `*out_speaker` (the number of speakers enrolled
/// before it: 0, 1, ...) and its name (`vf_session_speaker_name`); the speakers they do
/// not know are numbered from the number enrolled, in order of appearance. A speaker of
/// the stream is taken for an enrolled one within the cosine distance
/// "known_speaker_threshold" (default: the embedding model's "delta_new"). The
/// voiceprint is copied: free it when you like. Refused with `VF_ERR_INVALID_ARGUMENT`,
/// changing nothing: a voiceprint without a name, a name enrolled already, another model
/// or dimension than the speakers enrolled before, a 65th speaker. `vf_session_create`
/// refuses (`VF_ERR_INVALID_CONFIG`) voiceprints of another embedding model than the
/// session's. `out_speaker` may be NULL. Pointers are borrowed for the call only.
/// # Safety
/// `config` is NULL or live and not used by another thread during the call;
/// `voiceprint` is NULL or live; `out_speaker` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn vf_config_enroll(
    config: *mut vf_config,
    voiceprint: *const vf_voiceprint,
    out_speaker: *mut u32,
) -> vf_status {
    boundary("vf_config_enroll", || {
        // SAFETY: pointer from vf_config_new, not shared across threads during the call.
        let config = unsafe { config.as_mut() }.ok_or_else(|| null("config"))?;
        let id = config.inner.enroll(voiceprint_arg(voiceprint)?.clone())?;
        // SAFETY: NULL or writable by contract.
        if let Some(out) = unsafe { out_speaker.as_mut() } {
            *out = id;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Session

/// Creates a session on `model` with `config` (NULL: defaults). The configuration is
/// validated here: an invalid field gives `VF_ERR_INVALID_CONFIG` and `vf_last_error()`
/// names it. On success `*out_session` receives a session that the caller destroys once
/// with `vf_session_destroy`; `model` and `config` may be freed afterwards.
/// Thread safety: a session may move between threads but must not be used by two
/// threads at once; different sessions are independent.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_create(
    model: *const vf_model,
    config: *const vf_config,
    out_session: *mut *mut vf_session,
) -> vf_status {
    boundary("vf_session_create", || {
        // SAFETY: pointers from vf_model_open / vf_config_new, valid during the call.
        let model = unsafe { model.as_ref() }.ok_or_else(|| null("model"))?;
        if out_session.is_null() {
            return Err(null("out_session"));
        }
        let config = unsafe { config.as_ref() }
            .map(|c| c.inner.clone())
            .unwrap_or_default();
        let names = config
            .speakers
            .iter()
            .map(|v| CString::new(v.name().unwrap_or_default()).unwrap_or_default())
            .collect();
        let session = Box::new(vf_session {
            inner: Session::new(Arc::clone(&model.inner), config)?,
            names,
            poisoned: false,
        });
        // SAFETY: checked non-NULL; writable slot by contract.
        unsafe { *out_session = Box::into_raw(session) };
        Ok(())
    })
}

/// Pushes `count` interleaved f32 samples (`count` a multiple of `channels`, values in
/// -1..1) at `sample_rate` Hz (8000..=192000; the same for the whole stream),
/// `channels` 1..=32 (averaged to mono). A rejected push (NaN/Inf samples:
/// `VF_ERR_INVALID_AUDIO`; bad or changed rate: `VF_ERR_UNSUPPORTED_SAMPLE_RATE`; after
/// flush: `VF_ERR_INVALID_STATE`; `count` above `VF_MAX_PUSH_SAMPLES` or not a multiple
/// of `channels`, `channels` outside 1..=32: `VF_ERR_INVALID_ARGUMENT`) consumes nothing
/// and the session stays usable. An offline or refining session refuses a push that would
/// take the stream past its "max_offline_audio" with `VF_ERR_LIMIT_REACHED` (nothing
/// consumed; flush it for the answer up to there).
/// A push of `count == 0` consumes nothing and is checked like any other push: after
/// flush it is `VF_ERR_INVALID_STATE`, with a bad rate or channel count the same error
/// as above, else `VF_OK` (`samples` may then be NULL). `samples` is borrowed for the
/// call only.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_push_samples(
    session: *mut vf_session,
    samples: *const f32,
    count: usize,
    sample_rate: u32,
    channels: u32,
) -> vf_status {
    with_session("vf_session_push_samples", session, |s| {
        check_push_count(count)?;
        let samples = slice_arg("samples", samples, count)?;
        s.push(samples, sample_rate, channels)
    })
}

/// Same as `vf_session_push_samples` for 16-bit PCM samples.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_push_samples_i16(
    session: *mut vf_session,
    samples: *const i16,
    count: usize,
    sample_rate: u32,
    channels: u32,
) -> vf_status {
    with_session("vf_session_push_samples_i16", session, |s| {
        check_push_count(count)?;
        let samples = slice_arg("samples", samples, count)?;
        s.push_i16(samples, sample_rate, channels)
    })
}

/// Copies up to `capacity` final segments, in start order, into `out` (caller-owned
/// array) and writes how many to `*out_count`. Segments that do not fit stay queued for
/// the next call; a returned segment never changes and is never returned again.
/// `capacity == 0` only reports 0 (`out` may then be NULL). A session in
/// `VF_MODE_OFFLINE` has no segments until `vf_session_flush`.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_poll_segments(
    session: *mut vf_session,
    out: *mut vf_segment,
    capacity: usize,
    out_count: *mut usize,
) -> vf_status {
    with_session("vf_session_poll_segments", session, |s| {
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_segments(out, capacity, out_count, || Ok(s.next_segment())) }
    })
}

/// Writes up to `capacity` segments from `next` into `out` and their number into
/// `*out_count`, after checking both pointers (nothing is taken when one is bad).
///
/// # Safety
/// `out` is NULL or valid for `capacity` writes; `out_count` is NULL or writable.
unsafe fn copy_segments(
    out: *mut vf_segment,
    capacity: usize,
    out_count: *mut usize,
    mut next: impl FnMut() -> Result<Option<Segment>>,
) -> Result<()> {
    if out_count.is_null() {
        return Err(null("out_count"));
    }
    if capacity > 0 && out.is_null() {
        return Err(null("out"));
    }
    let mut n = 0;
    while n < capacity {
        let Some(segment) = next()? else {
            break;
        };
        // SAFETY: `out` is non-NULL and valid for `capacity` writes by contract.
        unsafe { out.add(n).write(segment.into()) };
        n += 1;
    }
    // SAFETY: checked non-NULL.
    unsafe { *out_count = n };
    Ok(())
}

/// The refined result of a streaming session whose config has "refine" set to 1: the
/// offline answer (the whole stream clustered at once), made by `vf_session_flush`.
/// Same rules as `vf_session_poll_segments`; before the flush there is nothing (0
/// segments). Its speaker ids are its own (dense from 0 in order of appearance), unrelated
/// to the live segments' ids; the live segments already returned stay as they were.
/// Without "refine" (and for an offline session, whose own segments are the refined
/// result) it is `VF_ERR_INVALID_STATE` and nothing is written.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_poll_refined_segments(
    session: *mut vf_session,
    out: *mut vf_segment,
    capacity: usize,
    out_count: *mut usize,
) -> vf_status {
    with_session("vf_session_poll_refined_segments", session, |s| {
        // Refused without "refine" even when `capacity` is 0 and nothing would be taken.
        s.pending_refined_segments()?;
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_segments(out, capacity, out_count, || s.next_refined_segment()) }
    })
}

/// Writes the number of refined-result segments waiting to be polled to `*out_count`
/// (0 until flush). `VF_ERR_INVALID_STATE` without "refine", as
/// `vf_session_poll_refined_segments`.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_pending_refined_segments(
    session: *mut vf_session,
    out_count: *mut usize,
) -> vf_status {
    with_session("vf_session_pending_refined_segments", session, |s| {
        if out_count.is_null() {
            return Err(null("out_count"));
        }
        let n = s.pending_refined_segments()?;
        // SAFETY: checked non-NULL.
        unsafe { *out_count = n };
        Ok(())
    })
}

/// Writes the number of final segments waiting to be polled to `*out_count`.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_pending_segments(
    session: *mut vf_session,
    out_count: *mut usize,
) -> vf_status {
    with_session("vf_session_pending_segments", session, |s| {
        if out_count.is_null() {
            return Err(null("out_count"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *out_count = s.pending_segments() };
        Ok(())
    })
}

/// Ends the stream: processes the buffered tail and closes open segments, which then
/// become pollable. An offline session (or a refining one, for its refined result)
/// clusters the whole stream here: this call then takes longer (well under a second per
/// hour of speech on top of the tail). Later pushes fail with `VF_ERR_INVALID_STATE`;
/// flushing again is a no-op.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_flush(session: *mut vf_session) -> vf_status {
    with_session("vf_session_flush", session, |s| s.flush())
}

/// Destroys a session and everything it owns (unpolled segments are discarded). NULL is
/// a no-op. Call once per session.
/// # Safety
/// Every pointer argument is NULL or valid as described above, for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_destroy(session: *mut vf_session) {
    // SAFETY: from the matching create function, freed once by contract.
    unsafe { free_handle(session) };
}

// ---------------------------------------------------------------------------------------
// Audio files

/// Decodes the audio file at `path` (UTF-8) into memory: WAV (8- to 32-bit PCM, 32/64-bit
/// float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A (AAC, ALAC),
/// ADTS AAC, and MKV/WebM. The content decides the format; the extension only hints. Opus
/// is not supported. A missing, empty, non-audio or undecodable file is `VF_ERR_IO`, and
/// vf_last_error() names the file and what is supported. The samples keep the file's rate
/// and channels: push them as they are, e.g.
/// `vf_session_push_samples(s, vf_audio_samples(a), vf_audio_sample_count(a),
/// vf_audio_sample_rate(a), vf_audio_channels(a))` (split files longer than
/// VF_MAX_PUSH_SAMPLES into several pushes).
///
/// On success `*out_audio` receives a new object that the caller owns and frees once with
/// `vf_audio_free`; on failure it is left untouched. Thread-safe: it touches no shared
/// state, and the object may be read from any thread.
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out_audio` is NULL or a writable pointer;
/// both only during the call.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_read_file(
    path: *const c_char,
    out_audio: *mut *mut vf_audio,
) -> vf_status {
    boundary("vf_audio_read_file", || {
        let path = path_arg("path", path)?.ok_or_else(|| null("path"))?;
        if out_audio.is_null() {
            return Err(null("out_audio"));
        }
        let audio = Box::new(vf_audio {
            inner: crate::audio::read_audio(&path)?,
        });
        // SAFETY: checked non-NULL; writable slot by contract.
        unsafe { *out_audio = Box::into_raw(audio) };
        Ok(())
    })
}

/// Borrows `audio` for a getter; NULL reads as empty audio.
fn audio_ref<'a>(audio: *const vf_audio) -> Option<&'a DecodedAudio> {
    // SAFETY: NULL or, by contract, a live object from vf_audio_read_file.
    unsafe { audio.as_ref() }.map(|a| &a.inner)
}

/// The interleaved samples of `audio`, `vf_audio_sample_count` of them. The pointer is
/// owned by `audio` and valid until `vf_audio_free`; do not free it. NULL `audio`, or audio
/// without samples, gives NULL.
/// # Safety
/// `audio` is NULL or a live object from `vf_audio_read_file`.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_samples(audio: *const vf_audio) -> *const f32 {
    match audio_ref(audio) {
        Some(a) if !a.samples.is_empty() => a.samples.as_ptr(),
        _ => std::ptr::null(),
    }
}

/// Number of samples of `audio`, all channels counted (frames × channels); 0 for NULL.
/// # Safety
/// `audio` is NULL or a live object from `vf_audio_read_file`.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_sample_count(audio: *const vf_audio) -> usize {
    audio_ref(audio).map_or(0, |a| a.samples.len())
}

/// Sample rate of `audio` in Hz, as stored in the file; 0 for NULL.
/// # Safety
/// `audio` is NULL or a live object from `vf_audio_read_file`.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_sample_rate(audio: *const vf_audio) -> u32 {
    audio_ref(audio).map_or(0, |a| a.sample_rate)
}

/// Channel count of `audio` (its samples are interleaved); 0 for NULL.
/// # Safety
/// `audio` is NULL or a live object from `vf_audio_read_file`.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_channels(audio: *const vf_audio) -> u32 {
    audio_ref(audio).map_or(0, |a| u32::from(a.channels))
}

/// Frees decoded audio and its samples. NULL is a no-op. Call once; pointers from
/// `vf_audio_samples` die with it.
/// # Safety
/// `audio` is NULL or came from `vf_audio_read_file` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn vf_audio_free(audio: *mut vf_audio) {
    // SAFETY: from vf_audio_read_file, freed once by contract.
    unsafe { free_handle(audio) };
}

// ---------------------------------------------------------------------------------------
// Voiceprints

/// A speaker's voiceprint: the unit centroid of its voice as the embedding model sees
/// it, the model's name and version, the seconds of speech behind it, an optional name.
pub struct vf_voiceprint {
    inner: Voiceprint,
    /// C copies of the texts, valid as long as the object (names hold no NUL: checked).
    model_name: CString,
    model_version: CString,
    name: Option<CString>,
}

impl vf_voiceprint {
    fn new(inner: Voiceprint) -> Box<vf_voiceprint> {
        let text = |s: &str| CString::new(s).unwrap_or_default();
        Box::new(vf_voiceprint {
            model_name: text(inner.model()),
            model_version: text(inner.model_version()),
            name: inner.name().map(text),
            inner,
        })
    }
}

/// Writes a new voiceprint object to `*out` (checked non-NULL by the caller).
///
/// # Safety
/// `out` is non-NULL and writable.
unsafe fn give_voiceprint(out: *mut *mut vf_voiceprint, voiceprint: Voiceprint) {
    // SAFETY: per this function's contract.
    unsafe { *out = Box::into_raw(vf_voiceprint::new(voiceprint)) };
}

/// Borrows a voiceprint for a getter; NULL reads as none.
fn voiceprint_ref<'a>(voiceprint: *const vf_voiceprint) -> Option<&'a vf_voiceprint> {
    // SAFETY: NULL or, by contract, a live object from a vf_voiceprint-making function.
    unsafe { voiceprint.as_ref() }
}

/// Borrows a voiceprint argument of a fallible call; NULL is `VF_ERR_NULL_POINTER`.
fn voiceprint_arg<'a>(voiceprint: *const vf_voiceprint) -> Result<&'a Voiceprint> {
    voiceprint_ref(voiceprint)
        .map(|v| &v.inner)
        .ok_or_else(|| null("voiceprint"))
}

/// The voiceprint of `speaker`, an id of this session's segments: its centroid now and
/// the seconds of speech in its segments so far, with its name when it is an enrolled
/// speaker (`vf_config_enroll`). A streaming session answers while it streams and after
/// flush (the centroid keeps adapting until flush); an offline session answers after
/// flush. An id that no segment has had yet is `VF_ERR_INVALID_ARGUMENT`.
/// On success `*out_voiceprint` receives a new object that the caller owns and frees
/// once with `vf_voiceprint_free`; it does not depend on the session.
/// # Safety
/// `session` is NULL or a live session; `out_voiceprint` is NULL or writable; both for
/// the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_voiceprint(
    session: *mut vf_session,
    speaker: u32,
    out_voiceprint: *mut *mut vf_voiceprint,
) -> vf_status {
    with_session("vf_session_voiceprint", session, |s| {
        // SAFETY: forwarded from this function's contract.
        unsafe { session_voiceprint(out_voiceprint, speaker, s.voiceprint(speaker)) }
    })
}

/// `vf_session_voiceprint` for the refined result of a refining session (its own ids,
/// see `vf_session_poll_refined_segments`), after flush. For an offline session it is
/// the same as `vf_session_voiceprint`. Ownership: as `vf_session_voiceprint`.
/// # Safety
/// `session` is NULL or a live session; `out_voiceprint` is NULL or writable; both for
/// the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_session_refined_voiceprint(
    session: *mut vf_session,
    speaker: u32,
    out_voiceprint: *mut *mut vf_voiceprint,
) -> vf_status {
    with_session("vf_session_refined_voiceprint", session, |s| {
        // SAFETY: forwarded from this function's contract.
        unsafe { session_voiceprint(out_voiceprint, speaker, s.refined_voiceprint(speaker)) }
    })
}

/// # Safety
/// `out` is NULL or writable.
unsafe fn session_voiceprint(
    out: *mut *mut vf_voiceprint,
    speaker: u32,
    found: Option<Voiceprint>,
) -> Result<()> {
    if out.is_null() {
        return Err(null("out_voiceprint"));
    }
    let voiceprint = found.ok_or_else(|| {
        Error::new(
            Status::InvalidArgument,
            format!("speaker {speaker} has no segment in this result (yet)"),
        )
    })?;
    // SAFETY: checked non-NULL; writable by contract.
    unsafe { give_voiceprint(out, voiceprint) };
    Ok(())
}

/// Name of speaker id `speaker` of `session`: the name of the enrolled voiceprint
/// (`vf_config_enroll`) that the id belongs to, whether or not that speaker has spoken
/// yet; NULL for the speakers the session numbered itself (and for a NULL session). The
/// string belongs to the session: valid until `vf_session_destroy`, do not free it.
/// Refined-result ids share these names: enrolled ids are the same in both results.
/// # Safety
/// `session` is NULL or a live session, not used by another thread during the call.
#[no_mangle]
pub unsafe extern "C" fn vf_session_speaker_name(
    session: *const vf_session,
    speaker: u32,
) -> *const c_char {
    // SAFETY: NULL or a live session by contract.
    unsafe { session.as_ref() }
        .and_then(|s| s.names.get(speaker as usize))
        .map_or(std::ptr::null(), |n| n.as_ptr())
}

/// Makes the voiceprint of the voice heard most in `count` interleaved samples at
/// `sample_rate` Hz with `channels` channels (the rules of `vf_session_push_samples`;
/// at most `VF_MAX_PUSH_SAMPLES`), named `name` (UTF-8, NULL for none, at most 255
/// bytes). The audio should hold one voice: it is diarized like an offline session and
/// its main speaker taken. Less than 2 s of that voice is `VF_ERR_INVALID_AUDIO`
/// ("too little speech"). On success `*out_voiceprint` receives a new object that the
/// caller frees once with `vf_voiceprint_free`. Thread-safe (like a session of its own
/// on `model`); `samples` and `name` are borrowed for the call only.
/// # Safety
/// `model` is NULL or a live model; `samples` is NULL or valid for `count` reads; `name`
/// is NULL or NUL-terminated; `out_voiceprint` is NULL or writable; all for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_from_audio(
    model: *const vf_model,
    samples: *const f32,
    count: usize,
    sample_rate: u32,
    channels: u32,
    name: *const c_char,
    out_voiceprint: *mut *mut vf_voiceprint,
) -> vf_status {
    boundary("vf_voiceprint_from_audio", || {
        // SAFETY: NULL or a live model by contract.
        let model = unsafe { model.as_ref() }.ok_or_else(|| null("model"))?;
        if out_voiceprint.is_null() {
            return Err(null("out_voiceprint"));
        }
        check_push_count(count)?;
        let samples = slice_arg("samples", samples, count)?;
        let name = if name.is_null() {
            None
        } else {
            Some(str_arg("name", name)?)
        };
        let voiceprint =
            Voiceprint::from_audio(&model.inner, samples, sample_rate, channels, name)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { give_voiceprint(out_voiceprint, voiceprint) };
        Ok(())
    })
}

/// Reads a voiceprint from its byte encoding (`vf_voiceprint_to_bytes`; README, section
/// Voiceprints): all `len` bytes must be one voiceprint. Anything else (another format,
/// another format version, truncated or trailing bytes, NaN or a vector that is not unit
/// length) is `VF_ERR_INVALID_ARGUMENT` naming the cause. Whether its embedding model is
/// the session's is checked by `vf_session_create`. On success `*out_voiceprint` receives
/// a new object that the caller frees once with `vf_voiceprint_free`. `bytes` is
/// borrowed for the call only. Thread-safe.
/// # Safety
/// `bytes` is NULL or valid for `len` reads; `out_voiceprint` is NULL or writable; both
/// for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_from_bytes(
    bytes: *const u8,
    len: usize,
    out_voiceprint: *mut *mut vf_voiceprint,
) -> vf_status {
    boundary("vf_voiceprint_from_bytes", || {
        if out_voiceprint.is_null() {
            return Err(null("out_voiceprint"));
        }
        let voiceprint = Voiceprint::from_bytes(slice_arg("bytes", bytes, len)?)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { give_voiceprint(out_voiceprint, voiceprint) };
        Ok(())
    })
}

/// Length in bytes of `voiceprint`'s byte encoding; 0 for NULL.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_byte_len(voiceprint: *const vf_voiceprint) -> usize {
    voiceprint_ref(voiceprint).map_or(0, |v| v.inner.byte_len())
}

/// Writes the byte encoding of `voiceprint` (`vf_voiceprint_byte_len` bytes) into `out`
/// (caller-owned, `capacity` bytes) and its length to `*out_len`. A `capacity` below the
/// length is `VF_ERR_INVALID_ARGUMENT` (the message gives the length) and writes
/// nothing. Pointers are borrowed for the call only.
/// # Safety
/// `voiceprint` is NULL or live; `out` is NULL or valid for `capacity` writes; `out_len`
/// is NULL or writable; all for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_to_bytes(
    voiceprint: *const vf_voiceprint,
    out: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> vf_status {
    boundary("vf_voiceprint_to_bytes", || {
        let voiceprint = voiceprint_arg(voiceprint)?;
        if out.is_null() {
            return Err(null("out"));
        }
        if out_len.is_null() {
            return Err(null("out_len"));
        }
        let bytes = voiceprint.to_bytes();
        if capacity < bytes.len() {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "capacity {capacity} is less than the voiceprint's {} bytes \
                     (vf_voiceprint_byte_len)",
                    bytes.len()
                ),
            ));
        }
        // SAFETY: `out` is non-NULL and valid for `capacity` >= bytes.len() writes, and
        // cannot overlap the fresh `bytes`; `out_len` is non-NULL and writable.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
            *out_len = bytes.len();
        }
        Ok(())
    })
}

/// Reads a voiceprint JSON file, as `voiceflow enroll --out` and
/// `voiceflow diarize --export-speakers` write them (README, section Voiceprints). A
/// file that cannot be read is `VF_ERR_IO`; one that is not a valid voiceprint
/// `VF_ERR_INVALID_ARGUMENT`; both messages name the file. On success
/// `*out_voiceprint` receives a new object that the caller frees once with
/// `vf_voiceprint_free`. `path` (UTF-8) is borrowed for the call only. Thread-safe.
/// # Safety
/// `path` is NULL or NUL-terminated; `out_voiceprint` is NULL or writable; both for the
/// call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_read_file(
    path: *const c_char,
    out_voiceprint: *mut *mut vf_voiceprint,
) -> vf_status {
    boundary("vf_voiceprint_read_file", || {
        let path = path_arg("path", path)?.ok_or_else(|| null("path"))?;
        if out_voiceprint.is_null() {
            return Err(null("out_voiceprint"));
        }
        let voiceprint = Voiceprint::read_json_file(&path)?;
        // SAFETY: checked non-NULL; writable by contract.
        unsafe { give_voiceprint(out_voiceprint, voiceprint) };
        Ok(())
    })
}

/// Writes `voiceprint` to the JSON file at `path` (UTF-8), replacing it; `VF_ERR_IO`
/// names the file when it cannot be written. Both arguments are borrowed for the call.
/// # Safety
/// `voiceprint` is NULL or live; `path` is NULL or NUL-terminated; both for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_write_file(
    voiceprint: *const vf_voiceprint,
    path: *const c_char,
) -> vf_status {
    boundary("vf_voiceprint_write_file", || {
        let voiceprint = voiceprint_arg(voiceprint)?;
        let path = path_arg("path", path)?.ok_or_else(|| null("path"))?;
        voiceprint.write_json_file(&path)
    })
}

/// Dimension of `voiceprint`'s vector; 0 for NULL.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_dim(voiceprint: *const vf_voiceprint) -> usize {
    voiceprint_ref(voiceprint).map_or(0, |v| v.inner.dim())
}

/// The unit vector of `voiceprint`, `vf_voiceprint_dim` floats; NULL for NULL. The
/// pointer belongs to the voiceprint: valid until `vf_voiceprint_free`, do not free it.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_vector(voiceprint: *const vf_voiceprint) -> *const f32 {
    voiceprint_ref(voiceprint).map_or(std::ptr::null(), |v| v.inner.vector().as_ptr())
}

/// Seconds of speech the voiceprint was made from; 0 for NULL.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_speech_seconds(voiceprint: *const vf_voiceprint) -> f64 {
    voiceprint_ref(voiceprint).map_or(0.0, |v| f64::from(v.inner.speech_seconds()))
}

/// The speaker's name (UTF-8), or NULL when it has none (or `voiceprint` is NULL). The
/// string belongs to the voiceprint: valid until `vf_voiceprint_set_name` or
/// `vf_voiceprint_free`, do not free it.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_name(voiceprint: *const vf_voiceprint) -> *const c_char {
    voiceprint_ref(voiceprint)
        .and_then(|v| v.name.as_ref())
        .map_or(std::ptr::null(), |n| n.as_ptr())
}

/// Name of the embedding model that made the voiceprint (e.g. "campplus"); NULL for
/// NULL. Owned by the voiceprint, valid until `vf_voiceprint_free`.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_model_name(
    voiceprint: *const vf_voiceprint,
) -> *const c_char {
    voiceprint_ref(voiceprint).map_or(std::ptr::null(), |v| v.model_name.as_ptr())
}

/// Version of that embedding model; NULL for NULL. Owned by the voiceprint, valid until
/// `vf_voiceprint_free`.
/// # Safety
/// `voiceprint` is NULL or a live voiceprint.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_model_version(
    voiceprint: *const vf_voiceprint,
) -> *const c_char {
    voiceprint_ref(voiceprint).map_or(std::ptr::null(), |v| v.model_version.as_ptr())
}

/// Names the voiceprint `name` (UTF-8, 1..=255 bytes, not only whitespace), or removes
/// its name when `name` is NULL. A bad name is `VF_ERR_INVALID_ARGUMENT` and changes
/// nothing. The previous `vf_voiceprint_name` pointer dies here. `name` is borrowed for
/// the call only. Not to be called while another thread uses the voiceprint.
/// # Safety
/// `voiceprint` is NULL or live; `name` is NULL or NUL-terminated; both for the call only.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_set_name(
    voiceprint: *mut vf_voiceprint,
    name: *const c_char,
) -> vf_status {
    boundary("vf_voiceprint_set_name", || {
        // SAFETY: NULL or a live voiceprint, used by this thread only during the call.
        let handle = unsafe { voiceprint.as_mut() }.ok_or_else(|| null("voiceprint"))?;
        let name = if name.is_null() {
            None
        } else {
            Some(str_arg("name", name)?)
        };
        handle.inner.set_name(name)?;
        *handle = *vf_voiceprint::new(handle.inner.clone());
        Ok(())
    })
}

/// Frees a voiceprint. NULL is a no-op. Call once; its strings and vector die with it.
/// # Safety
/// `voiceprint` is NULL or came from a vf_voiceprint-making function and is not used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn vf_voiceprint_free(voiceprint: *mut vf_voiceprint) {
    // SAFETY: from a voiceprint-making function, freed once by contract.
    unsafe { free_handle(voiceprint) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        unsafe { CStr::from_ptr(vf_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn status_constants_match_the_rust_codes() {
        let constants = [
            VF_OK,
            VF_ERR_NULL_POINTER,
            VF_ERR_INVALID_ARGUMENT,
            VF_ERR_INVALID_CONFIG,
            VF_ERR_RUNTIME_UNAVAILABLE,
            VF_ERR_MODEL,
            VF_ERR_INFERENCE,
            VF_ERR_INVALID_AUDIO,
            VF_ERR_UNSUPPORTED_SAMPLE_RATE,
            VF_ERR_INVALID_STATE,
            VF_ERR_INTERNAL,
            VF_ERR_IO,
            VF_ERR_DEVICE_UNAVAILABLE,
            VF_ERR_LIMIT_REACHED,
        ];
        let codes: Vec<i32> = Status::ALL.iter().map(|s| *s as i32).collect();
        assert_eq!(constants.to_vec(), codes);
    }

    #[test]
    fn status_texts_cover_every_code() {
        for s in Status::ALL {
            let text = unsafe { CStr::from_ptr(vf_status_str(s as i32)) }
                .to_str()
                .unwrap();
            assert_eq!(text, s.description());
        }
        assert!(!vf_status_str(12345).is_null());
        assert_eq!(
            unsafe { CStr::from_ptr(vf_version()) }.to_str().unwrap(),
            crate::VERSION
        );
        assert_eq!(vf_abi_version(), VF_ABI_VERSION);
    }

    #[test]
    fn voiceprint_constants_match_the_library() {
        assert_eq!(
            VF_MAX_ENROLLED_SPEAKERS as usize,
            crate::config::MAX_ENROLLED_SPEAKERS
        );
        assert_eq!(
            VF_VOICEPRINT_FORMAT_VERSION,
            u32::from(crate::voiceprint::VOICEPRINT_FORMAT_VERSION)
        );
    }

    #[test]
    fn push_limit_matches_the_session_limit() {
        assert_eq!(VF_MAX_PUSH_SAMPLES, crate::pipeline::MAX_PUSH_SAMPLES);
        assert_eq!(check_push_count(VF_MAX_PUSH_SAMPLES), Ok(()));
        let err = check_push_count(1_000_000_000).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
        assert!(err.message().contains("nothing was consumed"));
    }

    #[test]
    fn null_pointers_are_reported_not_dereferenced() {
        assert_eq!(
            unsafe { vf_session_flush(std::ptr::null_mut()) },
            VF_ERR_NULL_POINTER
        );
        assert!(last_error().contains("session is NULL"));
        assert_eq!(
            unsafe { vf_config_new(std::ptr::null_mut()) },
            VF_ERR_NULL_POINTER
        );
        assert_eq!(
            unsafe { vf_session_create(std::ptr::null(), std::ptr::null(), std::ptr::null_mut()) },
            VF_ERR_NULL_POINTER
        );
        unsafe { vf_session_destroy(std::ptr::null_mut()) };
        unsafe { vf_model_free(std::ptr::null_mut()) };
        unsafe { vf_config_free(std::ptr::null_mut()) };
    }

    #[test]
    fn config_keys_are_checked() {
        let mut cfg = std::ptr::null_mut();
        assert_eq!(unsafe { vf_config_new(&mut cfg) }, VF_OK);
        assert_eq!(
            unsafe { vf_config_set_float(cfg, c"latency".as_ptr(), 1.0) },
            VF_OK
        );
        assert_eq!(
            unsafe { vf_config_set_float(cfg, c"num_speakers".as_ptr(), 3.0) },
            VF_OK
        );
        assert_eq!(unsafe { &*cfg }.inner.num_speakers, Some(3));
        assert_eq!(
            unsafe { vf_config_set_float(cfg, c"num_speakers".as_ptr(), 0.0) },
            VF_OK
        );
        assert_eq!(unsafe { &*cfg }.inner.num_speakers, None);
        assert_eq!(
            unsafe { vf_config_set_float(cfg, c"bogus".as_ptr(), 1.0) },
            VF_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("bogus"));
        assert_eq!(
            unsafe { vf_config_set_float(cfg, std::ptr::null(), 1.0) },
            VF_ERR_NULL_POINTER
        );
        unsafe { vf_config_free(cfg) };
    }

    /// 16 kHz mono samples of the example conversation.
    fn example_audio() -> Vec<f32> {
        let wav =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/conversation.wav");
        crate::audio::read_audio(&wav).unwrap().samples
    }

    /// Streams `audio` in 1 s pushes, flushes and polls everything.
    unsafe fn stream(session: *mut vf_session, audio: &[f32]) -> Vec<(u32, f64, f64)> {
        for piece in audio.chunks(16_000) {
            let st =
                unsafe { vf_session_push_samples(session, piece.as_ptr(), piece.len(), 16_000, 1) };
            assert_eq!(st, VF_OK, "{}", last_error());
        }
        assert_eq!(unsafe { vf_session_flush(session) }, VF_OK);
        let mut out = [vf_segment::default(); 256];
        let mut got = 0;
        let st = unsafe { vf_session_poll_segments(session, out.as_mut_ptr(), 256, &mut got) };
        assert_eq!(st, VF_OK);
        out[..got]
            .iter()
            .map(|s| (s.speaker, s.start, s.end))
            .collect()
    }

    #[test]
    fn a_caught_panic_poisons_its_session_and_no_other() {
        assert!(crate::models::setup_present(), "run `make setup` first");
        let audio = example_audio();
        let (head, tail) = audio[..16_000 * 20].split_at(16_000 * 5);
        let mut model = std::ptr::null_mut();
        assert_eq!(
            unsafe { vf_model_open(std::ptr::null(), std::ptr::null(), 1, &mut model) },
            VF_OK
        );
        let mut sessions = [std::ptr::null_mut(); 3];
        for s in &mut sessions {
            assert_eq!(
                unsafe { vf_session_create(model, std::ptr::null(), s) },
                VF_OK
            );
        }
        let [victim, neighbour, reference] = sessions;
        for s in [victim, neighbour] {
            let st = unsafe { vf_session_push_samples(s, head.as_ptr(), head.len(), 16_000, 1) };
            assert_eq!(st, VF_OK);
        }

        // A panic inside a call on `victim`, as a library bug would raise it.
        let st = with_session("vf_session_push_samples", victim, |_| {
            panic!("injected bug")
        });
        assert_eq!(st, VF_ERR_INTERNAL);
        assert!(last_error().contains("injected bug"), "{}", last_error());

        // Every later call on it is refused with the same status and a clear message.
        let mut count = 7usize;
        let mut seg = vf_segment::default();
        let calls: [(&str, vf_status); 5] = [
            ("push", unsafe {
                vf_session_push_samples(victim, tail.as_ptr(), tail.len(), 16_000, 1)
            }),
            ("push_i16", unsafe {
                vf_session_push_samples_i16(victim, [0i16; 4].as_ptr(), 4, 16_000, 1)
            }),
            ("poll", unsafe {
                vf_session_poll_segments(victim, &mut seg, 1, &mut count)
            }),
            ("pending", unsafe {
                vf_session_pending_segments(victim, &mut count)
            }),
            ("flush", unsafe { vf_session_flush(victim) }),
        ];
        for (call, st) in calls {
            assert_eq!(st, VF_ERR_INTERNAL, "{call}");
            assert!(
                last_error().contains("unusable"),
                "{call}: {}",
                last_error()
            );
        }
        assert_eq!(count, 7, "no output written by a refused call");

        // The other session on the same model goes on as if nothing happened.
        // (its first 5 s of segments are still queued: `stream` polls them all at the end)
        let neighbour_all = unsafe { stream(neighbour, tail) };
        let clean = unsafe { stream(reference, &audio[..16_000 * 20]) };
        assert!(!clean.is_empty());
        assert_eq!(neighbour_all, clean);

        // The poisoned session is still destroyed cleanly, and the model still works.
        for s in sessions {
            unsafe { vf_session_destroy(s) };
        }
        let mut again = std::ptr::null_mut();
        assert_eq!(
            unsafe { vf_session_create(model, std::ptr::null(), &mut again) },
            VF_OK
        );
        unsafe { vf_session_destroy(again) };
        unsafe { vf_model_free(model) };
    }

    #[test]
    fn panics_become_internal_errors() {
        let status = boundary("test", || panic!("boom"));
        assert_eq!(status, VF_ERR_INTERNAL);
        assert!(last_error().contains("boom"));
    }

    #[test]
    fn audio_files_are_read_through_the_abi() {
        let wav =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/conversation.wav");
        let path = CString::new(wav.to_str().unwrap()).unwrap();
        let mut audio = std::ptr::null_mut();
        assert_eq!(
            unsafe { vf_audio_read_file(path.as_ptr(), &mut audio) },
            VF_OK
        );
        let want = crate::audio::read_audio(&wav).unwrap();
        unsafe {
            assert_eq!(vf_audio_sample_rate(audio), want.sample_rate);
            assert_eq!(vf_audio_channels(audio), u32::from(want.channels));
            let samples =
                std::slice::from_raw_parts(vf_audio_samples(audio), vf_audio_sample_count(audio));
            assert!(samples == want.samples.as_slice());
            vf_audio_free(audio);
        }

        // Failures leave the output untouched and say why.
        let mut untouched = std::ptr::NonNull::<vf_audio>::dangling().as_ptr();
        let missing = c"/nonexistent/talk.mp3";
        assert_eq!(
            unsafe { vf_audio_read_file(missing.as_ptr(), &mut untouched) },
            VF_ERR_IO
        );
        assert_eq!(untouched, std::ptr::NonNull::dangling().as_ptr());
        assert!(last_error().starts_with("vf_audio_read_file: /nonexistent/talk.mp3"));
        assert_eq!(
            unsafe { vf_audio_read_file(std::ptr::null(), &mut audio) },
            VF_ERR_NULL_POINTER
        );
        assert_eq!(
            unsafe { vf_audio_read_file(path.as_ptr(), std::ptr::null_mut()) },
            VF_ERR_NULL_POINTER
        );
        // NULL reads as empty audio and frees as a no-op.
        unsafe {
            assert!(vf_audio_samples(std::ptr::null()).is_null());
            assert_eq!(vf_audio_sample_count(std::ptr::null()), 0);
            assert_eq!(vf_audio_sample_rate(std::ptr::null()), 0);
            assert_eq!(vf_audio_channels(std::ptr::null()), 0);
            vf_audio_free(std::ptr::null_mut());
        }
    }
}
