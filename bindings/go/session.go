package voiceflow

/*
#include "voiceflow.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Segment is one final speaker turn. Speaker ids are dense from 0 in order of
// appearance in the stream; times are seconds from the start of the stream.
type Segment struct {
	Speaker uint32
	Start   float64
	End     float64
}

// Session diarizes one audio stream. Its methods are serialised by a mutex, but a
// stream is naturally fed by one goroutine; use one session per stream.
type Session struct {
	mu  sync.Mutex
	ptr *C.vf_session
}

// pollBatch is how many segments one vf_session_poll_segments call may return.
const pollBatch = 64

// NewSession creates a session on model with cfg (nil: the default configuration).
// The configuration is validated here (ErrInvalidConfig names the bad field); model
// and cfg may be closed afterwards.
func NewSession(model *Model, cfg *Config) (*Session, error) {
	if model == nil {
		return nil, argError(StatusNullPointer, "NewSession: model is nil")
	}
	model.mu.RLock()
	defer model.mu.RUnlock()
	if model.ptr == nil {
		return nil, ErrClosed
	}
	var cptr *C.vf_config
	if cfg != nil {
		cfg.mu.Lock()
		defer cfg.mu.Unlock()
		if cfg.ptr == nil {
			return nil, ErrClosed
		}
		cptr = cfg.ptr
	}
	var ptr *C.vf_session
	err := call(func() C.vf_status { return C.vf_session_create(model.ptr, cptr, &ptr) })
	runtime.KeepAlive(model)
	runtime.KeepAlive(cfg)
	if err != nil {
		return nil, err
	}
	s := &Session{ptr: ptr}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// PushFloat32 pushes interleaved samples in -1..1 at sampleRate Hz (8000..192000, the
// same for the whole stream) with channels channels (1..32, averaged to mono).
// len(samples) must be a multiple of channels; an empty slice pushes nothing and is
// checked like any push (so it too is ErrInvalidState after Flush). A rejected
// push (ErrInvalidAudio, ErrUnsupportedSampleRate, ErrInvalidState after Flush, ...)
// consumes nothing and the session stays usable. A ModeOffline or refining session
// refuses a push that would take the stream past its "max_offline_audio" seconds with
// ErrLimitReached; Flush then gives the answer up to there.
func (s *Session) PushFloat32(samples []float32, sampleRate, channels int) error {
	var data *C.float
	if len(samples) > 0 { // &samples[0] would panic on an empty slice
		data = (*C.float)(unsafe.Pointer(&samples[0]))
	}
	return s.push(sampleRate, channels, func(ptr *C.vf_session, rate, ch C.uint32_t) C.vf_status {
		return C.vf_session_push_samples(ptr, data, C.size_t(len(samples)), rate, ch)
	})
}

// PushInt16 is PushFloat32 for 16-bit PCM samples.
func (s *Session) PushInt16(samples []int16, sampleRate, channels int) error {
	var data *C.int16_t
	if len(samples) > 0 {
		data = (*C.int16_t)(unsafe.Pointer(&samples[0]))
	}
	return s.push(sampleRate, channels, func(ptr *C.vf_session, rate, ch C.uint32_t) C.vf_status {
		return C.vf_session_push_samples_i16(ptr, data, C.size_t(len(samples)), rate, ch)
	})
}

// push checks what C's uint32 parameters cannot represent, then runs one push call.
func (s *Session) push(sampleRate, channels int, f func(*C.vf_session, C.uint32_t, C.uint32_t) C.vf_status) error {
	if !fitsUint32(sampleRate) {
		return argError(StatusUnsupportedSampleRate, "sample rate %d Hz is out of range", sampleRate)
	}
	if !fitsUint32(channels) {
		return argError(StatusInvalidArgument, "channel count %d is out of range", channels)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return ErrClosed
	}
	err := call(func() C.vf_status { return f(s.ptr, C.uint32_t(sampleRate), C.uint32_t(channels)) })
	runtime.KeepAlive(s)
	return err
}

// Poll returns every final segment not returned before, in start order (none: an
// empty slice). A returned segment never changes. A ModeOffline session has none
// before Flush.
func (s *Session) Poll() ([]Segment, error) {
	return s.poll(func(ptr *C.vf_session, out *C.vf_segment, capacity C.size_t, got *C.size_t) C.vf_status {
		return C.vf_session_poll_segments(ptr, out, capacity, got)
	})
}

// PollRefined is Poll for the refined result of a session configured with
// SetRefine(true): the whole stream clustered at once, made by Flush (none before).
// Its speaker ids are its own, unrelated to the live segments'. Without refine
// (including ModeOffline sessions, whose Poll is the refined answer) it is
// ErrInvalidState.
func (s *Session) PollRefined() ([]Segment, error) {
	return s.poll(func(ptr *C.vf_session, out *C.vf_segment, capacity C.size_t, got *C.size_t) C.vf_status {
		return C.vf_session_poll_refined_segments(ptr, out, capacity, got)
	})
}

// poll drains one segment queue in batches of pollBatch.
func (s *Session) poll(f func(*C.vf_session, *C.vf_segment, C.size_t, *C.size_t) C.vf_status) ([]Segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return nil, ErrClosed
	}
	defer runtime.KeepAlive(s)
	segments := []Segment{}
	var buf [pollBatch]C.vf_segment
	for {
		var got C.size_t
		if err := call(func() C.vf_status { return f(s.ptr, &buf[0], pollBatch, &got) }); err != nil {
			return segments, err
		}
		for _, seg := range buf[:got] {
			segments = append(segments, Segment{
				Speaker: uint32(seg.speaker),
				Start:   float64(seg.start),
				End:     float64(seg.end),
			})
		}
		if got < pollBatch {
			return segments, nil
		}
	}
}

// Pending is the number of final segments waiting to be polled.
func (s *Session) Pending() (int, error) {
	return s.pending(func(ptr *C.vf_session, n *C.size_t) C.vf_status {
		return C.vf_session_pending_segments(ptr, n)
	})
}

// PendingRefined is the number of refined-result segments waiting to be polled (0
// before Flush); ErrInvalidState without refine, as PollRefined.
func (s *Session) PendingRefined() (int, error) {
	return s.pending(func(ptr *C.vf_session, n *C.size_t) C.vf_status {
		return C.vf_session_pending_refined_segments(ptr, n)
	})
}

func (s *Session) pending(f func(*C.vf_session, *C.size_t) C.vf_status) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return 0, ErrClosed
	}
	var n C.size_t
	err := call(func() C.vf_status { return f(s.ptr, &n) })
	runtime.KeepAlive(s)
	return int(n), err
}

// Flush ends the stream: the buffered tail is processed and open segments close, to be
// returned by the next Poll. A ModeOffline session (or a refining one, for
// PollRefined) clusters the whole stream here, which takes a little longer. Later pushes fail with ErrInvalidState; flushing again is
// a no-op.
func (s *Session) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return ErrClosed
	}
	err := call(func() C.vf_status { return C.vf_session_flush(s.ptr) })
	runtime.KeepAlive(s)
	return err
}

// Voiceprint is the voiceprint of speaker id, an id of this session's segments: its
// centroid now and the seconds of speech in its segments so far, with its name when it
// is an enrolled speaker (Config.Enroll). A streaming session answers while it streams
// and after Flush (the centroid keeps adapting until Flush); a ModeOffline session
// after Flush. An id that no segment has had yet is ErrInvalidArgument. The voiceprint
// does not depend on the session; Close it.
func (s *Session) Voiceprint(id uint32) (*Voiceprint, error) {
	return s.voiceprint(func(ptr *C.vf_session, out **C.vf_voiceprint) C.vf_status {
		return C.vf_session_voiceprint(ptr, C.uint32_t(id), out)
	})
}

// RefinedVoiceprint is Voiceprint for the refined result of a refining session (its own
// ids, those of PollRefined), after Flush; before Flush, or without refine, it is
// ErrInvalidArgument. For a ModeOffline session it is the same as Voiceprint.
func (s *Session) RefinedVoiceprint(id uint32) (*Voiceprint, error) {
	return s.voiceprint(func(ptr *C.vf_session, out **C.vf_voiceprint) C.vf_status {
		return C.vf_session_refined_voiceprint(ptr, C.uint32_t(id), out)
	})
}

func (s *Session) voiceprint(f func(*C.vf_session, **C.vf_voiceprint) C.vf_status) (*Voiceprint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return nil, ErrClosed
	}
	var ptr *C.vf_voiceprint
	err := call(func() C.vf_status { return f(s.ptr, &ptr) })
	runtime.KeepAlive(s)
	if err != nil {
		return nil, err
	}
	return newVoiceprint(ptr), nil
}

// SpeakerName is the name of speaker id and true when id belongs to an enrolled speaker
// (Config.Enroll), whether or not it has spoken yet; "" and false for the speakers the
// session numbered itself (and once the session is closed). Ids of the refined result
// share these names: enrolled ids are the same in both results.
func (s *Session) SpeakerName(id uint32) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return "", false
	}
	defer runtime.KeepAlive(s)
	name := C.vf_session_speaker_name(s.ptr, C.uint32_t(id))
	if name == nil {
		return "", false
	}
	return C.GoString(name), true
}

// Close destroys the session; unpolled segments are discarded. Calling it again does
// nothing.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.vf_session_destroy(s.ptr)
		s.ptr = nil
		runtime.SetFinalizer(s, nil)
	}
	return nil
}
