// Diarizes a WAV file with the C++ wrapper and prints "start end speaker" per turn.
//
//   diarize_file_cpp <file.wav>
//
// Follows the "same answer in every language" convention (see examples/c/diarize_file.c):
// default models with one thread, default config, 16-bit samples pushed in 100 ms chunks
// with a poll after each, then flush and poll. Errors go to stderr, exit status 1.
#include "voiceflow.hpp"

extern "C" {
#include "../c/wav.h"
}

#include <algorithm>
#include <cstdio>
#include <memory>

namespace {

// Owns a wav_audio for the duration of main().
struct WavFile {
    wav_audio audio{};
    ~WavFile() { wav_free(&audio); }
};

void print(const std::vector<voiceflow::Segment> &segments) {
    for (const voiceflow::Segment &s : segments) {
        std::printf("%.3f %.3f %u\n", s.start, s.end, s.speaker);
    }
}

void diarize(const wav_audio &audio) {
    voiceflow::check_abi();
    voiceflow::Model model; // default models, one thread
    voiceflow::Session session(model);
    const std::size_t chunk = std::max<std::size_t>(audio.sample_rate / 10, 1);
    for (std::size_t frame = 0; frame < audio.frames; frame += chunk) {
        const std::size_t frames = std::min(chunk, audio.frames - frame);
        const std::size_t offset = frame * audio.channels;
        const std::size_t count = frames * audio.channels;
        if (audio.is_float) {
            session.push(audio.pcm_f32 + offset, count, audio.sample_rate, audio.channels);
        } else {
            session.push(audio.pcm16 + offset, count, audio.sample_rate, audio.channels);
        }
        print(session.poll());
    }
    session.flush();
    print(session.poll());
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <file.wav>\n", argv[0]);
        return 2;
    }
    WavFile wav;
    char err[512];
    if (wav_read(argv[1], &wav.audio, err, sizeof err) != 0) {
        std::fprintf(stderr, "%s\n", err);
        return 1;
    }
    try {
        diarize(wav.audio);
    } catch (const voiceflow::Error &e) {
        std::fprintf(stderr, "voiceflow: %s\n", e.what());
        return 1;
    }
    return 0;
}
