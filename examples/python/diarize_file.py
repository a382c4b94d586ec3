"""Diarizes an audio file and prints one line per speaker turn: "start end speaker".

    python examples/python/diarize_file.py <audio file>

voiceflow.read_audio decodes it (WAV, FLAC, MP3, Ogg Vorbis, M4A, AAC, AIFF, CAF).
Follows the "same answer in every language" convention (see examples/c/diarize_file.c):
default models with one thread, default config, the decoded samples pushed in 100 ms chunks
with a poll after each, then flush and poll. Errors go to stderr with a non-zero exit status.
"""

import sys

import voiceflow


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} <audio file>", file=sys.stderr)
        return 2
    try:
        samples, rate = voiceflow.read_audio(sys.argv[1])  # (frames, channels) float32
        chunk = max(rate // 10, 1)
        with voiceflow.Model(threads=1) as model, voiceflow.Session(model) as session:
            for at in range(0, len(samples), chunk):
                session.push(samples[at : at + chunk], sample_rate=rate)
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
