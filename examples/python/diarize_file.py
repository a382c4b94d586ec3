"""Diarizes a WAV file and prints one line per speaker turn: "start end speaker".

    python examples/python/diarize_file.py <file.wav>

Follows the "same answer in every language" convention (see examples/c/diarize_file.c):
default models with one thread, default config, 16-bit samples pushed in 100 ms chunks with
a poll after each, then flush and poll. Errors go to stderr with a non-zero exit status.
"""

import sys
import wave

import numpy as np

import voiceflow


def read_wav(path: str) -> tuple[np.ndarray, int, int]:
    """16-bit PCM samples (interleaved), sample rate, channels."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: need 16-bit PCM, not {8 * w.getsampwidth()}-bit")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return pcm, w.getframerate(), w.getnchannels()


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} <file.wav>", file=sys.stderr)
        return 2
    try:
        pcm, rate, channels = read_wav(sys.argv[1])
    except (OSError, EOFError, ValueError, wave.Error) as e:
        print(f"{sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    chunk = max(rate // 10, 1) * channels
    try:
        with voiceflow.Model(threads=1) as model, voiceflow.Session(model) as session:
            for at in range(0, len(pcm), chunk):
                session.push(pcm[at : at + chunk], sample_rate=rate, channels=channels)
                for seg in session.poll():
                    print(f"{seg.start:.3f} {seg.end:.3f} {seg.speaker}")
            for seg in session.flush():
                print(f"{seg.start:.3f} {seg.end:.3f} {seg.speaker}")
    except voiceflow.VoiceflowError as e:
        print(f"voiceflow: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
