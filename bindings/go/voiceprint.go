package voiceflow

/*
#include <stdlib.h>
#include "voiceflow.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// MaxEnrolledSpeakers is the most speakers one Config may enroll (Config.Enroll).
const MaxEnrolledSpeakers = C.VF_MAX_ENROLLED_SPEAKERS

// VoiceprintFormatVersion is the version of the voiceprint byte and JSON encodings this
// library writes, and the only one it reads.
const VoiceprintFormatVersion = C.VF_VOICEPRINT_FORMAT_VERSION

// Voiceprint is a speaker's voice as the embedding model sees it, kept between sessions:
// the unit centroid of its voice, the embedding model that made it (name and version;
// vectors of two models cannot be compared), the seconds of speech behind it and an
// optional name.
//
// Make one from audio of one voice (VoiceprintFromAudio), read one from a session
// (Session.Voiceprint), store it (Bytes, Save) and load it again (VoiceprintFromBytes,
// LoadVoiceprint); a named voiceprint enrolled into a Config (Config.Enroll) makes the
// sessions created from it report that speaker under a fixed id and its name.
//
// A Voiceprint owns a library object: Close it (Close is idempotent; a finalizer is only
// a safety net). Its methods may be called from several goroutines. On a closed
// Voiceprint the getters (Vector, Dim, SpeechSeconds, Name, ModelName, ModelVersion)
// return zero values and the methods that return an error return ErrClosed.
type Voiceprint struct {
	mu  sync.RWMutex // SetName and Close take it exclusively, the getters shared
	ptr *C.vf_voiceprint
}

// newVoiceprint wraps a voiceprint the library has just made.
func newVoiceprint(ptr *C.vf_voiceprint) *Voiceprint {
	v := &Voiceprint{ptr: ptr}
	runtime.SetFinalizer(v, (*Voiceprint).Close)
	return v
}

// VoiceprintFromAudio makes the voiceprint of the voice heard most in samples
// (interleaved, in -1..1, at sampleRate Hz with channels channels: the rules of
// Session.PushFloat32), named name ("" for none; at most 255 bytes of UTF-8). The audio
// should hold one voice: it is diarized like a ModeOffline session and its main speaker
// taken, which takes about as long. Less than 2 s of that voice is ErrInvalidAudio
// ("too little speech"), as are NaN or infinite samples; a bad rate is
// ErrUnsupportedSampleRate; a bad name or channel count ErrInvalidArgument. Safe to call
// from several goroutines on one model.
func VoiceprintFromAudio(model *Model, samples []float32, sampleRate, channels int, name string) (*Voiceprint, error) {
	if model == nil {
		return nil, argError(StatusNullPointer, "VoiceprintFromAudio: model is nil")
	}
	if !fitsUint32(sampleRate) {
		return nil, argError(StatusUnsupportedSampleRate, "sample rate %d Hz is out of range", sampleRate)
	}
	if !fitsUint32(channels) {
		return nil, argError(StatusInvalidArgument, "channel count %d is out of range", channels)
	}
	if strings.ContainsRune(name, 0) {
		return nil, argError(StatusInvalidArgument, "voiceprint name %q contains a NUL byte", name)
	}
	cname := optionalCString(name)
	defer C.free(unsafe.Pointer(cname))
	var data *C.float
	if len(samples) > 0 {
		data = (*C.float)(unsafe.Pointer(&samples[0]))
	}
	model.mu.RLock()
	defer model.mu.RUnlock()
	if model.ptr == nil {
		return nil, ErrClosed
	}
	var ptr *C.vf_voiceprint
	err := call(func() C.vf_status {
		return C.vf_voiceprint_from_audio(model.ptr, data, C.size_t(len(samples)),
			C.uint32_t(sampleRate), C.uint32_t(channels), cname, &ptr)
	})
	runtime.KeepAlive(model)
	runtime.KeepAlive(samples)
	if err != nil {
		return nil, err
	}
	return newVoiceprint(ptr), nil
}

// VoiceprintFromBytes reads a voiceprint from its byte encoding (Bytes): all of b must be
// one voiceprint. Anything else (another format or format version, truncated or trailing
// bytes, NaN or a vector that is not unit length) is ErrInvalidArgument naming the cause.
// Whether its embedding model is a session's is checked by NewSession.
func VoiceprintFromBytes(b []byte) (*Voiceprint, error) {
	var data *C.uint8_t
	if len(b) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&b[0]))
	}
	var ptr *C.vf_voiceprint
	err := call(func() C.vf_status { return C.vf_voiceprint_from_bytes(data, C.size_t(len(b)), &ptr) })
	runtime.KeepAlive(b)
	if err != nil {
		return nil, err
	}
	return newVoiceprint(ptr), nil
}

// LoadVoiceprint reads a voiceprint JSON file, as Save, `voiceflow enroll --out` and
// `voiceflow diarize --export-speakers` write them. A file that cannot be read is ErrIO;
// one that is not a valid voiceprint ErrInvalidArgument; both messages name the file.
func LoadVoiceprint(path string) (*Voiceprint, error) {
	if strings.ContainsRune(path, 0) {
		return nil, argError(StatusInvalidArgument, "voiceprint path %q contains a NUL byte", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ptr *C.vf_voiceprint
	if err := call(func() C.vf_status { return C.vf_voiceprint_read_file(cpath, &ptr) }); err != nil {
		return nil, err
	}
	return newVoiceprint(ptr), nil
}

// Save writes the voiceprint to the JSON file at path, replacing it; ErrIO names the
// file when it cannot be written.
func (v *Voiceprint) Save(path string) error {
	if strings.ContainsRune(path, 0) {
		return argError(StatusInvalidArgument, "voiceprint path %q contains a NUL byte", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return ErrClosed
	}
	err := call(func() C.vf_status { return C.vf_voiceprint_write_file(v.ptr, cpath) })
	runtime.KeepAlive(v)
	return err
}

// Bytes is the voiceprint's byte encoding (little-endian, exact length; README, section
// Voiceprints), for VoiceprintFromBytes.
func (v *Voiceprint) Bytes() ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return nil, ErrClosed
	}
	defer runtime.KeepAlive(v)
	out := make([]byte, int(C.vf_voiceprint_byte_len(v.ptr))) // never 0: the header alone is 15
	var got C.size_t
	err := call(func() C.vf_status {
		return C.vf_voiceprint_to_bytes(v.ptr, (*C.uint8_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &got)
	})
	if err != nil {
		return nil, err
	}
	return out[:got], nil
}

// Vector is a copy of the voiceprint's unit vector (Dim values); nil once closed.
func (v *Voiceprint) Vector() []float32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return nil
	}
	defer runtime.KeepAlive(v)
	n := int(C.vf_voiceprint_dim(v.ptr))
	out := make([]float32, n)
	if n > 0 {
		copy(out, unsafe.Slice((*float32)(unsafe.Pointer(C.vf_voiceprint_vector(v.ptr))), n))
	}
	return out
}

// Dim is the dimension of the voiceprint's vector (the embedding model's); 0 once closed.
func (v *Voiceprint) Dim() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return 0
	}
	n := int(C.vf_voiceprint_dim(v.ptr))
	runtime.KeepAlive(v)
	return n
}

// SpeechSeconds is the seconds of speech the voiceprint was made from; 0 once closed.
func (v *Voiceprint) SpeechSeconds() float64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return 0
	}
	s := float64(C.vf_voiceprint_speech_seconds(v.ptr))
	runtime.KeepAlive(v)
	return s
}

// Name is the speaker's name and true, or "" and false when the voiceprint has none
// (or is closed).
func (v *Voiceprint) Name() (string, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return "", false
	}
	defer runtime.KeepAlive(v)
	name := C.vf_voiceprint_name(v.ptr)
	if name == nil {
		return "", false
	}
	return C.GoString(name), true
}

// SetName names the voiceprint (UTF-8, 1 to 255 bytes, not only whitespace, no control
// characters), or removes its name when name is "". A bad name is ErrInvalidArgument
// and changes nothing.
func (v *Voiceprint) SetName(name string) error {
	if strings.ContainsRune(name, 0) {
		return argError(StatusInvalidArgument, "voiceprint name %q contains a NUL byte", name)
	}
	cname := optionalCString(name)
	defer C.free(unsafe.Pointer(cname))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ptr == nil {
		return ErrClosed
	}
	err := call(func() C.vf_status { return C.vf_voiceprint_set_name(v.ptr, cname) })
	runtime.KeepAlive(v)
	return err
}

// ModelName is the name of the embedding model that made the voiceprint (e.g.
// "campplus"); "" once closed.
func (v *Voiceprint) ModelName() string {
	return v.text(func(p *C.vf_voiceprint) *C.char { return C.vf_voiceprint_model_name(p) })
}

// ModelVersion is the version of the embedding model that made the voiceprint; ""
// once closed.
func (v *Voiceprint) ModelVersion() string {
	return v.text(func(p *C.vf_voiceprint) *C.char { return C.vf_voiceprint_model_version(p) })
}

// text copies a string owned by the voiceprint; "" when closed or NULL.
func (v *Voiceprint) text(f func(*C.vf_voiceprint) *C.char) string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.ptr == nil {
		return ""
	}
	s := C.GoString(f(v.ptr))
	runtime.KeepAlive(v)
	return s
}

// Close frees the voiceprint. Calling it again does nothing. Configs it was enrolled in
// keep their own copy.
func (v *Voiceprint) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ptr != nil {
		C.vf_voiceprint_free(v.ptr)
		v.ptr = nil
		runtime.SetFinalizer(v, nil)
	}
	return nil
}
