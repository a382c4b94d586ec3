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

// Config holds session settings; every field starts at its default (README,
// section Configuration). It may be closed right after the sessions using it exist.
type Config struct {
	mu  sync.Mutex
	ptr *C.vf_config
}

// NewConfig creates a configuration holding the defaults.
func NewConfig() (*Config, error) {
	var ptr *C.vf_config
	if err := call(func() C.vf_status { return C.vf_config_new(&ptr) }); err != nil {
		return nil, err
	}
	c := &Config{ptr: ptr}
	runtime.SetFinalizer(c, (*Config).Close)
	return c, nil
}

// Set sets a field by name, e.g. Set("latency", 3) or Set("num_speakers", 2). An
// unknown key is ErrInvalidArgument; out-of-range values are reported by NewSession
// as ErrInvalidConfig.
func (c *Config) Set(key string, value float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr == nil {
		return ErrClosed
	}
	if strings.ContainsRune(key, 0) { // C would see only the part before the NUL
		return argError(StatusInvalidArgument, "config key %q contains a NUL byte", key)
	}
	ckey := C.CString(key)
	defer C.free(unsafe.Pointer(ckey))
	err := call(func() C.vf_status { return C.vf_config_set_float(c.ptr, ckey, C.double(value)) })
	runtime.KeepAlive(c)
	return err
}

// Mode is what a session produces, the "mode" config key.
type Mode int

const (
	// ModeStreaming gives final segments while the stream runs (the default).
	ModeStreaming Mode = C.VF_MODE_STREAMING
	// ModeOffline gives nothing until Flush, then the whole stream clustered at once
	// (the best answer; memory grows with the stream's speech, up to
	// "max_offline_audio" seconds, beyond which a push is ErrLimitReached).
	ModeOffline Mode = C.VF_MODE_OFFLINE
)

// SetMode sets the session mode (ModeStreaming by default). Another value is
// ErrInvalidArgument.
func (c *Config) SetMode(mode Mode) error {
	return c.Set("mode", float64(mode))
}

// SetRefine makes a streaming session also produce the offline answer at Flush, its
// refined result (Session.PollRefined), besides the live segments. Refine with
// ModeOffline is ErrInvalidConfig at NewSession.
func (c *Config) SetRefine(refine bool) error {
	v := 0.0
	if refine {
		v = 1
	}
	return c.Set("refine", v)
}

// Enroll enrolls a known speaker: sessions created from c afterwards report speech of
// the voice of vp under the returned id (the number of speakers enrolled before it: 0,
// 1, ...) and its name (Session.SpeakerName); the speakers they do not know are numbered
// from the number enrolled, in order of appearance. A voice of the stream is taken for
// an enrolled one within the cosine distance "known_speaker_threshold" (Set; default:
// the embedding model's "delta_new"). vp is copied: it may be closed afterwards.
// Refused with ErrInvalidArgument, changing nothing: a voiceprint without a name, a
// name enrolled already, another embedding model or dimension than the speakers
// enrolled before, more than MaxEnrolledSpeakers. NewSession refuses voiceprints of
// another embedding model than the session's (ErrInvalidConfig).
func (c *Config) Enroll(vp *Voiceprint) (uint32, error) {
	if vp == nil {
		return 0, argError(StatusNullPointer, "Enroll: voiceprint is nil")
	}
	c.mu.Lock() // lock order: config, then voiceprint
	defer c.mu.Unlock()
	if c.ptr == nil {
		return 0, ErrClosed
	}
	vp.mu.RLock()
	defer vp.mu.RUnlock()
	if vp.ptr == nil {
		return 0, ErrClosed
	}
	var id C.uint32_t
	err := call(func() C.vf_status { return C.vf_config_enroll(c.ptr, vp.ptr, &id) })
	runtime.KeepAlive(c)
	runtime.KeepAlive(vp)
	if err != nil {
		return 0, err
	}
	return uint32(id), nil
}

// Close frees the configuration. Calling it again does nothing.
func (c *Config) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.vf_config_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}
