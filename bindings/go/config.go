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
