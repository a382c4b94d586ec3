package voiceflow_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

// The reference turns of the example conversation (speakers alice, bob and carol).
const conversationRTTM = "../../examples/data/conversation.rttm"

type turn struct {
	speaker    string
	start, end float64
}

func truth(t *testing.T) []turn {
	t.Helper()
	f, err := os.Open(conversationRTTM)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var turns []turn
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		field := strings.Fields(lines.Text())
		if len(field) < 8 || field[0] != "SPEAKER" {
			continue
		}
		start, err1 := strconv.ParseFloat(field[3], 64)
		dur, err2 := strconv.ParseFloat(field[4], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad RTTM line %q", lines.Text())
		}
		turns = append(turns, turn{field[7], start, start + dur})
	}
	if len(turns) != 14 {
		t.Fatalf("%s: %d turns, want 14", conversationRTTM, len(turns))
	}
	return turns
}

// voiceOf is the voiceprint of speaker's first reference turn (3 to 4.3 s of speech),
// named after it; closed when the test ends.
func voiceOf(t *testing.T, speaker string) *voiceflow.Voiceprint {
	t.Helper()
	pcm, rate := audio(t)
	for _, tr := range truth(t) {
		if tr.speaker != speaker {
			continue
		}
		samples := toFloat32(pcm[int(tr.start*float64(rate)):int(tr.end*float64(rate))])
		vp, err := voiceflow.VoiceprintFromAudio(model(t), samples, rate, 1, speaker)
		if err != nil {
			t.Fatalf("VoiceprintFromAudio(%s): %v", speaker, err)
		}
		t.Cleanup(func() { _ = vp.Close() })
		return vp
	}
	t.Fatalf("no turn of %s", speaker)
	return nil
}

func enroll(t *testing.T, cfg *voiceflow.Config, vp *voiceflow.Voiceprint, wantID uint32) {
	t.Helper()
	id, err := cfg.Enroll(vp)
	if err != nil || id != wantID {
		name, _ := vp.Name()
		t.Fatalf("Enroll(%s) = %d, %v; want id %d", name, id, err, wantID)
	}
}

// finish flushes s and returns every segment still to be polled.
func finish(t *testing.T, s *voiceflow.Session) []voiceflow.Segment {
	t.Helper()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	segs, err := s.Poll()
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

// idOver is the speaker of the first segment covering more than half of [start, end),
// or -1.
func idOver(segs []voiceflow.Segment, start, end float64) int64 {
	for _, s := range segs {
		if math.Min(s.End, end)-math.Max(s.Start, start) > 0.5*(end-start) {
			return int64(s.Speaker)
		}
	}
	return -1
}

func speechOf(segs []voiceflow.Segment, id uint32) float64 {
	total := 0.0
	for _, s := range segs {
		if s.Speaker == id {
			total += s.End - s.Start
		}
	}
	return total
}

func wantName(t *testing.T, what string, name string, ok bool, want string) {
	t.Helper()
	if want == "" && (ok || name != "") {
		t.Fatalf("%s: name %q, want none", what, name)
	}
	if want != "" && (!ok || name != want) {
		t.Fatalf("%s: name %q (%v), want %q", what, name, ok, want)
	}
}

func mustBytes(t *testing.T, vp *voiceflow.Voiceprint) []byte {
	t.Helper()
	b, err := vp.Bytes()
	if err != nil {
		t.Fatalf("Bytes: %v", err)
	}
	return b
}

// encode writes the byte encoding by hand (README, section Voiceprints), so the tests
// can make voiceprints the library would never make.
func encode(model, version, name string, speech float32, vector []float32) []byte {
	var b bytes.Buffer
	b.WriteString("VFVP")
	_ = binary.Write(&b, binary.LittleEndian, uint16(voiceflow.VoiceprintFormatVersion))
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(vector)))
	_ = binary.Write(&b, binary.LittleEndian, speech)
	for _, text := range []string{model, version, name} {
		b.WriteByte(byte(len(text)))
		b.WriteString(text)
	}
	_ = binary.Write(&b, binary.LittleEndian, vector)
	return b.Bytes()
}

// Enrolled out of order of appearance: carol is id 0 and alice id 1 although alice
// speaks first, and bob, not enrolled, counts on from there as id 2; the same in
// streaming and offline mode.
func TestEnrolledSpeakersGetTheirIdsAndNames(t *testing.T) {
	pcm, rate := audio(t)
	carol, alice := voiceOf(t, "carol"), voiceOf(t, "alice")
	expected := map[string]int64{"carol": 0, "alice": 1, "bob": 2}
	for what, mode := range map[string]voiceflow.Mode{"streaming": voiceflow.ModeStreaming, "offline": voiceflow.ModeOffline} {
		t.Run(what, func(t *testing.T) {
			cfg := newConfig(t, mode, false)
			enroll(t, cfg, carol, 0)
			enroll(t, cfg, alice, 1)
			s := newSession(t, cfg)
			name, ok := s.SpeakerName(0)
			wantName(t, "SpeakerName(0)", name, ok, "carol")
			name, ok = s.SpeakerName(1)
			wantName(t, "SpeakerName(1)", name, ok, "alice")
			name, ok = s.SpeakerName(2)
			wantName(t, "SpeakerName(2)", name, ok, "")
			segs := append(pushAll(t, s, pcm, rate), finish(t, s)...)
			for _, tr := range truth(t) {
				if got := idOver(segs, tr.start, tr.end); got != expected[tr.speaker] {
					t.Fatalf("%s at %.3f: id %d, want %d: %v", tr.speaker, tr.start, got, expected[tr.speaker], segs)
				}
			}
		})
	}
}

func TestSessionVoiceprintsWhileStreamingAndAfterFlush(t *testing.T) {
	pcm, rate := audio(t)
	bob := voiceOf(t, "bob")
	cfg := newConfig(t, voiceflow.ModeStreaming, false)
	enroll(t, cfg, bob, 0)
	bobModel := bob.ModelName()
	// The config holds its own copy of an enrolled voiceprint.
	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	s := newSession(t, cfg)
	name, ok := s.SpeakerName(0)
	wantName(t, "SpeakerName(0)", name, ok, "bob")
	name, ok = s.SpeakerName(1)
	wantName(t, "SpeakerName(1)", name, ok, "")
	_, err := s.Voiceprint(0)
	wantStatus(t, "Voiceprint(0) before bob spoke", err, voiceflow.ErrInvalidArgument)

	var segs []voiceflow.Segment
	seenWhileStreaming := false
	for pos := 0; pos < len(pcm); pos += rate / 2 {
		end := pos + rate/2
		if end > len(pcm) {
			end = len(pcm)
		}
		if err := s.PushInt16(pcm[pos:end], rate, 1); err != nil {
			t.Fatal(err)
		}
		got, err := s.Poll()
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, got...)
		vp, err := s.Voiceprint(0)
		if err != nil {
			continue
		}
		seenWhileStreaming = true
		name, ok := vp.Name()
		heard := vp.SpeechSeconds()
		_ = vp.Close()
		wantName(t, "bob's voiceprint while streaming", name, ok, "bob")
		if heard < 0 || heard > float64(end)/float64(rate) {
			t.Fatalf("bob heard for %.3f s after %.1f s of audio", heard, float64(end)/float64(rate))
		}
	}
	if !seenWhileStreaming {
		t.Fatal("no voiceprint of bob before Flush")
	}
	segs = append(segs, finish(t, s)...)

	vp0, err := s.Voiceprint(0)
	if err != nil {
		t.Fatalf("Voiceprint(0) after Flush: %v", err)
	}
	defer vp0.Close()
	name, ok = vp0.Name()
	wantName(t, "bob's voiceprint after Flush", name, ok, "bob")
	bobTime := speechOf(segs, 0)
	if bobTime < 10 || math.Abs(vp0.SpeechSeconds()-bobTime) > 1e-3 {
		t.Fatalf("bob's voiceprint has %.4f s of speech, his segments %.4f s", vp0.SpeechSeconds(), bobTime)
	}
	if vp0.ModelName() != bobModel || vp0.Dim() == 0 || len(vp0.Vector()) != vp0.Dim() {
		t.Fatalf("model %q dim %d, want model %q", vp0.ModelName(), vp0.Dim(), bobModel)
	}
	vp1, err := s.Voiceprint(1)
	if err != nil {
		t.Fatalf("Voiceprint(1): %v", err)
	}
	defer vp1.Close()
	name, ok = vp1.Name()
	wantName(t, "an unknown speaker's voiceprint", name, ok, "")
	if math.Abs(vp1.SpeechSeconds()-speechOf(segs, 1)) > 1e-3 || vp1.Dim() != vp0.Dim() {
		t.Fatalf("speaker 1: %.4f s, %d dims", vp1.SpeechSeconds(), vp1.Dim())
	}
	_, err = s.Voiceprint(9)
	wantStatus(t, "Voiceprint(9)", err, voiceflow.ErrInvalidArgument)
	if !strings.Contains(err.Error(), "speaker 9") {
		t.Fatalf("message %q does not name the id", err)
	}
	_, err = s.RefinedVoiceprint(0)
	wantStatus(t, "RefinedVoiceprint without refine", err, voiceflow.ErrInvalidArgument)

	// The voiceprints outlive the session; a closed session has none.
	_ = s.Close()
	if _, err := s.Voiceprint(0); err != voiceflow.ErrClosed {
		t.Fatalf("Voiceprint on a closed session: %v", err)
	}
	if _, err := s.RefinedVoiceprint(0); err != voiceflow.ErrClosed {
		t.Fatalf("RefinedVoiceprint on a closed session: %v", err)
	}
	name, ok = s.SpeakerName(0)
	wantName(t, "SpeakerName on a closed session", name, ok, "")
	if _, err := vp0.Bytes(); err != nil {
		t.Fatalf("Bytes after the session closed: %v", err)
	}
}

// A speaker's voiceprint from one session, renamed, stored and loaded, names that
// speaker in the next session, in its live and refined results.
func TestSessionVoiceprintStoredNamesTheSpeakerNextTime(t *testing.T) {
	pcm, rate := audio(t)
	half := len(pcm) / 2
	first := newSession(t, newConfig(t, voiceflow.ModeOffline, false))
	if err := first.PushInt16(pcm[:half], rate, 1); err != nil {
		t.Fatal(err)
	}
	_, err := first.Voiceprint(0)
	wantStatus(t, "offline Voiceprint before Flush", err, voiceflow.ErrInvalidArgument)
	segs := finish(t, first)
	aliceID := idOver(segs, truth(t)[0].start, truth(t)[0].end) // alice's first turn
	if aliceID < 0 {
		t.Fatalf("alice's first turn not found: %v", segs)
	}
	alice, err := first.Voiceprint(uint32(aliceID))
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	refined, err := first.RefinedVoiceprint(uint32(aliceID))
	if err != nil {
		t.Fatalf("RefinedVoiceprint of an offline session: %v", err)
	}
	if !bytes.Equal(mustBytes(t, refined), mustBytes(t, alice)) {
		t.Fatal("an offline session's refined voiceprint differs from its voiceprint")
	}
	_ = refined.Close()
	if math.Abs(alice.SpeechSeconds()-speechOf(segs, uint32(aliceID))) > 1e-3 {
		t.Fatalf("alice: %.4f s in the voiceprint, %.4f s in the segments", alice.SpeechSeconds(), speechOf(segs, uint32(aliceID)))
	}
	if err := alice.SetName("Alice Smith"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alice.json")
	if err := alice.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := voiceflow.LoadVoiceprint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()

	// The second half, streaming with refine, alice enrolled from the file.
	cfg := newConfig(t, voiceflow.ModeStreaming, true)
	enroll(t, cfg, loaded, 0)
	s := newSession(t, cfg)
	live := pushAll(t, s, pcm[half:], rate)
	_, err = s.RefinedVoiceprint(0)
	wantStatus(t, "RefinedVoiceprint before Flush", err, voiceflow.ErrInvalidArgument)
	live = append(live, finish(t, s)...)
	refinedSegs, err := s.PollRefined()
	if err != nil {
		t.Fatal(err)
	}
	offset := float64(half) / float64(rate)
	aliceTime := 0.0
	for _, tr := range truth(t) {
		if tr.speaker == "alice" && tr.start >= offset {
			aliceTime += tr.end - tr.start
		}
	}
	for what, got := range map[string][]voiceflow.Segment{"live": live, "refined": refinedSegs} {
		if named := speechOf(got, 0); named < 0.8*aliceTime || named > 1.2*aliceTime {
			t.Fatalf("%s: alice speaks %.1f s of the second half, id 0 has %.1f s: %v", what, aliceTime, named, got)
		}
	}
	for _, result := range []struct {
		what       string
		voiceprint func(uint32) (*voiceflow.Voiceprint, error)
		segs       []voiceflow.Segment
	}{{"live", s.Voiceprint, live}, {"refined", s.RefinedVoiceprint, refinedSegs}} {
		v, err := result.voiceprint(0)
		if err != nil {
			t.Fatalf("%s voiceprint of alice: %v", result.what, err)
		}
		name, ok := v.Name()
		heard := v.SpeechSeconds()
		_ = v.Close()
		wantName(t, result.what+" voiceprint of alice", name, ok, "Alice Smith")
		if want := speechOf(result.segs, 0); math.Abs(heard-want) > 1e-3 {
			t.Fatalf("%s alice: %.4f s in the voiceprint, %.4f s in the segments", result.what, heard, want)
		}
	}
}

func TestVoiceprintBytesAndFiles(t *testing.T) {
	alice := voiceOf(t, "alice")
	first := truth(t)[0]
	dim := alice.Dim()
	vector := alice.Vector()
	norm := 0.0
	for _, x := range vector {
		norm += float64(x) * float64(x)
	}
	if dim == 0 || len(vector) != dim || math.Abs(norm-1) > 1e-3 {
		t.Fatalf("dim %d, %d values, squared norm %f", dim, len(vector), norm)
	}
	if s := alice.SpeechSeconds(); s < 2 || s > first.end-first.start+0.1 {
		t.Fatalf("%.3f s of speech in a %.3f s turn", s, first.end-first.start)
	}
	name, ok := alice.Name()
	wantName(t, "Name", name, ok, "alice")
	modelName, modelVersion := alice.ModelName(), alice.ModelVersion()
	if modelName == "" {
		t.Fatal("no model name")
	}

	// Bytes: the documented layout, exact length, and a round trip.
	b := mustBytes(t, alice)
	if want := 15 + len(modelName) + len(modelVersion) + len("alice") + 4*dim; len(b) != want {
		t.Fatalf("%d bytes, want %d", len(b), want)
	}
	if string(b[:4]) != "VFVP" || binary.LittleEndian.Uint16(b[4:]) != voiceflow.VoiceprintFormatVersion ||
		int(binary.LittleEndian.Uint16(b[6:])) != dim {
		t.Fatalf("header % x", b[:8])
	}
	if hand := encode(modelName, modelVersion, "alice", float32(alice.SpeechSeconds()), vector); !bytes.Equal(hand, b) {
		t.Fatal("Bytes differs from the documented encoding")
	}
	back, err := voiceflow.VoiceprintFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	b[0] = 'X' // the voiceprint holds its own copy
	name, ok = back.Name()
	wantName(t, "Name from bytes", name, ok, "alice")
	if back.ModelName() != modelName || back.ModelVersion() != modelVersion || back.Dim() != dim ||
		back.SpeechSeconds() != alice.SpeechSeconds() || fmt.Sprint(back.Vector()) != fmt.Sprint(vector) {
		t.Fatal("the voiceprint read from bytes differs")
	}
	if !bytes.Equal(mustBytes(t, back), mustBytes(t, alice)) {
		t.Fatal("bytes differ after a round trip")
	}

	// JSON files: a round trip; unreadable and foreign files refused, naming them.
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.json")
	if err := alice.Save(path); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(text, []byte(`"voiceflow.voiceprint"`)) || !bytes.Contains(text, []byte(`"alice"`)) {
		t.Fatalf("%s: %v\n%s", path, err, text)
	}
	loaded, err := voiceflow.LoadVoiceprint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if !bytes.Equal(mustBytes(t, loaded), mustBytes(t, alice)) {
		t.Fatal("bytes differ after a JSON file round trip")
	}
	missing := filepath.Join(dir, "no_such_voiceprint.json")
	_, err = voiceflow.LoadVoiceprint(missing)
	wantStatus(t, "missing file", err, voiceflow.ErrIO)
	if !strings.Contains(err.Error(), "no_such_voiceprint.json") {
		t.Fatalf("message %q does not name the file", err)
	}
	_, err = voiceflow.LoadVoiceprint(conversationRTTM)
	wantStatus(t, "an RTTM file", err, voiceflow.ErrInvalidArgument)
	if !strings.Contains(err.Error(), "conversation.rttm") {
		t.Fatalf("message %q does not name the file", err)
	}
	_, err = voiceflow.LoadVoiceprint("a\x00b.json")
	wantStatus(t, "path with NUL", err, voiceflow.ErrInvalidArgument)
	wantStatus(t, "Save into a missing folder", alice.Save(filepath.Join(dir, "none", "v.json")), voiceflow.ErrIO)

	// Names: a bad one is refused and changes nothing; "" removes the name.
	if err := alice.SetName("Alice Smith"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{" ", "bad\nname", strings.Repeat("a", 256), "a\x00b"} {
		wantStatus(t, fmt.Sprintf("SetName(%q)", bad), alice.SetName(bad), voiceflow.ErrInvalidArgument)
		name, ok := alice.Name()
		wantName(t, "after a refused SetName", name, ok, "Alice Smith")
	}
	if err := alice.SetName(""); err != nil {
		t.Fatal(err)
	}
	name, ok = alice.Name()
	wantName(t, "after SetName(\"\")", name, ok, "")
	if got := len(mustBytes(t, alice)); got != len(b)-len("alice") {
		t.Fatalf("%d bytes without a name, want %d", got, len(b)-len("alice"))
	}

	// A closed voiceprint: zero values and ErrClosed.
	if alice.Close() != nil || alice.Close() != nil {
		t.Fatal("Close returned an error")
	}
	if _, err := alice.Bytes(); err != voiceflow.ErrClosed {
		t.Fatalf("Bytes: %v", err)
	}
	for what, err := range map[string]error{"Save": alice.Save(path), "SetName": alice.SetName("x")} {
		if err != voiceflow.ErrClosed {
			t.Fatalf("%s on a closed voiceprint: %v", what, err)
		}
	}
	name, ok = alice.Name()
	if alice.Vector() != nil || alice.Dim() != 0 || alice.SpeechSeconds() != 0 || alice.ModelName() != "" ||
		alice.ModelVersion() != "" || ok || name != "" {
		t.Fatal("a closed voiceprint answers")
	}
	cfg := newConfig(t, voiceflow.ModeStreaming, false)
	if _, err := cfg.Enroll(alice); err != voiceflow.ErrClosed {
		t.Fatalf("Enroll of a closed voiceprint: %v", err)
	}
	_, err = cfg.Enroll(nil)
	wantStatus(t, "Enroll(nil)", err, voiceflow.ErrNullPointer)
}

func TestBadVoiceprintsAreRefused(t *testing.T) {
	pcm, rate := audio(t)
	alice := voiceOf(t, "alice")
	b := mustBytes(t, alice)

	// Bytes that are not one whole voiceprint.
	for _, n := range []int{0, 3, 4, 14, len(b) / 2, len(b) - 1} {
		_, err := voiceflow.VoiceprintFromBytes(b[:n])
		wantStatus(t, fmt.Sprintf("%d of %d bytes", n, len(b)), err, voiceflow.ErrInvalidArgument)
		if n > 4 && !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("%d bytes: message %q", n, err)
		}
	}
	_, err := voiceflow.VoiceprintFromBytes(append(append([]byte{}, b...), 0))
	wantStatus(t, "a trailing byte", err, voiceflow.ErrInvalidArgument)
	edited := func(edit func([]byte)) []byte {
		c := append([]byte{}, b...)
		edit(c)
		return c
	}
	nan := edited(func(c []byte) { binary.LittleEndian.PutUint32(c[len(c)-4:], math.Float32bits(float32(math.NaN()))) })
	_, err = voiceflow.VoiceprintFromBytes(nan)
	wantStatus(t, "NaN in the vector", err, voiceflow.ErrInvalidArgument)
	if !strings.Contains(err.Error(), "finite") {
		t.Fatalf("NaN: message %q", err)
	}
	_, err = voiceflow.VoiceprintFromBytes(edited(func(c []byte) { c[4] = 2 }))
	wantStatus(t, "format version 2", err, voiceflow.ErrInvalidArgument)
	_, err = voiceflow.VoiceprintFromBytes(edited(func(c []byte) { c[len(c)-1] ^= 0x40 })) // not unit length
	wantStatus(t, "a vector that is not unit length", err, voiceflow.ErrInvalidArgument)

	// Enroll: no name, a name twice, another dimension or model, a 65th speaker; each
	// refused without changing the config (the next speaker still gets the next id).
	cfg := newConfig(t, voiceflow.ModeStreaming, false)
	if err := alice.SetName(""); err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Enroll(alice)
	wantStatus(t, "Enroll without a name", err, voiceflow.ErrInvalidArgument)
	if err := alice.SetName("alice"); err != nil {
		t.Fatal(err)
	}
	enroll(t, cfg, alice, 0)
	_, err = cfg.Enroll(alice)
	wantStatus(t, "Enroll of a name twice", err, voiceflow.ErrInvalidArgument)
	if !strings.Contains(err.Error(), "enrolled already") {
		t.Fatalf("message %q", err)
	}
	short, err := voiceflow.VoiceprintFromBytes(encode(alice.ModelName(), alice.ModelVersion(), "short", 3, []float32{1}))
	if err != nil {
		t.Fatalf("a hand-made 1-dimensional voiceprint: %v", err)
	}
	defer short.Close()
	_, err = cfg.Enroll(short)
	wantStatus(t, "Enroll of another dimension", err, voiceflow.ErrInvalidArgument)
	foreign, err := voiceflow.VoiceprintFromBytes(edited(func(c []byte) { c[13] ^= 1 })) // the model name's first byte
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	if foreign.ModelName() == alice.ModelName() {
		t.Fatal("the model name did not change")
	}
	if err := foreign.SetName("eve"); err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Enroll(foreign)
	wantStatus(t, "Enroll of another model", err, voiceflow.ErrInvalidArgument)
	if err := alice.SetName("alice again"); err != nil {
		t.Fatal(err)
	}
	enroll(t, cfg, alice, 1)
	s := newSession(t, cfg)
	for id, want := range []string{"alice", "alice again", ""} {
		name, ok := s.SpeakerName(uint32(id))
		wantName(t, fmt.Sprintf("SpeakerName(%d)", id), name, ok, want)
	}

	// The threshold for known speakers is a config key, checked by NewSession.
	if err := cfg.Set("known_speaker_threshold", 3); err != nil {
		t.Fatal(err)
	}
	_, err = voiceflow.NewSession(model(t), cfg)
	wantStatus(t, "known_speaker_threshold 3", err, voiceflow.ErrInvalidConfig)
	if !strings.Contains(err.Error(), "known_speaker_threshold") {
		t.Fatalf("message %q does not name the key", err)
	}

	// Another embedding model's voiceprint: refused when a session is created.
	other := newConfig(t, voiceflow.ModeStreaming, false)
	enroll(t, other, foreign, 0)
	_, err = voiceflow.NewSession(model(t), other)
	wantStatus(t, "a session with another model's voiceprint", err, voiceflow.ErrInvalidConfig)
	if !strings.Contains(err.Error(), "speakers[0]") {
		t.Fatalf("message %q does not name the voiceprint", err)
	}

	full := newConfig(t, voiceflow.ModeStreaming, false)
	for i := 0; i < voiceflow.MaxEnrolledSpeakers; i++ {
		if err := alice.SetName(fmt.Sprintf("speaker %d", i)); err != nil {
			t.Fatal(err)
		}
		enroll(t, full, alice, uint32(i))
	}
	_ = alice.SetName("one too many")
	_, err = full.Enroll(alice)
	wantStatus(t, "a 65th speaker", err, voiceflow.ErrInvalidArgument)
	s = newSession(t, full)
	name, ok := s.SpeakerName(voiceflow.MaxEnrolledSpeakers - 1)
	wantName(t, "the last enrolled speaker", name, ok, fmt.Sprintf("speaker %d", voiceflow.MaxEnrolledSpeakers-1))

	// Audio that makes no voiceprint.
	f := toFloat32(pcm[:5*rate])
	_, err = voiceflow.VoiceprintFromAudio(model(t), f[:rate], rate, 1, "x")
	wantStatus(t, "1 s of audio", err, voiceflow.ErrInvalidAudio)
	if !strings.Contains(err.Error(), "too little speech") {
		t.Fatalf("message %q", err)
	}
	_, err = voiceflow.VoiceprintFromAudio(model(t), make([]float32, 5*rate), rate, 1, "x")
	wantStatus(t, "5 s of silence", err, voiceflow.ErrInvalidAudio)
	_, err = voiceflow.VoiceprintFromAudio(model(t), nil, rate, 1, "x")
	wantStatus(t, "no audio", err, voiceflow.ErrInvalidAudio)
	withNaN := append([]float32{}, f...)
	withNaN[rate] = float32(math.NaN())
	_, err = voiceflow.VoiceprintFromAudio(model(t), withNaN, rate, 1, "x")
	wantStatus(t, "NaN sample", err, voiceflow.ErrInvalidAudio)
	_, err = voiceflow.VoiceprintFromAudio(model(t), f, 1000, 1, "x")
	wantStatus(t, "1 kHz", err, voiceflow.ErrUnsupportedSampleRate)
	_, err = voiceflow.VoiceprintFromAudio(model(t), f, -rate, 1, "x")
	wantStatus(t, "negative rate", err, voiceflow.ErrUnsupportedSampleRate)
	_, err = voiceflow.VoiceprintFromAudio(model(t), f, rate, 0, "x")
	wantStatus(t, "no channels", err, voiceflow.ErrInvalidArgument)
	_, err = voiceflow.VoiceprintFromAudio(model(t), f, rate, 1, "x\x00y")
	wantStatus(t, "name with NUL", err, voiceflow.ErrInvalidArgument)
	_, err = voiceflow.VoiceprintFromAudio(nil, f, rate, 1, "x")
	wantStatus(t, "nil model", err, voiceflow.ErrNullPointer)
	closed, err := voiceflow.OpenModel()
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	if _, err := voiceflow.VoiceprintFromAudio(closed, f, rate, 1, "x"); err != voiceflow.ErrClosed {
		t.Fatalf("closed model: %v", err)
	}
}

// One voiceprint used from several goroutines at once (go test -race checks the Go side).
func TestVoiceprintSharedByGoroutines(t *testing.T) {
	alice := voiceOf(t, "alice")
	want := mustBytes(t, alice)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if g == 0 {
					if err := alice.SetName("alice"); err != nil {
						errs <- err
						return
					}
					continue
				}
				b, err := alice.Bytes()
				if err != nil || !bytes.Equal(b, want) || len(alice.Vector()) != alice.Dim() {
					errs <- fmt.Errorf("goroutine %d: %v", g, err)
					return
				}
				cfg, err := voiceflow.NewConfig()
				if err != nil {
					errs <- err
					return
				}
				if id, err := cfg.Enroll(alice); err != nil || id != 0 {
					errs <- fmt.Errorf("goroutine %d: Enroll = %d, %v", g, id, err)
				}
				_ = cfg.Close()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
