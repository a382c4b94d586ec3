// Tests of the C++ wrapper include/voiceflow.hpp; exits non-zero on any failed check.
// Built as C++17 and C++20 by `make test-bindings-c`.
//
//   test_wrapper <16 kHz mono 16-bit PCM WAV>   (examples/data/conversation.wav)
//
// Run from the repository root: read_audio's checks open tests/data/audio/ and
// examples/data/conversation.mp3 there.
#include "voiceflow.hpp"

extern "C" {
#include "../../examples/c/wav.h"
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

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
    } catch (const vf::Error &e) {
        std::fprintf(stderr, "unexpected voiceflow::Error: %s\n", e.what());
        return 1;
    }
    std::printf("%d checks passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
