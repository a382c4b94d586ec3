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

// Audio is a decoded audio file: interleaved samples in -1..1 at the file's own rate
// and channel count, ready for session.PushFloat32(a.Samples, a.SampleRate, a.Channels).
type Audio struct {
	Samples    []float32 // interleaved: Frames() * Channels values
	SampleRate int       // Hz, as stored in the file
	Channels   int
}

// Frames is the number of samples per channel.
func (a *Audio) Frames() int {
	if a.Channels == 0 {
		return 0
	}
	return len(a.Samples) / a.Channels
}

// ReadAudio decodes the audio file at path with the library's own decoders, so Go reads
// exactly what the CLI and the other bindings read: WAV (8- to 32-bit PCM, 32/64-bit
// float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A (AAC, ALAC),
// ADTS AAC, and MKV/WebM; the content decides, not the extension. Opus is not supported.
// A missing, empty, non-audio or undecodable file is an *Error matching ErrIO whose
// message names the file and the supported formats.
func ReadAudio(path string) (*Audio, error) {
	if strings.ContainsRune(path, 0) {
		return nil, argError(StatusInvalidArgument, "audio path %q contains a NUL byte", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var handle *C.vf_audio
	if err := call(func() C.vf_status { return C.vf_audio_read_file(cpath, &handle) }); err != nil {
		return nil, err
	}
	defer C.vf_audio_free(handle)
	// Copied into Go memory so the caller owns plain slices and nothing needs closing.
	samples := make([]float32, int(C.vf_audio_sample_count(handle)))
	if len(samples) > 0 {
		copy(samples, unsafe.Slice((*float32)(unsafe.Pointer(C.vf_audio_samples(handle))), len(samples)))
	}
	return &Audio{
		Samples:    samples,
		SampleRate: int(C.vf_audio_sample_rate(handle)),
		Channels:   int(C.vf_audio_channels(handle)),
	}, nil
}
