// Command diarize_file prints the speaker turns of a 16-bit PCM WAV file, one
// "start end speaker" line each, exactly like the C, C++, Python and Java examples:
// default models, 1 thread, default config, 100 ms pushes of 16-bit samples with a
// poll after each, then flush and drain.
//
//	go run ./diarize_file conversation.wav      (from examples/go)
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: diarize_file <16-bit PCM WAV>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string) error {
	pcm, rate, channels, err := readWAV(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
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
		if err := session.PushInt16(pcm[pos:end], rate, channels); err != nil {
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

// readWAV reads a 16-bit PCM RIFF/WAVE file: interleaved samples, rate, channels.
func readWAV(path string) ([]int16, int, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, 0, 0, errors.New("not a RIFF/WAVE file")
	}
	rate, channels := 0, 0
	for pos := 12; pos+8 <= len(data); {
		id := string(data[pos : pos+4])
		size := int(binary.LittleEndian.Uint32(data[pos+4 : pos+8]))
		body := data[pos+8:]
		if size > len(body) {
			size = len(body) // truncated last chunk: take what is there
		}
		switch {
		case id == "fmt " && size >= 16:
			format := binary.LittleEndian.Uint16(body[0:2])
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			if (format != 1 && format != 0xFFFE) || bits != 16 || channels == 0 {
				return nil, 0, 0, fmt.Errorf("need 16-bit PCM (format %d, %d channels, %d bits)", format, channels, bits)
			}
		case id == "data" && channels > 0:
			samples := make([]int16, size/2)
			for i := range samples {
				samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return samples, rate, channels, nil
		}
		pos += 8 + size + size%2 // chunks are padded to an even size
	}
	return nil, 0, 0, errors.New("no fmt and data chunks")
}
