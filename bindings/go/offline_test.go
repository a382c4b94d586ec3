package voiceflow_test

import (
	"testing"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

// The example conversation has three speakers (alice, bob, carol).
const conversationSpeakers = 3

// newConfig is a closed-on-cleanup configuration with the given mode and refine switch.
func newConfig(t *testing.T, mode voiceflow.Mode, refine bool) *voiceflow.Config {
	t.Helper()
	cfg, err := voiceflow.NewConfig()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cfg.Close() })
	if err := cfg.SetMode(mode); err != nil {
		t.Fatalf("SetMode(%d): %v", mode, err)
	}
	if err := cfg.SetRefine(refine); err != nil {
		t.Fatalf("SetRefine(%v): %v", refine, err)
	}
	return cfg
}

func speakers(segs []voiceflow.Segment) int {
	seen := map[uint32]bool{}
	for _, s := range segs {
		seen[s.Speaker] = true
	}
	return len(seen)
}

// pushAll pushes pcm in 1 s chunks and returns what Poll gave after each push.
func pushAll(t *testing.T, s *voiceflow.Session, pcm []int16, rate int) []voiceflow.Segment {
	t.Helper()
	var live []voiceflow.Segment
	for pos := 0; pos < len(pcm); pos += rate {
		end := pos + rate
		if end > len(pcm) {
			end = len(pcm)
		}
		if err := s.PushInt16(pcm[pos:end], rate, 1); err != nil {
			t.Fatalf("push at %d: %v", pos, err)
		}
		segs, err := s.Poll()
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, segs...)
	}
	return live
}

func TestOfflineMode(t *testing.T) {
	pcm, rate := audio(t)
	s := newSession(t, newConfig(t, voiceflow.ModeOffline, false))
	if live := pushAll(t, s, pcm, rate); len(live) != 0 {
		t.Fatalf("offline session gave %d segments before Flush", len(live))
	}
	if n, err := s.Pending(); err != nil || n != 0 {
		t.Fatalf("Pending before Flush: %d, %v", n, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	segs, err := s.Poll()
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, segs, float64(len(pcm))/float64(rate))
	if n := speakers(segs); n != conversationSpeakers {
		t.Fatalf("offline answer has %d speakers, want %d: %v", n, conversationSpeakers, segs)
	}
	// The offline answer is the session's own result: there is no refined one.
	_, err = s.PollRefined()
	wantStatus(t, "PollRefined on an offline session", err, voiceflow.ErrInvalidState)
}

func TestRefine(t *testing.T) {
	pcm, rate := audio(t)
	s := newSession(t, newConfig(t, voiceflow.ModeStreaming, true))
	live := pushAll(t, s, pcm, rate)
	if len(live) == 0 {
		t.Fatal("refining session gave no live segments")
	}
	if segs, err := s.PollRefined(); err != nil || len(segs) != 0 {
		t.Fatalf("PollRefined before Flush: %v, %v", segs, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	n, err := s.PendingRefined()
	if err != nil || n == 0 {
		t.Fatalf("PendingRefined after Flush: %d, %v", n, err)
	}
	refined, err := s.PollRefined()
	if err != nil || len(refined) != n {
		t.Fatalf("PollRefined after Flush: %d segments (%v), %d pending", len(refined), err, n)
	}
	checkShape(t, refined, float64(len(pcm))/float64(rate))
	if got := speakers(refined); got != conversationSpeakers {
		t.Fatalf("refined result has %d speakers, want %d: %v", got, conversationSpeakers, refined)
	}
	if n, err := s.PendingRefined(); err != nil || n != 0 {
		t.Fatalf("PendingRefined after polling: %d, %v", n, err)
	}
	if _, err := s.Poll(); err != nil { // the live tail is still there
		t.Fatal(err)
	}
}

func TestRefineErrors(t *testing.T) {
	s := newSession(t, nil)
	_, err := s.PollRefined()
	wantStatus(t, "PollRefined without refine", err, voiceflow.ErrInvalidState)
	_, err = s.PendingRefined()
	wantStatus(t, "PendingRefined without refine", err, voiceflow.ErrInvalidState)

	_, err = voiceflow.NewSession(model(t), newConfig(t, voiceflow.ModeOffline, true))
	wantStatus(t, "refine with offline mode", err, voiceflow.ErrInvalidConfig)

	cfg := newConfig(t, voiceflow.ModeStreaming, false)
	wantStatus(t, "mode 2", cfg.SetMode(voiceflow.Mode(2)), voiceflow.ErrInvalidArgument)
	wantStatus(t, "refine 0.5", cfg.Set("refine", 0.5), voiceflow.ErrInvalidArgument)
}

// An offline or refining session refuses a push past max_offline_audio, consumes
// nothing and stays usable: a shorter push still fits, and Flush gives the answer.
func TestMaxOfflineAudio(t *testing.T) {
	pcm, rate := audio(t)
	for _, tc := range []struct {
		name   string
		mode   voiceflow.Mode
		refine bool
	}{{"offline", voiceflow.ModeOffline, false}, {"refine", voiceflow.ModeStreaming, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := newConfig(t, tc.mode, tc.refine)
			if err := cfg.Set("max_offline_audio", 5); err != nil {
				t.Fatal(err)
			}
			s := newSession(t, cfg)
			wantStatus(t, "10 s push", s.PushInt16(pcm[:10*rate], rate, 1), voiceflow.ErrLimitReached)
			if err := s.PushInt16(pcm[:4*rate], rate, 1); err != nil {
				t.Fatalf("4 s push after the refused one: %v", err)
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			poll := s.Poll
			if tc.refine {
				poll = s.PollRefined
			}
			segs, err := poll()
			if err != nil {
				t.Fatal(err)
			}
			for _, seg := range segs {
				if seg.End > 4.01 {
					t.Fatalf("segment past the 4 s taken: %+v", seg)
				}
			}
		})
	}
}
