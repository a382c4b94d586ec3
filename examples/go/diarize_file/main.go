// Command diarize_file prints the speaker turns of an audio file (any format
// voiceflow.ReadAudio decodes: WAV, FLAC, MP3, Ogg Vorbis, AIFF, ...), one
// "start end speaker" line each, exactly like the C, C++, Python and Java examples:
// default models, 1 thread, default config, 100 ms pushes of the decoded samples with a
// poll after each, then flush and drain.
//
//	go run ./diarize_file conversation.mp3      (from examples/go)
package main

import (
	"fmt"
	"os"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: diarize_file <audio file>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string) error {
	audio, err := voiceflow.ReadAudio(path) // the error names the file
	if err != nil {
		return err
	}
	pcm, rate, channels := audio.Samples, audio.SampleRate, audio.Channels
	model, err := voiceflow.OpenModel() // default models, 1 thread
	if err != nil {
		return err
	}
	defer model.Close()
	session, err := voiceflow.NewSession(model, nil) // default configuration
	if err != nil {
		return err
	}
	defer session.Close()

	chunk := rate / 10 * channels // 100 ms of interleaved frames
	if chunk == 0 {
		chunk = channels
	}
	for pos := 0; pos < len(pcm); pos += chunk {
		end := pos + chunk
		if end > len(pcm) {
			end = len(pcm)
		}
		if err := session.PushFloat32(pcm[pos:end], rate, channels); err != nil {
			return err
		}
		if err := printSegments(session); err != nil {
			return err
		}
	}
	if err := session.Flush(); err != nil {
		return err
	}
	return printSegments(session)
}

// printSegments prints everything Poll returns (Poll drains the queue).
func printSegments(session *voiceflow.Session) error {
	segments, err := session.Poll()
	for _, s := range segments {
		fmt.Printf("%.3f %.3f %d\n", s.Start, s.End, s.Speaker)
	}
	return err
}
