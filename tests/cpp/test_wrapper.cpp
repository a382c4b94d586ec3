// Tests of the C++ wrapper include/voiceflow.hpp; exits non-zero on any failed check.
// Built as C++17 and C++20 by `make test-bindings-c`.
//
//   test_wrapper <16 kHz mono 16-bit PCM WAV>   (examples/data/conversation.wav)
//
// Run from the repository root: read_audio's checks open tests/data/audio/ and
// examples/data/conversation.mp3 there, the voiceprint checks
// examples/data/conversation.wav and its reference turns, conversation.rttm.
#include "voiceflow.hpp"

extern "C" {
#include "../../examples/c/wav.h"
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace vf = voiceflow;

// Ownership rules are part of the API: checked at compile time.
static_assert(!std::is_copy_constructible<vf::Model>::value, "Model is move-only");
static_assert(!std::is_copy_assignable<vf::Model>::value, "Model is move-only");
static_assert(!std::is_copy_constructible<vf::Config>::value, "Config is move-only");
static_assert(!std::is_copy_constructible<vf::Session>::value, "Session is move-only");
static_assert(!std::is_copy_assignable<vf::Session>::value, "Session is move-only");
static_assert(std::is_nothrow_move_constructible<vf::Model>::value, "noexcept moves");
static_assert(std::is_nothrow_move_constructible<vf::Config>::value, "noexcept moves");
static_assert(std::is_nothrow_move_constructible<vf::Session>::value, "noexcept moves");
static_assert(std::is_nothrow_move_assignable<vf::Session>::value, "noexcept moves");
static_assert(std::is_base_of<std::runtime_error, vf::Error>::value, "Error is an exception");
static_assert(std::is_copy_constructible<vf::Audio>::value, "Audio is a plain value");
static_assert(!std::is_copy_constructible<vf::Voiceprint>::value, "Voiceprint is move-only");
static_assert(!std::is_copy_assignable<vf::Voiceprint>::value, "Voiceprint is move-only");
static_assert(std::is_nothrow_move_constructible<vf::Voiceprint>::value, "noexcept moves");
static_assert(std::is_nothrow_move_assignable<vf::Voiceprint>::value, "noexcept moves");
static_assert(!std::is_default_constructible<vf::Voiceprint>::value,
              "a Voiceprint comes from audio, bytes, a file or a session");
static_assert(vf::max_enrolled_speakers == VF_MAX_ENROLLED_SPEAKERS, "constants");
static_assert(vf::voiceprint_format_version == VF_VOICEPRINT_FORMAT_VERSION, "constants");

// The sample rate has no default (a wrongly assumed rate gives wrong segments and no error):
// a push without one must not compile, for every kind of samples; with one it does.
template <typename Void, typename... Args> struct can_push_impl : std::false_type {};
template <typename... Args>
struct can_push_impl<
    std::void_t<decltype(std::declval<vf::Session &>().push(std::declval<Args>()...))>, Args...>
    : std::true_type {};
template <typename... Args> constexpr bool can_push = can_push_impl<void, Args...>::value;
static_assert(can_push<const float *, std::size_t, std::uint32_t>, "pointer, count, rate");
static_assert(!can_push<const float *, std::size_t>, "no default rate");
static_assert(can_push<const std::int16_t *, std::size_t, std::uint32_t>, "pointer, count, rate");
static_assert(!can_push<const std::int16_t *, std::size_t>, "no default rate");
static_assert(can_push<const std::vector<float> &, std::uint32_t>, "vector, rate");
static_assert(!can_push<const std::vector<float> &>, "no default rate");
static_assert(can_push<const std::vector<std::int16_t> &, std::uint32_t>, "vector, rate");
static_assert(!can_push<const std::vector<std::int16_t> &>, "no default rate");
#ifdef VOICEFLOW_HPP_HAS_SPAN
static_assert(can_push<std::span<const float>, std::uint32_t>, "span, rate");
static_assert(!can_push<std::span<const float>>, "no default rate");
static_assert(can_push<std::span<const std::int16_t>, std::uint32_t>, "span, rate");
static_assert(!can_push<std::span<const std::int16_t>>, "no default rate");
#endif

namespace {

// The rate of the test's WAV (main checks it).
constexpr std::uint32_t kRate = 16000;

int g_passed = 0;
int g_failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        std::fprintf(stderr, "FAIL line %d: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

// Runs `body`, which must throw vf::Error with `want`; `needle` must be in its message.
void check_throws(const std::function<void()> &body, vf::Status want, const char *needle,
                  const char *what, int line) {
    try {
        body();
        check(false, (std::string(what) + ": did not throw").c_str(), line);
    } catch (const vf::Error &e) {
        const bool ok = e.status() == want && e.code() == static_cast<vf_status>(want) &&
                        e.message().find(needle) != std::string::npos &&
                        std::string(e.what()).find(e.message()) != std::string::npos;
        if (!ok) {
            std::fprintf(stderr, "  got status %d, message '%s'\n", e.code(), e.what());
        }
        check(ok, what, line);
    }
}
#define CHECK_THROWS(body, status, needle) \
    check_throws([&] { body; }, (status), (needle), #body, __LINE__)

using Segments = std::vector<vf::Segment>;

bool same(const Segments &a, const Segments &b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].speaker != b[i].speaker || a[i].start != b[i].start || a[i].end != b[i].end) {
            return false;
        }
    }
    return true;
}

void append(Segments &to, const Segments &from) { to.insert(to.end(), from.begin(), from.end()); }

// Pushes `pcm` in chunks of `chunk` samples (0: all at once) and returns every segment.
Segments diarize_i16(const vf::Model &model, const std::vector<std::int16_t> &pcm,
                     std::size_t chunk) {
    vf::Session session(model);
    Segments all;
    if (chunk == 0) {
        session.push(pcm, kRate);
    } else {
        for (std::size_t at = 0; at < pcm.size(); at += chunk) {
            const std::size_t n = std::min(chunk, pcm.size() - at);
            session.push(pcm.data() + at, n, kRate, 1);
            append(all, session.poll());
        }
    }
    session.flush();
    CHECK(session.pending() > 0 || !all.empty());
    append(all, session.poll());
    CHECK(session.pending() == 0);
    return all;
}

void test_library_info() {
    std::printf("== library info\n");
    CHECK(vf::version() == std::to_string(VF_VERSION_MAJOR) + "." + std::to_string(VF_VERSION_MINOR) + "." + std::to_string(VF_VERSION_PATCH));
    vf::check_abi(); // throws on mismatch
    CHECK(vf_abi_version() == VF_ABI_VERSION);
}

void test_error_mapping() {
    std::printf("== error mapping\n");
    vf::Config config;
    CHECK_THROWS(config.set("no_such_key", 1.0), vf::Status::InvalidArgument, "no_such_key");
    vf::ModelOptions missing;
    missing.embedding = "/nonexistent/voiceflow/embedding.onnx";
    CHECK_THROWS(vf::Model m(missing), vf::Status::Model, "/nonexistent/voiceflow");
    vf::ModelOptions threads;
    threads.threads = 1000;
    CHECK_THROWS(vf::Model m(threads), vf::Status::InvalidConfig, "intra_threads");
    const vf::Error e(vf::Status::Io, "disk");
    CHECK(std::string(e.what()) == std::string(vf_status_str(VF_ERR_IO)) + ": disk");
}

// The library under test is built without the `cuda` feature (or runs a CPU-only ONNX
// Runtime): CUDA is unavailable, with and without the CPU fallback.
void test_devices(const vf::Model &cpu_model, const std::vector<std::int16_t> &pcm) {
    std::printf("== devices\n");
    CHECK(cpu_model.device() == "cpu" && !cpu_model.device_fallback());

    vf::ModelOptions two_threads;
    two_threads.device = "cpu:2";
    vf::Model threaded(two_threads);
    CHECK(threaded.device() == "cpu" && !threaded.device_fallback().has_value());

    CHECK_THROWS(vf::Model::on_device("cuda"), vf::Status::DeviceUnavailable,
                 "cuda:0 is unavailable");
    CHECK_THROWS(vf::Model::on_device("cuda"), vf::Status::DeviceUnavailable, "fallback");

    const vf::Model fallback = vf::Model::on_device("cuda", true);
    CHECK(fallback.device() == "cpu");
    const std::optional<std::string> reason = fallback.device_fallback();
    CHECK(reason.has_value() && reason->find("cuda") != std::string::npos);
    const std::vector<std::int16_t> first_20_s(pcm.begin(),
                                               pcm.begin() + std::min<std::size_t>(
                                                                 pcm.size(), 20 * kRate));
    const Segments on_fallback = diarize_i16(fallback, first_20_s, 1600);
    CHECK(!on_fallback.empty() && same(on_fallback, diarize_i16(cpu_model, first_20_s, 1600)));

    const vf::Model best = vf::Model::on_device("best");
    CHECK(best.device() == "cpu" && best.device_fallback().has_value());

    CHECK_THROWS(vf::Model::on_device("gpu"), vf::Status::InvalidArgument, "\"gpu\"");
    CHECK_THROWS(vf::Model::on_device("cpu:0"), vf::Status::InvalidArgument, "");
    CHECK_THROWS(vf::Model::on_device(""), vf::Status::InvalidArgument, "");
    CHECK_THROWS(vf::Model::on_device(std::string("cpu\0:2", 6)), vf::Status::InvalidArgument,
                 "NUL");
    vf::ModelOptions nul_path;
    nul_path.embedding = std::string("/tmp\0x", 6);
    CHECK_THROWS(vf::Model m(nul_path), vf::Status::InvalidArgument, "embedding path");

    vf::Model moved(std::move(threaded));
    CHECK_THROWS(threaded.device(), vf::Status::InvalidState, "Model");
    CHECK_THROWS(threaded.device_fallback(), vf::Status::InvalidState, "Model");
    CHECK(moved.device() == "cpu");
}

void test_session_errors(const vf::Model &model) {
    std::printf("== session errors\n");
    vf::Config bad;
    bad.set("onset", 2.0);
    CHECK_THROWS(vf::Session s(model, bad), vf::Status::InvalidConfig, "onset");

    vf::Session session(model, vf::Config().set("latency", 2.0).set("num_speakers", 2));
    std::vector<float> nan(1600, 0.0f);
    nan[7] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS(session.push(nan, kRate), vf::Status::InvalidAudio, "");
    std::vector<std::int16_t> quiet(1600, 0);
    CHECK_THROWS(session.push(quiet, 1000), vf::Status::UnsupportedSampleRate, "1000");
    CHECK_THROWS(session.push(quiet, kRate, 3), vf::Status::InvalidArgument, "");
    session.push(quiet, kRate); // rejected pushes consumed nothing; the session is usable
    session.flush();
    CHECK_THROWS(session.push(quiet, kRate), vf::Status::InvalidState, "");
    session.flush(); // flushing again is a no-op
    CHECK(session.poll().empty());
}

void test_moves(const vf::Model &model) {
    std::printf("== moves\n");
    vf::Session a(model);
    std::vector<std::int16_t> quiet(3200, 0);
    a.push(quiet, kRate);
    vf::Session b(std::move(a));
    CHECK(!a && b);
    CHECK_THROWS(a.push(quiet, kRate), vf::Status::InvalidState, "moved from");
    CHECK_THROWS(a.poll(), vf::Status::InvalidState, "Session");
    CHECK_THROWS(a.pending(), vf::Status::InvalidState, "Session");
    CHECK_THROWS(a.flush(), vf::Status::InvalidState, "Session");
    b.push(quiet, kRate);
    vf::Session c(model);
    c = std::move(b); // the session c held is destroyed here
    CHECK(!b && c);
    c.flush();
    CHECK(c.poll().empty()); // silence has no speakers

    vf::Config config;
    vf::Config moved(std::move(config));
    CHECK(!config && moved);
    CHECK_THROWS(config.set("latency", 1.0), vf::Status::InvalidState, "Config");
    CHECK_THROWS(vf::Session s(model, config), vf::Status::InvalidState, "Config");

    // A session keeps its model alive: the Model object may go first.
    vf::Model own;
    vf::Session keeps(own);
    vf::Model gone(std::move(own));
    CHECK(!own && gone);
    CHECK_THROWS(vf::Session s(own), vf::Status::InvalidState, "Model");
    { vf::Model drop(std::move(gone)); }
    keeps.push(quiet, kRate);
    keeps.flush();
    CHECK(keeps.poll().empty());
}

void test_diarization(const vf::Model &model, const std::vector<std::int16_t> &pcm) {
    std::printf("== diarization\n");
    const Segments chunked = diarize_i16(model, pcm, 1600);
    const Segments whole = diarize_i16(model, pcm, 0);
    const Segments odd = diarize_i16(model, pcm, 333);
    std::printf("   %zu segments\n", chunked.size());
    CHECK(chunked.size() >= 5);
    CHECK(same(chunked, whole));
    CHECK(same(chunked, odd));
    std::uint32_t speakers = 0;
    for (std::size_t i = 0; i < chunked.size(); ++i) {
        CHECK(chunked[i].start < chunked[i].end);
        CHECK(i == 0 || chunked[i - 1].start <= chunked[i].start);
        speakers = std::max(speakers, chunked[i].speaker + 1);
    }
    CHECK(speakers == 3); // the example has three voices

    // float samples through std::vector (and std::span where available).
    std::vector<float> f32(pcm.size());
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        f32[i] = static_cast<float>(pcm[i]) / 32768.0f;
    }
    vf::Session session(model);
    session.push(f32, kRate);
#ifdef VOICEFLOW_HPP_HAS_SPAN
    std::printf("   (with std::span)\n");
    CHECK_THROWS(session.push(std::span<const float>(f32).first(3), kRate, 2),
                 vf::Status::InvalidArgument, "");
#endif
    session.flush();
    const Segments from_float = session.poll();
    CHECK(from_float.size() >= 5);
}

std::uint32_t count_speakers(const Segments &segments) {
    std::uint32_t speakers = 0;
    for (const vf::Segment &s : segments) {
        speakers = std::max(speakers, s.speaker + 1);
    }
    return speakers;
}

void test_offline(const vf::Model &model, const std::vector<std::int16_t> &pcm) {
    std::printf("== offline mode and the refined result\n");
    static_assert(static_cast<int>(vf::Mode::Offline) == VF_MODE_OFFLINE, "mode values");
    static_assert(static_cast<vf_status>(vf::Status::LimitReached) == VF_ERR_LIMIT_REACHED,
                  "status values");
    constexpr std::size_t second = kRate;

    // Offline: nothing until flush, then the whole stream clustered at once.
    vf::Session offline(model, vf::Config().set_mode(vf::Mode::Offline));
    Segments early;
    for (std::size_t at = 0; at < pcm.size(); at += second) {
        offline.push(pcm.data() + at, std::min(second, pcm.size() - at), kRate);
        append(early, offline.poll());
    }
    CHECK(early.empty() && offline.pending() == 0);
    CHECK_THROWS(offline.poll_refined(), vf::Status::InvalidState, "refine");
    offline.flush();
    const Segments answer = offline.poll();
    std::printf("   offline: %zu segments, %u speakers\n", answer.size(), count_speakers(answer));
    CHECK(answer.size() >= 5 && count_speakers(answer) >= 2);

    // Refine: live segments as usual, and after flush the offline answer as a second result.
    vf::Config config;
    config.set_refine(true).set_mode(vf::Mode::Streaming); // the lvalue overloads
    vf::Session refining(model, config);
    Segments live;
    for (std::size_t at = 0; at < pcm.size(); at += second) {
        refining.push(pcm.data() + at, std::min(second, pcm.size() - at), kRate);
        append(live, refining.poll());
    }
    CHECK(!live.empty());
    CHECK(refining.pending_refined() == 0 && refining.poll_refined().empty());
    refining.flush();
    append(live, refining.poll());
    CHECK(count_speakers(live) == 3);
    const std::size_t waiting = refining.pending_refined();
    const Segments refined = refining.poll_refined();
    CHECK(refined.size() == waiting && same(refined, answer));
    CHECK(refining.pending_refined() == 0 && refining.poll_refined().empty());

    vf::Session plain(model);
    CHECK_THROWS(plain.pending_refined(), vf::Status::InvalidState, "refine");
    CHECK_THROWS(vf::Session s(model, vf::Config().set_mode(vf::Mode::Offline).set_refine(true)),
                 vf::Status::InvalidConfig, "refine");

    // max_offline_audio: a push past it is refused whole; the session stays usable.
    vf::Session limited(
        model, vf::Config().set_mode(vf::Mode::Offline).set("max_offline_audio", 5.0));
    CHECK_THROWS(limited.push(pcm.data(), 10 * second, kRate), vf::Status::LimitReached,
                 "max_offline_audio");
    limited.push(pcm.data(), 5 * second, kRate);
    CHECK_THROWS(limited.push(pcm.data() + 5 * second, second / 10, kRate),
                 vf::Status::LimitReached, "");
    limited.flush();
    const Segments first_5_s = limited.poll();
    CHECK(!first_5_s.empty());
    CHECK(std::all_of(first_5_s.begin(), first_5_s.end(),
                      [](const vf::Segment &s) { return s.end <= 5.0 + 1e-6; }));

    vf::Session moved(std::move(limited));
    CHECK_THROWS(limited.poll_refined(), vf::Status::InvalidState, "Session");
    CHECK_THROWS(limited.pending_refined(), vf::Status::InvalidState, "Session");
    vf::Config gone;
    vf::Config taken(std::move(gone));
    CHECK_THROWS(gone.set_mode(vf::Mode::Offline), vf::Status::InvalidState, "Config");
    CHECK_THROWS(gone.set_refine(true), vf::Status::InvalidState, "Config");
}

// The whole of `audio` in Mode::Offline, pushed at once at its own rate.
Segments offline_answer(const vf::Model &model, const vf::Audio &audio) {
    vf::Session session(model, vf::Config().set_mode(vf::Mode::Offline));
    session.push(audio.samples, audio.sample_rate, audio.channels);
    session.flush();
    return session.poll();
}

void test_read_audio(const vf::Model &model, const char *wav_path,
                     const std::vector<std::int16_t> &pcm) {
    std::printf("== read_audio\n");
    const vf::Audio wav = vf::read_audio(wav_path);
    CHECK(wav.sample_rate == 16000 && wav.channels == 1 && wav.frames() == pcm.size());
    bool same_samples = wav.samples.size() == pcm.size();
    for (std::size_t i = 0; same_samples && i < pcm.size(); ++i) {
        same_samples = wav.samples[i] == static_cast<float>(pcm[i]) / 32768.0f;
    }
    CHECK(same_samples); // exactly what wav.h reads, as v / 32768

    const vf::Audio stereo = vf::read_audio("tests/data/audio/stereo_44k.wav");
    CHECK(stereo.sample_rate == 44100 && stereo.channels == 2 && stereo.frames() == 22050 &&
          stereo.samples.size() == 2 * 22050);

    const vf::Audio mp3 = vf::read_audio("examples/data/conversation.mp3");
    CHECK(mp3.sample_rate == 16000 && mp3.channels == 1);
    // Gapless decoding: the MP3 lines up with the WAV, give or take one MP3 frame.
    CHECK(mp3.frames() + 1152 > wav.frames() && mp3.frames() < wav.frames() + 1152);
    const Segments from_wav = offline_answer(model, wav);
    const Segments from_mp3 = offline_answer(model, mp3);
    std::printf("   offline: %zu segments from the WAV, %zu from the MP3\n", from_wav.size(),
                from_mp3.size());
    CHECK(count_speakers(from_wav) == 3 && count_speakers(from_mp3) == 3);
    bool close = from_mp3.size() == from_wav.size();
    for (std::size_t i = 0; close && i < from_wav.size(); ++i) {
        close = from_mp3[i].speaker == from_wav[i].speaker &&
                std::fabs(from_mp3[i].start - from_wav[i].start) < 0.15 &&
                std::fabs(from_mp3[i].end - from_wav[i].end) < 0.15;
    }
    CHECK(close);

    CHECK_THROWS(vf::read_audio("README.md"), vf::Status::Io, "README.md");
    CHECK_THROWS(vf::read_audio("tests/data/audio/missing.flac"), vf::Status::Io, "missing.flac");
    CHECK_THROWS(vf::read_audio("tests/data/audio/opus.ogg"), vf::Status::Io, "Opus");
    CHECK_THROWS(vf::read_audio(std::string("a\0b.wav", 7)), vf::Status::InvalidArgument,
                 "audio path");
}


// ---- Voiceprints: the example conversation's alice, bob and carol ----------------------

// One reference turn of examples/data/conversation.rttm.
struct Turn {
    std::string speaker;
    double start;
    double end;
};

std::vector<Turn> reference_turns() {
    std::ifstream rttm("examples/data/conversation.rttm");
    std::vector<Turn> turns;
    std::string line;
    while (std::getline(rttm, line)) {
        std::istringstream fields(line);
        std::string type, uri, channel, na1, na2, speaker;
        double start = 0, duration = 0;
        if (fields >> type >> uri >> channel >> start >> duration >> na1 >> na2 >> speaker &&
            type == "SPEAKER") {
            turns.push_back(Turn{speaker, start, start + duration});
        }
    }
    return turns;
}

// The samples of `speaker`'s first reference turn (3 to 4.3 s of speech).
std::vector<float> first_turn(const vf::Audio &audio, const std::vector<Turn> &turns,
                              const std::string &speaker) {
    for (const Turn &t : turns) {
        if (t.speaker == speaker) {
            const auto at = [&](double s) {
                return audio.samples.begin() + static_cast<std::ptrdiff_t>(s * kRate);
            };
            return std::vector<float>(at(t.start), at(t.end));
        }
    }
    return {};
}

double speech_of(const Segments &segments, std::uint32_t speaker) {
    double total = 0;
    for (const vf::Segment &s : segments) {
        if (s.speaker == speaker) {
            total += s.end - s.start;
        }
    }
    return total;
}

double norm(const std::vector<float> &v) {
    double sum = 0;
    for (float x : v) {
        sum += static_cast<double>(x) * x;
    }
    return std::sqrt(sum);
}

// Whether every reference turn's first segment covering more than half of it has the id
// `ids` gives its speaker (printing the turns that do not).
bool turns_have_ids(const Segments &segments, const std::vector<Turn> &turns,
                    const std::map<std::string, std::uint32_t> &ids) {
    bool ok = !turns.empty();
    for (const Turn &t : turns) {
        std::optional<std::uint32_t> found;
        for (const vf::Segment &s : segments) {
            if (std::min(s.end, t.end) - std::max(s.start, t.start) > 0.5 * (t.end - t.start)) {
                found = s.speaker;
                break;
            }
        }
        if (found != ids.at(t.speaker)) {
            std::fprintf(stderr, "  %s at %.3f: id %d, expected %u\n", t.speaker.c_str(),
                         t.start, found ? static_cast<int>(*found) : -1, ids.at(t.speaker));
            ok = false;
        }
    }
    return ok;
}

// Whether `v` is the voiceprint of `speaker` in `segments`, named `name`, of carol's model.
bool voiceprint_of(const vf::Voiceprint &v, const Segments &segments, std::uint32_t speaker,
                   const std::optional<std::string> &name, const vf::Voiceprint &carol) {
    const bool ok = v.name() == name &&
                    std::fabs(v.speech_seconds() - speech_of(segments, speaker)) < 1e-3 &&
                    v.dim() == carol.dim() && v.model_name() == carol.model_name() &&
                    v.model_version() == carol.model_version() &&
                    std::fabs(norm(v.vector()) - 1.0) < 1e-3;
    if (!ok) {
        std::fprintf(stderr, "  speaker %u: name %s, %.3f s of speech, segments %.3f s\n",
                     speaker, v.name().value_or("(none)").c_str(), v.speech_seconds(),
                     speech_of(segments, speaker));
    }
    return ok;
}

// The byte encoding with another embedding model's name (README, section Voiceprints).
std::vector<std::uint8_t> with_model_name(std::vector<std::uint8_t> bytes,
                                          const std::string &model_name) {
    const std::size_t old = bytes.at(12);
    bytes.erase(bytes.begin() + 13, bytes.begin() + 13 + static_cast<std::ptrdiff_t>(old));
    bytes[12] = static_cast<std::uint8_t>(model_name.size());
    bytes.insert(bytes.begin() + 13, model_name.begin(), model_name.end());
    return bytes;
}

struct Known {
    vf::Voiceprint alice, bob, carol;
};

Known make_voiceprints(const vf::Model &model, const vf::Audio &audio,
                       const std::vector<Turn> &turns) {
    return Known{
        vf::Voiceprint::from_audio(model, first_turn(audio, turns, "alice"), kRate, 1, "alice"),
        vf::Voiceprint::from_audio(model, first_turn(audio, turns, "bob"), kRate, 1, "bob"),
        vf::Voiceprint::from_audio(model, first_turn(audio, turns, "carol"), kRate, 1, "carol"),
    };
}

void test_voiceprint_values(const vf::Model &model, const vf::Audio &audio,
                            const std::vector<Turn> &turns, const Known &known) {
    std::printf("== voiceprints: from audio, bytes, files, names\n");
    const vf::Voiceprint &carol = known.carol;
    CHECK(carol && carol.name() == std::optional<std::string>("carol"));
    CHECK(carol.speech_seconds() >= 2.0 && carol.speech_seconds() <= 3.1); // a 3.0 s turn
    CHECK(carol.dim() == 192 && carol.vector().size() == 192);
    CHECK(std::fabs(norm(carol.vector()) - 1.0) < 1e-3);
    CHECK(carol.model_name().rfind("campplus", 0) == 0 && !carol.model_version().empty());
    CHECK(known.alice.to_bytes() != known.bob.to_bytes());

    // int16 samples give the same voiceprint as their float values.
    const std::vector<float> turn = first_turn(audio, turns, "carol");
    std::vector<std::int16_t> pcm16(turn.size());
    for (std::size_t i = 0; i < turn.size(); ++i) {
        pcm16[i] = static_cast<std::int16_t>(std::lround(turn[i] * 32768.0f));
    }
    CHECK(vf::Voiceprint::from_audio(model, pcm16, kRate, 1, "carol").to_bytes() ==
          carol.to_bytes());
    const vf::Voiceprint unnamed = vf::Voiceprint::from_audio(model, turn.data(), turn.size(),
                                                              kRate);
    CHECK(!unnamed.name() && unnamed.vector() == carol.vector());
#ifdef VOICEFLOW_HPP_HAS_SPAN
    CHECK(vf::Voiceprint::from_audio(model, std::span<const float>(turn), kRate, 1, "carol")
              .to_bytes() == carol.to_bytes());
#endif

    // Bytes: the same voiceprint back.
    const std::vector<std::uint8_t> bytes = known.alice.to_bytes();
    CHECK(bytes.size() > 4 * 192 && std::memcmp(bytes.data(), "VFVP", 4) == 0);
    CHECK(bytes[4] == VF_VOICEPRINT_FORMAT_VERSION && bytes[5] == 0);
    const vf::Voiceprint again = vf::Voiceprint::from_bytes(bytes);
    CHECK(again.to_bytes() == bytes && again.name() == known.alice.name() &&
          again.vector() == known.alice.vector() &&
          again.speech_seconds() == known.alice.speech_seconds() &&
          again.model_name() == known.alice.model_name() &&
          again.model_version() == known.alice.model_version());
    CHECK(vf::Voiceprint::from_bytes(bytes.data(), bytes.size()).to_bytes() == bytes);

    // Names: set, checked, removed; a refused name changes nothing.
    vf::Voiceprint named = vf::Voiceprint::from_bytes(bytes);
    named.set_name("Alice Smith").set_name(std::string("Alice Smith"));
    CHECK(named.name() == std::optional<std::string>("Alice Smith"));
    CHECK(vf::Voiceprint::from_bytes(named.to_bytes()).name() == named.name());
    for (const std::string &bad : {std::string(), std::string("  "), std::string("a\nb"),
                                   std::string(256, 'x')}) {
        CHECK_THROWS(named.set_name(bad), vf::Status::InvalidArgument, "name");
    }
    CHECK_THROWS(named.set_name(std::string("a\0b", 3)), vf::Status::InvalidArgument, "NUL");
    CHECK(named.name() == std::optional<std::string>("Alice Smith"));
    named.set_name(std::nullopt);
    CHECK(!named.name() && named.to_bytes().size() == bytes.size() - 5);

    // JSON files: the same voiceprint back; missing files and folders are Status::Io.
    const std::string file = "/tmp/voiceflow_test_wrapper_" + std::to_string(getpid()) + ".json";
    known.alice.save(file);
    CHECK(vf::Voiceprint::load(file).to_bytes() == bytes);
    std::ifstream json(file);
    const std::string text((std::istreambuf_iterator<char>(json)),
                           std::istreambuf_iterator<char>());
    CHECK(text.find("\"format\": \"voiceflow.voiceprint\"") != std::string::npos &&
          text.find("\"name\": \"alice\"") != std::string::npos);
    named.save(file); // replaces it
    CHECK(!vf::Voiceprint::load(file).name());
    std::remove(file.c_str());
    CHECK_THROWS(vf::Voiceprint::load(file), vf::Status::Io, file.c_str());
    CHECK_THROWS(known.alice.save("/nonexistent/voiceflow/a.json"), vf::Status::Io,
                 "/nonexistent/voiceflow");
    CHECK_THROWS(vf::Voiceprint::load("README.md"), vf::Status::InvalidArgument, "README.md");
    CHECK_THROWS(vf::Voiceprint::load(std::string("a\0b", 3)), vf::Status::InvalidArgument,
                 "voiceprint path");

    // Bad bytes: every truncation, a byte too many, NaN, another format version.
    bool truncations_refused = true;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        try {
            vf::Voiceprint::from_bytes(bytes.data(), n);
            truncations_refused = false;
        } catch (const vf::Error &e) {
            truncations_refused = truncations_refused &&
                                  e.status() == vf::Status::InvalidArgument;
        }
    }
    CHECK(truncations_refused);
    CHECK_THROWS(vf::Voiceprint::from_bytes(std::vector<std::uint8_t>()),
                 vf::Status::InvalidArgument, "truncated");
    std::vector<std::uint8_t> longer = bytes;
    longer.push_back(0);
    CHECK_THROWS(vf::Voiceprint::from_bytes(longer), vf::Status::InvalidArgument,
                 "after its end");
    std::vector<std::uint8_t> nan = bytes;
    const float quiet_nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(nan.data() + nan.size() - 4, &quiet_nan, 4);
    CHECK_THROWS(vf::Voiceprint::from_bytes(nan), vf::Status::InvalidArgument, "must be finite");
    std::vector<std::uint8_t> version_2 = bytes;
    version_2[4] = 2;
    CHECK_THROWS(vf::Voiceprint::from_bytes(version_2), vf::Status::InvalidArgument,
                 "version 2");

    // Too little speech, and audio a session refuses.
    const std::vector<float> one_second(audio.samples.begin(), audio.samples.begin() + kRate);
    CHECK_THROWS(vf::Voiceprint::from_audio(model, one_second, kRate), vf::Status::InvalidAudio,
                 "too little speech");
    CHECK_THROWS(vf::Voiceprint::from_audio(model, std::vector<float>(5 * kRate, 0.0f), kRate),
                 vf::Status::InvalidAudio, "too little speech");
    std::vector<float> with_nan = turn;
    with_nan[100] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS(vf::Voiceprint::from_audio(model, with_nan, kRate), vf::Status::InvalidAudio,
                 "");
    CHECK_THROWS(vf::Voiceprint::from_audio(model, one_second, 1000),
                 vf::Status::UnsupportedSampleRate, "1000");
    CHECK_THROWS(vf::Voiceprint::from_audio(model, turn, kRate, 1, std::string("a\0b", 3)),
                 vf::Status::InvalidArgument, "NUL");

    // Moved from: empty, and every use throws.
    vf::Voiceprint source = vf::Voiceprint::from_bytes(bytes);
    vf::Voiceprint target(std::move(source));
    CHECK(!source && target && !source.get());
    CHECK_THROWS(source.dim(), vf::Status::InvalidState, "Voiceprint");
    CHECK_THROWS(source.to_bytes(), vf::Status::InvalidState, "Voiceprint");
    CHECK_THROWS(source.name(), vf::Status::InvalidState, "Voiceprint");
    CHECK_THROWS(source.set_name("x"), vf::Status::InvalidState, "Voiceprint");
    CHECK_THROWS(source.save(file), vf::Status::InvalidState, "Voiceprint");
    vf::Config config;
    CHECK_THROWS(config.enroll(source), vf::Status::InvalidState, "Voiceprint");
    source = vf::Voiceprint::from_bytes(bytes); // assignable again
    CHECK(source && source.to_bytes() == bytes);
    vf::Model gone;
    vf::Model taken(std::move(gone));
    CHECK_THROWS(vf::Voiceprint::from_audio(gone, turn, kRate), vf::Status::InvalidState,
                 "Model");
}

void test_enroll_refusals(const vf::Model &model, const Known &known) {
    std::printf("== voiceprints: enrollments refused, nothing changed\n");
    vf::Config config;
    vf::Voiceprint unnamed = vf::Voiceprint::from_bytes(known.alice.to_bytes());
    unnamed.set_name(std::nullopt);
    CHECK_THROWS(config.enroll(unnamed), vf::Status::InvalidArgument, "needs a name");
    CHECK(config.enroll(known.alice) == 0);
    CHECK_THROWS(config.enroll(known.alice), vf::Status::InvalidArgument, "enrolled already");
    const vf::Voiceprint foreign =
        vf::Voiceprint::from_bytes(with_model_name(known.bob.to_bytes(), "other-model"));
    CHECK(foreign.model_name() == "other-model" && foreign.name() == known.bob.name());
    CHECK_THROWS(config.enroll(foreign), vf::Status::InvalidArgument, "other-model");
    CHECK(config.enroll(known.bob) == 1); // none of the refused took an id
    {
        vf::Session session(model, config);
        CHECK(session.speaker_name(0) == std::optional<std::string>("alice"));
        CHECK(session.speaker_name(1) == std::optional<std::string>("bob"));
        CHECK(!session.speaker_name(2) && !session.speaker_name(0xFFFFFFFFu));
    }

    // Another model's voiceprint: enrolled (nothing to compare with yet), refused by the
    // session, which names it.
    vf::Config other;
    CHECK(other.enroll(foreign) == 0);
    CHECK_THROWS(vf::Session s(model, other), vf::Status::InvalidConfig, "speakers[0]");
    CHECK_THROWS(vf::Session s(model, other), vf::Status::InvalidConfig, "other-model");

    // At most max_enrolled_speakers.
    vf::Config many;
    vf::Voiceprint copy = vf::Voiceprint::from_bytes(known.alice.to_bytes());
    bool all_enrolled = true;
    for (std::size_t i = 0; i < vf::max_enrolled_speakers; ++i) {
        copy.set_name("speaker " + std::to_string(i));
        all_enrolled = all_enrolled && many.enroll(copy) == i;
    }
    CHECK(all_enrolled);
    CHECK_THROWS(many.enroll(known.bob), vf::Status::InvalidArgument, "64");

    CHECK_THROWS(vf::Session s(model, vf::Config().set("known_speaker_threshold", 3.0)),
                 vf::Status::InvalidConfig, "known_speaker_threshold");
}

void test_enrolled_speakers(const vf::Model &model, const vf::Audio &audio,
                            const std::vector<Turn> &turns, const Known &known) {
    std::printf("== voiceprints: enrolled speakers get their ids and names\n");
    // Enrolled out of order of appearance: carol is id 0, alice id 1; bob, unknown, is 2.
    const std::map<std::string, std::uint32_t> ids{{"carol", 0}, {"alice", 1}, {"bob", 2}};
    const std::map<std::uint32_t, std::optional<std::string>> names{
        {0, "carol"}, {1, "alice"}, {2, std::nullopt}};
    vf::Config config;
    config.set_refine(true);
    CHECK(config.enroll(known.carol) == 0 && config.enroll(known.alice) == 1);

    vf::Session session(model, config);
    CHECK(session.speaker_name(0) == names.at(0) && session.speaker_name(1) == names.at(1));
    CHECK(!session.speaker_name(2));
    CHECK_THROWS(session.voiceprint(0), vf::Status::InvalidArgument, "no segment");
    Segments live;
    std::set<std::uint32_t> checked_while_streaming;
    bool speech_matches = true;
    const std::size_t chunk = kRate / 10;
    for (std::size_t at = 0, i = 0; at < audio.samples.size(); at += chunk, ++i) {
        session.push(audio.samples.data() + at, std::min(chunk, audio.samples.size() - at),
                     kRate);
        append(live, session.poll());
        if (i % 10 == 0) { // every second: each id's voiceprint has its segments' speech
            for (const vf::Segment &s : live) {
                const double heard = session.voiceprint(s.speaker).speech_seconds();
                speech_matches =
                    speech_matches && std::fabs(heard - speech_of(live, s.speaker)) < 1e-3;
                checked_while_streaming.insert(s.speaker);
            }
        }
    }
    CHECK(speech_matches && checked_while_streaming.size() == 3);
    CHECK_THROWS(session.refined_voiceprint(0), vf::Status::InvalidArgument, "");
    session.flush();
    append(live, session.poll());
    std::printf("   live: %zu segments, %u speakers\n", live.size(), count_speakers(live));
    CHECK(turns_have_ids(live, turns, ids));
    for (const auto &[id, name] : names) {
        CHECK(voiceprint_of(session.voiceprint(id), live, id, name, known.carol));
    }
    CHECK_THROWS(session.voiceprint(9), vf::Status::InvalidArgument, "no segment");

    // The refined result (the offline answer) has them under the same ids.
    const Segments refined = session.poll_refined();
    CHECK(turns_have_ids(refined, turns, ids));
    for (const auto &[id, name] : names) {
        CHECK(voiceprint_of(session.refined_voiceprint(id), refined, id, name, known.carol));
    }
    CHECK_THROWS(session.refined_voiceprint(9), vf::Status::InvalidArgument, "");

    // An offline session with the same speakers: that answer, voiceprints after flush.
    vf::Config offline_config;
    offline_config.set_mode(vf::Mode::Offline);
    offline_config.enroll(known.carol);
    offline_config.enroll(known.alice);
    vf::Session offline(model, offline_config);
    offline.push(audio.samples, audio.sample_rate, audio.channels);
    CHECK_THROWS(offline.voiceprint(0), vf::Status::InvalidArgument, "");
    offline.flush();
    const Segments answer = offline.poll();
    CHECK(same(answer, refined));
    for (const auto &[id, name] : names) {
        const vf::Voiceprint v = offline.voiceprint(id);
        CHECK(voiceprint_of(v, answer, id, name, known.carol));
        CHECK(v.to_bytes() == offline.refined_voiceprint(id).to_bytes());
    }
    CHECK(offline.speaker_name(1) == names.at(1));

    // A session's voiceprint outlives it and, enrolled, knows its speaker next time.
    vf::Voiceprint bob = session.voiceprint(2);
    { vf::Session drop(std::move(session)); }
    CHECK_THROWS(session.voiceprint(0), vf::Status::InvalidState, "Session");
    CHECK_THROWS(session.speaker_name(0), vf::Status::InvalidState, "Session");
    bob.set_name("bob");
    vf::Config later_config;
    later_config.set_mode(vf::Mode::Offline);
    CHECK(later_config.enroll(bob) == 0);
    vf::Session later(model, later_config);
    later.push(audio.samples.data(), 10 * kRate, kRate); // alice, then bob (5.4-9.4 s)
    later.flush();
    const Segments first_10_s = later.poll();
    bool bob_is_0 = false;
    for (const vf::Segment &s : first_10_s) {
        bob_is_0 = bob_is_0 || (s.speaker == 0 && s.start > 5.0 && s.end > 9.0);
    }
    CHECK(bob_is_0 && later.speaker_name(0) == std::optional<std::string>("bob"));
}
} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <16 kHz mono 16-bit WAV>\n", argv[0]);
        return 2;
    }
    wav_audio audio;
    char err[512];
    if (wav_read(argv[1], &audio, err, sizeof err) != 0) {
        std::fprintf(stderr, "%s\n", err);
        return 2;
    }
    std::vector<std::int16_t> pcm;
    if (!audio.is_float && audio.channels == 1 && audio.sample_rate == kRate) {
        pcm.assign(audio.pcm16, audio.pcm16 + audio.frames);
    }
    wav_free(&audio);
    if (pcm.empty()) {
        std::fprintf(stderr, "%s: need 16 kHz mono 16-bit PCM\n", argv[1]);
        return 2;
    }
    try {
        test_library_info();
        test_error_mapping();
        vf::Model model;
        test_devices(model, pcm);
        test_session_errors(model);
        test_moves(model);
        test_diarization(model, pcm);
        test_offline(model, pcm);
        test_read_audio(model, argv[1], pcm);
        const vf::Audio conversation = vf::read_audio("examples/data/conversation.wav");
        const std::vector<Turn> turns = reference_turns();
        CHECK(conversation.sample_rate == kRate && conversation.channels == 1 &&
              turns.size() == 14);
        const Known known = make_voiceprints(model, conversation, turns);
        test_voiceprint_values(model, conversation, turns, known);
        test_enroll_refusals(model, known);
        test_enrolled_speakers(model, conversation, turns, known);
    } catch (const vf::Error &e) {
        std::fprintf(stderr, "unexpected voiceflow::Error: %s\n", e.what());
        return 1;
    }
    std::printf("%d checks passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
