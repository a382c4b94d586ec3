// Package wavfile reads 16-bit PCM WAV files for the binding's tests and the Go
// example (standard library only: no third-party module can be fetched here).
package wavfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// Read reads a 16-bit PCM RIFF/WAVE file: interleaved samples, rate, channels.
func Read(path string) ([]int16, int, int, error) {
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
