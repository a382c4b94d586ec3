package voiceflow_test

import (
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

const (
	conversationMP3 = "../../examples/data/conversation.mp3"
	fixtures        = "../../tests/data/audio/"
)

// toInt16 undoes the decoder's v / 32768 of a 16-bit file exactly, for the tests that
// push 16-bit samples.
func toInt16(samples []float32) []int16 {
	pcm := make([]int16, len(samples))
	for i, v := range samples {
		pcm[i] = int16(v * 32768)
	}
	return pcm
}

// rawPCM reads the 16-bit samples of conversation.wav straight from its bytes, as the
// reference ReadAudio must match: the file has the canonical 44-byte header (RIFF, a
// 16-byte fmt chunk, then the data chunk).
func rawPCM(t *testing.T) []int16 {
	t.Helper()
	data, err := os.ReadFile(conversation)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 44 || string(data[36:40]) != "data" {
		t.Fatalf("%s: no data chunk at byte 36", conversation)
	}
	body := data[44:]
	if n := int(binary.LittleEndian.Uint32(data[40:44])); n < len(body) {
		body = body[:n]
	}
	pcm := make([]int16, len(body)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
	}
	return pcm
}

func readAudio(t *testing.T, path string) *voiceflow.Audio {
	t.Helper()
	a, err := voiceflow.ReadAudio(path)
	if err != nil {
		t.Fatalf("ReadAudio(%s): %v", path, err)
	}
	return a
}

func TestReadAudioWAV(t *testing.T) {
	a := readAudio(t, conversation)
	if a.SampleRate != 16000 || a.Channels != 1 {
		t.Fatalf("%d Hz x %d channels, want 16000 x 1", a.SampleRate, a.Channels)
	}
	want := toFloat32(rawPCM(t))
	if a.Frames() != len(want) || !reflect.DeepEqual(a.Samples, want) {
		t.Fatalf("%d samples differ from the file's %d 16-bit samples / 32768", a.Frames(), len(want))
	}
}

func TestReadAudioKeepsRateAndChannels(t *testing.T) {
	a := readAudio(t, fixtures+"stereo_44k.wav")
	if a.SampleRate != 44100 || a.Channels != 2 || a.Frames() != 22050 || len(a.Samples) != 2*22050 {
		t.Fatalf("stereo_44k.wav: %d Hz x %d channels, %d frames; want 44100 x 2, 22050",
			a.SampleRate, a.Channels, a.Frames())
	}
}

// offline diarizes a whole file in ModeOffline, pushed at once at its own rate.
func offline(t *testing.T, a *voiceflow.Audio) []voiceflow.Segment {
	t.Helper()
	s := newSession(t, newConfig(t, voiceflow.ModeOffline, false))
	if err := s.PushFloat32(a.Samples, a.SampleRate, a.Channels); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	segs, err := s.Poll()
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

func TestReadAudioMP3DiarizesLikeTheWAV(t *testing.T) {
	wav := readAudio(t, conversation)
	mp3 := readAudio(t, conversationMP3)
	if mp3.SampleRate != 16000 || mp3.Channels != 1 {
		t.Fatalf("conversation.mp3: %d Hz x %d channels", mp3.SampleRate, mp3.Channels)
	}
	// Gapless decoding: the MP3 lines up with the WAV, give or take one MP3 frame.
	if d := mp3.Frames() - wav.Frames(); d <= -1152 || d >= 1152 {
		t.Fatalf("MP3 has %d frames, the WAV %d", mp3.Frames(), wav.Frames())
	}
	fromWAV, fromMP3 := offline(t, wav), offline(t, mp3)
	if speakers(fromWAV) != conversationSpeakers || speakers(fromMP3) != conversationSpeakers {
		t.Fatalf("%d speakers from the WAV, %d from the MP3, want %d",
			speakers(fromWAV), speakers(fromMP3), conversationSpeakers)
	}
	if len(fromMP3) != len(fromWAV) {
		t.Fatalf("%d segments from the MP3, %d from the WAV:\n%v\n%v", len(fromMP3), len(fromWAV), fromMP3, fromWAV)
	}
	for i, w := range fromWAV {
		m := fromMP3[i]
		if m.Speaker != w.Speaker || m.Start-w.Start > 0.15 || w.Start-m.Start > 0.15 ||
			m.End-w.End > 0.15 || w.End-m.End > 0.15 {
			t.Fatalf("segment %d: %+v from the MP3, %+v from the WAV", i, m, w)
		}
	}
}

func TestReadAudioErrors(t *testing.T) {
	for _, tc := range []struct{ path, needle string }{
		{"../../README.md", "README.md"},            // not audio
		{fixtures + "missing.flac", "missing.flac"}, // no such file
		{fixtures + "opus.ogg", "Opus"},             // refused by name
	} {
		a, err := voiceflow.ReadAudio(tc.path)
		if a != nil {
			t.Fatalf("%s: got audio", tc.path)
		}
		wantStatus(t, tc.path, err, voiceflow.ErrIO)
		if !strings.Contains(err.Error(), tc.needle) {
			t.Fatalf("%s: message %q lacks %q", tc.path, err, tc.needle)
		}
	}
	_, err := voiceflow.ReadAudio("a\x00b.wav")
	wantStatus(t, "path with NUL", err, voiceflow.ErrInvalidArgument)
}
