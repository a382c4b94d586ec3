// Diarizes an audio file with the C++ wrapper and prints "start end speaker" per turn.
//
//   diarize_file_cpp <audio file>
//
// voiceflow::read_audio decodes it (WAV, FLAC, MP3, Ogg Vorbis, M4A, ADTS AAC,
// AIFF, CAF). Follows the "same answer in every language" convention (see
// examples/c/diarize_file.c): default models with one thread, default config, the decoded
// samples pushed in 100 ms chunks with a poll after each, then flush and poll. Errors go
// to stderr, exit status 1.
#include "voiceflow.hpp"

#include <algorithm>
#include <cstdio>

namespace {

void print(const std::vector<voiceflow::Segment> &segments) {
    for (const voiceflow::Segment &s : segments) {
        std::printf("%.3f %.3f %u\n", s.start, s.end, s.speaker);
    }
}

void diarize(const voiceflow::Audio &audio) {
    voiceflow::Model model; // default models, one thread
    voiceflow::Session session(model);
    const std::size_t chunk = std::max<std::size_t>(audio.sample_rate / 10, 1);
    for (std::size_t frame = 0; frame < audio.frames(); frame += chunk) {
        const std::size_t frames = std::min(chunk, audio.frames() - frame);
        session.push(audio.samples.data() + frame * audio.channels, frames * audio.channels,
                     audio.sample_rate, audio.channels);
        print(session.poll());
    }
    session.flush();
    print(session.poll());
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <audio file>\n", argv[0]);
        return 2;
    }
    try {
        voiceflow::check_abi();
        diarize(voiceflow::read_audio(argv[1])); // the message names the file
    } catch (const voiceflow::Error &e) {
        std::fprintf(stderr, "voiceflow: %s\n", e.what());
        return 1;
    }
    return 0;
}
