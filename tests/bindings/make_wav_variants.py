"""Writes variants of a 16-bit mono WAV that must diarize exactly like it.

    python3 make_wav_variants.py IN.wav OUT_DIR

- stereo.wav: 16-bit PCM, both channels equal (averaging them gives the mono signal back);
- float_junk.wav: 32-bit float (format tag 3) with an odd-sized JUNK chunk (padded) before
  the data, to exercise the readers' chunk walking. (JUNK, not LIST: a LIST chunk must
  start with a list type, and the library's decoder refuses one that does not.)
Standard library only, so any Python 3 runs it.
"""

import array
import struct
import sys
import wave
from pathlib import Path


def main() -> None:
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    with wave.open(str(source)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SystemExit(f"{source}: need 16-bit mono")
        rate = w.getframerate()
        pcm = array.array("h", w.readframes(w.getnframes()))

    stereo = array.array("h", bytes(4 * len(pcm)))
    stereo[0::2] = pcm
    stereo[1::2] = pcm
    with wave.open(str(out_dir / "stereo.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(stereo.tobytes())

    data = array.array("f", [x / 32768.0 for x in pcm]).tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE"
    body += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"JUNK" + struct.pack("<I", 3) + b"abc" + b"\0"
    body += b"data" + struct.pack("<I", len(data)) + data
    (out_dir / "float_junk.wav").write_bytes(
        b"RIFF" + struct.pack("<I", len(body)) + body
    )


if __name__ == "__main__":
    main()
