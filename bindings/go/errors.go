package voiceflow

/*
#include "voiceflow.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Status is a voiceflow status code (vf_status): 0 or a negative error code.
// Codes are never renumbered or reused.
type Status int32

// The status codes of include/voiceflow.h.
const (
	StatusOK                    Status = C.VF_OK
	StatusNullPointer           Status = C.VF_ERR_NULL_POINTER
	StatusInvalidArgument       Status = C.VF_ERR_INVALID_ARGUMENT
	StatusInvalidConfig         Status = C.VF_ERR_INVALID_CONFIG
	StatusRuntimeUnavailable    Status = C.VF_ERR_RUNTIME_UNAVAILABLE
	StatusModel                 Status = C.VF_ERR_MODEL
	StatusInference             Status = C.VF_ERR_INFERENCE
	StatusInvalidAudio          Status = C.VF_ERR_INVALID_AUDIO
	StatusUnsupportedSampleRate Status = C.VF_ERR_UNSUPPORTED_SAMPLE_RATE
	StatusInvalidState          Status = C.VF_ERR_INVALID_STATE
	StatusInternal              Status = C.VF_ERR_INTERNAL
	StatusIO                    Status = C.VF_ERR_IO
	StatusDeviceUnavailable     Status = C.VF_ERR_DEVICE_UNAVAILABLE
	StatusLimitReached          Status = C.VF_ERR_LIMIT_REACHED
)

// String is the library's static description of the status.
func (s Status) String() string {
	return C.GoString(C.vf_status_str(C.vf_status(s)))
}

// Error is a failed library call: its status and the detailed message (vf_last_error).
// Compare with errors.Is against the Err* sentinels, which match on Status alone.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("voiceflow: %s (%d)", e.Status, int32(e.Status))
	}
	return fmt.Sprintf("voiceflow: %s (%s)", e.Message, e.Status)
}

// Is reports whether target is an *Error with the same status, so that
// errors.Is(err, voiceflow.ErrInvalidAudio) works whatever the message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Sentinels for errors.Is, one per error status.
var (
	ErrNullPointer           = &Error{Status: StatusNullPointer}
	ErrInvalidArgument       = &Error{Status: StatusInvalidArgument}
	ErrInvalidConfig         = &Error{Status: StatusInvalidConfig}
	ErrRuntimeUnavailable    = &Error{Status: StatusRuntimeUnavailable}
	ErrModel                 = &Error{Status: StatusModel}
	ErrInference             = &Error{Status: StatusInference}
	ErrInvalidAudio          = &Error{Status: StatusInvalidAudio}
	ErrUnsupportedSampleRate = &Error{Status: StatusUnsupportedSampleRate}
	ErrInvalidState          = &Error{Status: StatusInvalidState}
	ErrInternal              = &Error{Status: StatusInternal}
	ErrIO                    = &Error{Status: StatusIO}
	// ErrDeviceUnavailable: the requested GPU cannot be used and CPU fallback was not
	// allowed (WithCPUFallback); the message names the cause.
	ErrDeviceUnavailable = &Error{Status: StatusDeviceUnavailable}
	// ErrLimitReached: an offline or refining session has taken its
	// "max_offline_audio" seconds; the push consumed nothing and Flush gives the answer
	// up to there.
	ErrLimitReached = &Error{Status: StatusLimitReached}
)

// ErrClosed is returned by the methods of a Model, Config, Session or Voiceprint after
// Close (those that return an error).
var ErrClosed = errors.New("voiceflow: use of a closed object")

// call runs one library call and turns a failure into an *Error carrying vf_last_error.
// vf_last_error is per OS thread, so the goroutine is pinned to its thread from the call
// until the message has been read; otherwise it could read another thread's message.
func call(f func() C.vf_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.VF_OK {
		return nil
	}
	return &Error{Status: Status(st), Message: C.GoString(C.vf_last_error())}
}

// argError reports an argument that cannot even be passed to the library.
func argError(status Status, format string, args ...interface{}) error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// fitsUint32 reports whether n can be passed as a C uint32_t. (Written with uint64 so
// that it also compiles where int has 32 bits.)
func fitsUint32(n int) bool {
	return n >= 0 && uint64(n) <= math.MaxUint32
}
