package voiceflow_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

const conversation = "../../examples/data/conversation.wav"

// Opening the default models costs about a second, so the tests share one.
var (
	sharedModel     *voiceflow.Model
	sharedModelErr  error
	sharedModelOnce sync.Once
)

func model(t *testing.T) *voiceflow.Model {
	t.Helper()
	sharedModelOnce.Do(func() { sharedModel, sharedModelErr = voiceflow.OpenModel() })
	if sharedModelErr != nil {
		t.Fatalf("OpenModel: %v", sharedModelErr)
	}
	return sharedModel
}

func audio(t *testing.T) ([]int16, int) {
	t.Helper()
	a := readAudio(t, conversation)
	if a.SampleRate != 16000 || a.Channels != 1 || a.Frames() < 50*a.SampleRate {
		t.Fatalf("%s: unexpected format %d Hz x %d, %d frames", conversation, a.SampleRate, a.Channels, a.Frames())
	}
	return toInt16(a.Samples), a.SampleRate
}

func newSession(t *testing.T, cfg *voiceflow.Config) *voiceflow.Session {
	t.Helper()
	s, err := voiceflow.NewSession(model(t), cfg)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// wantStatus fails unless err is an *Error with the given status that errors.Is
// matches against the sentinel, and no other sentinel.
func wantStatus(t *testing.T, what string, err error, sentinel *voiceflow.Error) {
	t.Helper()
	var vfErr *voiceflow.Error
	if !errors.As(err, &vfErr) {
		t.Fatalf("%s: got %v, want a *voiceflow.Error with %s", what, err, sentinel.Status)
	}
	if !errors.Is(err, sentinel) || vfErr.Status != sentinel.Status {
		t.Fatalf("%s: got status %d (%v), want %s", what, vfErr.Status, err, sentinel.Status)
	}
	if errors.Is(err, voiceflow.ErrInternal) {
		t.Fatalf("%s: %v also matches ErrInternal", what, err)
	}
	if vfErr.Message == "" {
		t.Fatalf("%s: error without a message", what)
	}
}

// diarize streams pcm through a new session in chunks (cycling through sizes; odd
// pushes as float32 when mixF32), polling after every push, then flushes and drains.
func diarize(m *voiceflow.Model, pcm []int16, rate int, chunks []int, mixF32 bool) ([]voiceflow.Segment, error) {
	s, err := voiceflow.NewSession(m, nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var out []voiceflow.Segment
	for pos, k := 0, 0; pos < len(pcm); k++ {
		end := pos + chunks[k%len(chunks)]
		if end > len(pcm) {
			end = len(pcm)
		}
		if mixF32 && k%2 == 1 {
			err = s.PushFloat32(toFloat32(pcm[pos:end]), rate, 1)
		} else {
			err = s.PushInt16(pcm[pos:end], rate, 1)
		}
		if err != nil {
			return nil, fmt.Errorf("push %d at %d: %w", k, pos, err)
		}
		segs, err := s.Poll()
		if err != nil {
			return nil, err
		}
		out = append(out, segs...)
		pos = end
	}
	if err := s.Flush(); err != nil {
		return nil, err
	}
	for {
		segs, err := s.Poll()
		if err != nil {
			return nil, err
		}
		if len(segs) == 0 {
			return out, nil
		}
		out = append(out, segs...)
	}
}

// toFloat32 converts exactly like the library's i16 entry point (v / 32768).
func toFloat32(pcm []int16) []float32 {
	f := make([]float32, len(pcm))
	for i, v := range pcm {
		f[i] = float32(v) / 32768
	}
	return f
}

func TestVersion(t *testing.T) {
	if v := voiceflow.Version(); !strings.Contains(v, ".") {
		t.Fatalf("Version() = %q", v)
	}
	if got := voiceflow.LibraryABIVersion(); got != voiceflow.ABIVersion {
		t.Fatalf("library ABI %d, header ABI %d", got, voiceflow.ABIVersion)
	}
	if voiceflow.StatusModel.String() == voiceflow.StatusIO.String() || voiceflow.StatusOK.String() == "" {
		t.Fatalf("status texts are not distinct")
	}
	if err := voiceflow.LoadRuntime(""); err != nil {
		t.Fatalf("LoadRuntime(\"\") after set-up: %v", err)
	}
}

func TestOpenModelErrors(t *testing.T) {
	missing := "/nonexistent-voiceflow-dir/no_such_segmentation.onnx"
	m, err := voiceflow.OpenModel(voiceflow.WithSegmentation(missing))
	if m != nil {
		t.Fatalf("got a model for a missing file")
	}
	wantStatus(t, "missing segmentation model", err, voiceflow.ErrModel)
	if !strings.Contains(err.Error(), missing) {
		t.Fatalf("message %q does not name the path", err)
	}
	_, err = voiceflow.OpenModel(voiceflow.WithEmbedding(conversation))
	wantStatus(t, "WAV as embedding model", err, voiceflow.ErrModel)
	_, err = voiceflow.OpenModel(voiceflow.WithSegmentation("a\x00b"))
	wantStatus(t, "path with NUL", err, voiceflow.ErrInvalidArgument)
	_, err = voiceflow.OpenModel(voiceflow.WithThreads(-1))
	wantStatus(t, "negative thread count", err, voiceflow.ErrInvalidArgument)
	if _, err := voiceflow.NewSession(nil, nil); !errors.Is(err, voiceflow.ErrNullPointer) {
		t.Fatalf("NewSession(nil): got %v", err)
	}
}

func TestConfig(t *testing.T) {
	cfg, err := voiceflow.NewConfig()
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.Close()
	wantStatus(t, "unknown key", cfg.Set("no_such_key", 1), voiceflow.ErrInvalidArgument)
	wantStatus(t, "key with NUL", cfg.Set("onset\x00x", 0.5), voiceflow.ErrInvalidArgument)
	if err := cfg.Set("onset", 2); err != nil { // range is checked by NewSession
		t.Fatalf("Set(onset, 2): %v", err)
	}
	_, err = voiceflow.NewSession(model(t), cfg)
	wantStatus(t, "onset 2", err, voiceflow.ErrInvalidConfig)
	if !strings.Contains(err.Error(), "onset") {
		t.Fatalf("message %q does not name the field", err)
	}
	if err := cfg.Set("onset", 0.6); err != nil { // above the default model's offset (0.5)
		t.Fatal(err)
	}
	if err := cfg.Set("num_speakers", 2); err != nil {
		t.Fatal(err)
	}
	s, err := voiceflow.NewSession(model(t), cfg)
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	s.Close()

	// Closing is idempotent and a closed config is refused, not used.
	if cfg.Close() != nil || cfg.Close() != nil {
		t.Fatal("Close returned an error")
	}
	if err := cfg.Set("latency", 3); !errors.Is(err, voiceflow.ErrClosed) {
		t.Fatalf("Set on closed config: %v", err)
	}
	if _, err := voiceflow.NewSession(model(t), cfg); !errors.Is(err, voiceflow.ErrClosed) {
		t.Fatalf("NewSession with closed config: %v", err)
	}
}

func TestEmptySlicesAreNoOps(t *testing.T) {
	s := newSession(t, nil)
	for name, push := range map[string]func() error{
		"nil float32":   func() error { return s.PushFloat32(nil, 16000, 1) },
		"empty float32": func() error { return s.PushFloat32([]float32{}, 16000, 1) },
		"nil int16":     func() error { return s.PushInt16(nil, 16000, 1) },
		"empty int16":   func() error { return s.PushInt16(make([]int16, 0, 8), 16000, 1) },
	} {
		if err := push(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	segs, err := s.Poll()
	if err != nil || segs == nil || len(segs) != 0 {
		t.Fatalf("Poll on an empty stream: %v, %v", segs, err)
	}
	if n, err := s.Pending(); err != nil || n != 0 {
		t.Fatalf("Pending: %d, %v", n, err)
	}
	// An empty push does not fix the stream's rate.
	if err := s.PushInt16(make([]int16, 800), 8000, 1); err != nil {
		t.Fatalf("first real push at 8 kHz: %v", err)
	}
}

func TestRejectedPushes(t *testing.T) {
	s := newSession(t, nil)
	good := make([]int16, 1600)
	if err := s.PushInt16(good, 16000, 1); err != nil {
		t.Fatal(err)
	}
	nan := []float32{0, float32(math.NaN()), 0, 0}
	wantStatus(t, "NaN", s.PushFloat32(nan, 16000, 1), voiceflow.ErrInvalidAudio)
	wantStatus(t, "Inf", s.PushFloat32([]float32{float32(math.Inf(1))}, 16000, 1), voiceflow.ErrInvalidAudio)
	wantStatus(t, "rate change", s.PushInt16(good, 44100, 1), voiceflow.ErrUnsupportedSampleRate)
	wantStatus(t, "negative rate", s.PushInt16(good, -16000, 1), voiceflow.ErrUnsupportedSampleRate)
	wantStatus(t, "huge rate", s.PushInt16(good, math.MaxInt, 1), voiceflow.ErrUnsupportedSampleRate)
	wantStatus(t, "zero channels", s.PushInt16(good, 16000, 0), voiceflow.ErrInvalidArgument)
	wantStatus(t, "negative channels", s.PushInt16(good, 16000, -1), voiceflow.ErrInvalidArgument)
	wantStatus(t, "partial frame", s.PushInt16(good[:3], 16000, 2), voiceflow.ErrInvalidArgument)
	// The session is still usable after rejected pushes.
	if err := s.PushInt16(good, 16000, 1); err != nil {
		t.Fatalf("push after rejected pushes: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
	wantStatus(t, "push after flush", s.PushInt16(good, 16000, 1), voiceflow.ErrInvalidState)
	wantStatus(t, "empty push after flush", s.PushFloat32(nil, 16000, 1), voiceflow.ErrInvalidState)
}

// Every push takes the sample rate: a wrongly assumed rate would give wrong segments and no
// error, so no push method may exist without one (Go has no default arguments; a new
// method is the only way to add one). The shape is (samples, sampleRate, channels int).
func TestEveryPushTakesTheSampleRate(t *testing.T) {
	session := reflect.TypeOf(&voiceflow.Session{})
	intType := reflect.TypeOf(0)
	pushes := 0
	for i := 0; i < session.NumMethod(); i++ {
		method := session.Method(i)
		if !strings.HasPrefix(method.Name, "Push") {
			continue
		}
		pushes++
		in := method.Type // receiver, samples, sampleRate, channels
		if in.NumIn() != 4 || in.In(1).Kind() != reflect.Slice || in.In(2) != intType || in.In(3) != intType {
			t.Errorf("%s%v: want (samples []T, sampleRate, channels int)", method.Name, in)
		}
	}
	if pushes != 2 {
		t.Errorf("%d Push methods, want PushFloat32 and PushInt16", pushes)
	}
}

func TestClosedSession(t *testing.T) {
	s := newSession(t, nil)
	if s.Close() != nil || s.Close() != nil {
		t.Fatal("Close returned an error")
	}
	checks := map[string]error{
		"PushFloat32": s.PushFloat32([]float32{0}, 16000, 1),
		"PushInt16":   s.PushInt16(nil, 16000, 1),
		"Flush":       s.Flush(),
	}
	_, checks["Poll"] = s.Poll()
	_, checks["Pending"] = s.Pending()
	_, checks["PollRefined"] = s.PollRefined()
	_, checks["PendingRefined"] = s.PendingRefined()
	for name, err := range checks {
		if !errors.Is(err, voiceflow.ErrClosed) {
			t.Fatalf("%s on a closed session: %v", name, err)
		}
	}
}

func TestModelOutlivedBySessions(t *testing.T) {
	m, err := voiceflow.OpenModel(voiceflow.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := voiceflow.NewSession(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m.Close() != nil || m.Close() != nil {
		t.Fatal("Close returned an error")
	}
	if _, err := voiceflow.NewSession(m, nil); !errors.Is(err, voiceflow.ErrClosed) {
		t.Fatalf("NewSession on a closed model: %v", err)
	}
	pcm, rate := audio(t)
	if err := s.PushInt16(pcm[:10*rate], rate, 1); err != nil {
		t.Fatalf("session of a closed model: %v", err)
	}
}

func TestChunkedStreamingEqualsWholeFile(t *testing.T) {
	pcm, rate := audio(t)
	whole, err := diarize(model(t), pcm, rate, []int{len(pcm)}, false)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, whole, float64(len(pcm))/float64(rate))
	chunked, err := diarize(model(t), pcm, rate, []int{rate / 10, 1, 4099, 160, 32000}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole, chunked) {
		t.Fatalf("chunked streaming differs from the whole file:\n%v\n%v", whole, chunked)
	}
}

// checkShape: the example conversation has several speakers, ordered segments and
// dense speaker ids in order of appearance.
func checkShape(t *testing.T, segs []voiceflow.Segment, duration float64) {
	t.Helper()
	if len(segs) < 10 {
		t.Fatalf("only %d segments", len(segs))
	}
	next := uint32(0)
	for i, s := range segs {
		if s.Start < 0 || s.Start > s.End || s.End > duration+0.01 {
			t.Fatalf("segment %d out of bounds: %+v", i, s)
		}
		if i > 0 && s.Start < segs[i-1].Start {
			t.Fatalf("segment %d starts before segment %d", i, i-1)
		}
		if s.Speaker > next {
			t.Fatalf("segment %d: speaker %d before speaker %d appeared", i, s.Speaker, next)
		}
		if s.Speaker == next {
			next++
		}
	}
	if next < 2 {
		t.Fatalf("only %d speaker(s)", next)
	}
}

func TestConcurrentSessionsOnOneModel(t *testing.T) {
	pcm, rate := audio(t)
	pcm = pcm[:20*rate] // 20 s keeps the test short; the full file runs above
	chunks := []int{rate / 10}
	want, err := diarize(model(t), pcm, rate, chunks, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("no segments in 20 s of conversation")
	}
	const workers = 3
	results := make([][]voiceflow.Segment, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = diarize(model(t), pcm, rate, chunks, i%2 == 1)
		}(i)
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if !reflect.DeepEqual(results[i], want) {
			t.Fatalf("goroutine %d differs from the sequential run:\n%v\n%v", i, results[i], want)
		}
	}
}

func TestErrorWrapping(t *testing.T) {
	s := newSession(t, nil)
	err := fmt.Errorf("context: %w", s.PushFloat32([]float32{float32(math.NaN())}, 16000, 1))
	if !errors.Is(err, voiceflow.ErrInvalidAudio) || errors.Is(err, voiceflow.ErrModel) {
		t.Fatalf("wrapped error does not match its sentinel only: %v", err)
	}
	if !strings.Contains(err.Error(), "NaN") && !strings.Contains(strings.ToLower(err.Error()), "sample") {
		t.Fatalf("message does not describe the problem: %v", err)
	}
}
