// Package voiceflow is the Go binding of voiceflow, streaming speaker diarization.
//
// Open a Model once (it is immutable and shared by goroutines), create one Session per
// audio stream, push samples as they arrive, Poll final segments, Flush at the end and
// Close every object (Close is idempotent; finalizers are only a safety net):
//
//	model, err := voiceflow.OpenModel()             // default models, 1 thread
//	if err != nil { return err }
//	defer model.Close()
//	session, err := voiceflow.NewSession(model, nil) // nil: default configuration
//	if err != nil { return err }
//	defer session.Close()
//	err = session.PushInt16(pcm, 16000, 1)
//	segments, err := session.Poll()
//
// A session streams by default. With cfg.SetMode(voiceflow.ModeOffline) Poll returns
// nothing until Flush, then the whole stream clustered at once (the best answer); with
// cfg.SetRefine(true) a streaming session keeps its live segments and also makes that
// answer at Flush, polled separately with PollRefined.
//
// Known speakers: a Voiceprint (VoiceprintFromAudio of one voice, or Session.Voiceprint
// of a speaker a session heard; stored with Bytes or Save) enrolled into a Config with
// cfg.Enroll makes the sessions created from it report that speaker under a fixed id
// (0, 1, ... in order of enrollment) and name (Session.SpeakerName).
//
// ReadAudio decodes an audio file (WAV, FLAC, MP3, Ogg Vorbis, AIFF, ...) with the
// library's own decoders, for session.PushFloat32(a.Samples, a.SampleRate, a.Channels).
//
// Errors from the library are *Error values; compare them with errors.Is against
// ErrInvalidAudio, ErrModel, ... Methods of a closed object return ErrClosed (the
// getters of a closed Voiceprint, and Session.SpeakerName, return zero values).
package voiceflow

/*
#include <stdlib.h>
#include "voiceflow.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// ABIVersion is the ABI version of the header this package was built against.
const ABIVersion = C.VF_ABI_VERSION

// Version is the version of the loaded library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.vf_version())
}

// LibraryABIVersion is the ABI version of the loaded library; it equals ABIVersion
// unless the shared library and the header went out of step.
func LibraryABIVersion() uint32 {
	return uint32(C.vf_abi_version())
}

// LoadRuntime loads ONNX Runtime from path ("" : ORT_DYLIB_PATH, then the set-up folder).
// Optional: OpenModel loads it on first use. Later calls succeed without reloading.
func LoadRuntime(path string) error {
	if strings.ContainsRune(path, 0) {
		return argError(StatusInvalidArgument, "runtime path %q contains a NUL byte", path)
	}
	var cpath *C.char
	if path != "" {
		cpath = C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	return call(func() C.vf_status { return C.vf_runtime_load(cpath) })
}
