// voiceflow C++ wrapper: header-only RAII types over the C ABI of voiceflow.h.
//
//   voiceflow::Model model;                           // default models, 1 thread
//   voiceflow::Session session(model, voiceflow::Config().set("num_speakers", 2));
//   session.push(pcm16.data(), pcm16.size(), 16000);  // int16_t or float, any rate
//   for (const voiceflow::Segment &s : session.poll()) { ... }
//   session.flush();                                  // end of stream, then poll() again
//
//   // Offline: nothing until flush, then the whole stream clustered at once. Or a
//   // streaming session that also gives that answer at flush, through poll_refined():
//   voiceflow::Session offline(model, voiceflow::Config().set_mode(voiceflow::Mode::Offline));
//   voiceflow::Session refining(model, voiceflow::Config().set_refine(true));
//
//   // Any common audio file (WAV, FLAC, MP3, Ogg Vorbis, AIFF, ...), decoded by the library:
//   const voiceflow::Audio audio = voiceflow::read_audio("meeting.mp3");
//   session.push(audio.samples, audio.sample_rate, audio.channels);
//
//   // Known speakers across sessions: a voiceprint from audio of one voice (>= 2 s of
//   // speech), from a session, or loaded; enrolled, its voice gets a fixed id and name.
//   voiceflow::Voiceprint alice = voiceflow::Voiceprint::from_audio(model, turn, 16000, 1,
//                                                                   "alice");
//   alice.save("alice.json");                         // or alice.to_bytes()
//   voiceflow::Config known;
//   std::uint32_t id = known.enroll(voiceflow::Voiceprint::load("alice.json")); // 0
//   voiceflow::Session named(model, known);           // alice's speech: speaker `id`
//   named.speaker_name(id);                           // std::optional: "alice"
//   voiceflow::Voiceprint heard = named.voiceprint(1); // an id of its segments so far
//
// - Every failing call throws voiceflow::Error, which carries the vf_status code (as
//   voiceflow::Status) and the detailed vf_last_error() message.
// - Model, Config, Session and Voiceprint own their C handle: move-only, freed by the
//   destructor. A moved-from object is empty (`!obj`); using it throws
//   Error(Status::InvalidState).
// - C++17; std::span overloads are added where the standard library has them (C++20).
// - Thread safety as in the C API: a Model may be shared by any number of threads and
//   sessions; a Session is used by one thread at a time.
#ifndef VOICEFLOW_HPP
#define VOICEFLOW_HPP

#include "voiceflow.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
#include <span>
#define VOICEFLOW_HPP_HAS_SPAN 1
#endif

namespace voiceflow {

/// The vf_status codes of voiceflow.h.
enum class Status : vf_status {
    Ok = VF_OK,
    NullPointer = VF_ERR_NULL_POINTER,
    InvalidArgument = VF_ERR_INVALID_ARGUMENT,
    InvalidConfig = VF_ERR_INVALID_CONFIG,
    RuntimeUnavailable = VF_ERR_RUNTIME_UNAVAILABLE,
    Model = VF_ERR_MODEL,
    Inference = VF_ERR_INFERENCE,
    InvalidAudio = VF_ERR_INVALID_AUDIO,
    UnsupportedSampleRate = VF_ERR_UNSUPPORTED_SAMPLE_RATE,
    InvalidState = VF_ERR_INVALID_STATE,
    Internal = VF_ERR_INTERNAL,
    Io = VF_ERR_IO,
    DeviceUnavailable = VF_ERR_DEVICE_UNAVAILABLE,
    LimitReached = VF_ERR_LIMIT_REACHED,
};

/// The "mode" of a session (Config::set_mode).
enum class Mode : int {
    /// Segments while the stream runs (the default).
    Streaming = VF_MODE_STREAMING,
    /// Nothing until flush, then the whole stream clustered at once.
    Offline = VF_MODE_OFFLINE,
};

/// The most speakers one Config may enroll (Config::enroll).
inline constexpr std::size_t max_enrolled_speakers = VF_MAX_ENROLLED_SPEAKERS;
/// The version of the voiceprint byte and JSON encodings written and read.
inline constexpr unsigned voiceprint_format_version = VF_VOICEPRINT_FORMAT_VERSION;

/// A failed voiceflow call: what() is "<status text>: <detailed message>".
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message)
        : std::runtime_error(std::string(vf_status_str(static_cast<vf_status>(status))) +
                             ": " + message),
          status_(status), message_(message) {}

    /// The status code of the failed call.
    Status status() const noexcept { return status_; }
    /// The same as the raw C code.
    vf_status code() const noexcept { return static_cast<vf_status>(status_); }
    /// The detailed message alone (vf_last_error() at the time of the failure).
    const std::string &message() const noexcept { return message_; }

private:
    Status status_;
    std::string message_;
};

namespace detail {

/// Throws Error for any status but VF_OK, with this thread's vf_last_error().
inline void check(vf_status status) {
    if (status != VF_OK) {
        throw Error(static_cast<Status>(status), vf_last_error());
    }
}

/// The C string of `text`. An embedded NUL would cut it short and silently name another
/// file or device, so it throws Status::InvalidArgument.
inline const char *c_str_checked(const std::string &text, const char *what) {
    if (text.find('\0') != std::string::npos) {
        throw Error(Status::InvalidArgument, std::string(what) + " contains a NUL character");
    }
    return text.c_str();
}

/// As c_str_checked, but NULL (the C API's default) when `text` is empty.
inline const char *c_str_or_null(const std::string &text, const char *what) {
    return text.empty() ? nullptr : c_str_checked(text, what);
}

[[noreturn]] inline void throw_moved_from(const char *type) {
    throw Error(Status::InvalidState,
                std::string("voiceflow::") + type + " is empty (moved from)");
}

struct ModelFree {
    void operator()(vf_model *model) const noexcept { vf_model_free(model); }
};
struct ConfigFree {
    void operator()(vf_config *config) const noexcept { vf_config_free(config); }
};
struct SessionDestroy {
    void operator()(vf_session *session) const noexcept { vf_session_destroy(session); }
};
struct AudioFree {
    void operator()(vf_audio *audio) const noexcept { vf_audio_free(audio); }
};
struct VoiceprintFree {
    void operator()(vf_voiceprint *voiceprint) const noexcept { vf_voiceprint_free(voiceprint); }
};

/// The C string of an optional name: NULL for none (NUL inside throws, as c_str_checked).
inline const char *name_or_null(const std::optional<std::string> &name) {
    return name ? c_str_checked(*name, "the voiceprint name") : nullptr;
}

} // namespace detail

/// One final speaker turn; times in seconds from the start of the stream.
struct Segment {
    std::uint32_t speaker;
    double start;
    double end;
};

/// Library version text, e.g. "0.1.0".
inline std::string version() { return vf_version(); }

/// Throws Error(Status::InvalidState) unless the loaded library has this header's ABI.
inline void check_abi() {
    if (vf_abi_version() != VF_ABI_VERSION) {
        throw Error(Status::InvalidState,
                    "libvoiceflow has ABI " + std::to_string(vf_abi_version()) +
                        " but voiceflow.hpp was written for ABI " +
                        std::to_string(VF_ABI_VERSION));
    }
}

/// Loads ONNX Runtime from `library_path`; empty: ORT_DYLIB_PATH, then the set-up folder.
/// Optional: opening a Model loads it on first use.
inline void load_runtime(const std::string &library_path = std::string()) {
    detail::check(vf_runtime_load(library_path.empty() ? nullptr : library_path.c_str()));
}

/// Where to find the models (an empty path means the default model) and where to run
/// them. `device` is "cpu", "cpu:N" (N threads, overriding `threads`), "cuda", "cuda:K" or
/// "best"; a malformed one throws Status::InvalidArgument. A GPU that cannot be used
/// throws Status::DeviceUnavailable unless `allow_cpu_fallback`: the model then runs on
/// the CPU and Model::device_fallback() says why.
struct ModelOptions {
    std::string segmentation;
    std::string embedding;
    std::uint32_t threads = 1;
    std::string device = "cpu";
    bool allow_cpu_fallback = false;
};

/// A loaded pair of segmentation and embedding models, shareable across threads.
class Model {
public:
    /// The default models with one inference thread, on the CPU.
    Model() : Model(ModelOptions()) {}

    explicit Model(const ModelOptions &options) {
        vf_model *raw = nullptr;
        detail::check(vf_model_open_ex(
            detail::c_str_or_null(options.segmentation, "the segmentation path"),
            detail::c_str_or_null(options.embedding, "the embedding path"),
            detail::c_str_checked(options.device, "the device"), options.threads,
            options.allow_cpu_fallback ? VF_MODEL_ALLOW_CPU_FALLBACK : 0u, &raw));
        handle_.reset(raw);
    }

    /// The default models on `device` ("cpu", "cpu:N", "cuda", "cuda:K", "best").
    static Model on_device(const std::string &device, bool allow_cpu_fallback = false) {
        ModelOptions options;
        options.device = device;
        options.allow_cpu_fallback = allow_cpu_fallback;
        return Model(options);
    }

    /// Where the model runs: "cpu" or "cuda:K".
    std::string device() const { return vf_model_device(live()); }

    /// Why the model runs on the CPU although a GPU was requested; empty when it runs
    /// where it was asked to.
    std::optional<std::string> device_fallback() const {
        const char *reason = vf_model_device_fallback(live());
        if (reason == nullptr) {
            return std::nullopt;
        }
        return std::string(reason);
    }

    /// The C handle, still owned by this object (NULL when moved from).
    const vf_model *get() const noexcept { return handle_.get(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    const vf_model *live() const {
        if (!handle_) {
            detail::throw_moved_from("Model");
        }
        return handle_.get();
    }

    std::unique_ptr<vf_model, detail::ModelFree> handle_;
};

class Session;

/// A speaker's voiceprint: the unit centroid of its voice as the embedding model sees it,
/// the model's name and version (vectors of two models cannot be compared), the seconds
/// of speech behind it and an optional name. Made from audio (from_audio), read from a
/// session (Session::voiceprint), or loaded (from_bytes, load); enrolled in a Config, it
/// makes later sessions report that voice under a fixed id and its name. Move-only; a
/// moved-from object is empty and using it throws Status::InvalidState. Like the C object,
/// not to be renamed while another thread uses it.
class Voiceprint {
public:
    /// The voiceprint of the voice heard most in `count` interleaved samples (-1..1) at
    /// `sample_rate` Hz with `channels` channels (the rules of Session::push), named
    /// `name` (none: std::nullopt). The audio should hold one voice: it is diarized like
    /// an offline session and its main speaker taken. Less than 2 s of that voice throws
    /// Status::InvalidAudio ("too little speech"); a bad name Status::InvalidArgument.
    static Voiceprint from_audio(const Model &model, const float *samples, std::size_t count,
                                 std::uint32_t sample_rate, std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        if (!model) {
            detail::throw_moved_from("Model");
        }
        vf_voiceprint *raw = nullptr;
        detail::check(vf_voiceprint_from_audio(model.get(), samples, count, sample_rate,
                                               channels, detail::name_or_null(name), &raw));
        return Voiceprint(raw);
    }
    static Voiceprint from_audio(const Model &model, const std::vector<float> &samples,
                                 std::uint32_t sample_rate, std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        return from_audio(model, samples.data(), samples.size(), sample_rate, channels, name);
    }
    /// 16-bit PCM, scaled to -1..1 as Session::push scales it (v / 32768).
    static Voiceprint from_audio(const Model &model, const std::int16_t *samples,
                                 std::size_t count, std::uint32_t sample_rate,
                                 std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        std::vector<float> scaled(count);
        for (std::size_t i = 0; i < count; ++i) {
            scaled[i] = static_cast<float>(samples[i]) / 32768.0f;
        }
        return from_audio(model, scaled, sample_rate, channels, name);
    }
    static Voiceprint from_audio(const Model &model, const std::vector<std::int16_t> &samples,
                                 std::uint32_t sample_rate, std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        return from_audio(model, samples.data(), samples.size(), sample_rate, channels, name);
    }
#ifdef VOICEFLOW_HPP_HAS_SPAN
    static Voiceprint from_audio(const Model &model, std::span<const float> samples,
                                 std::uint32_t sample_rate, std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        return from_audio(model, samples.data(), samples.size(), sample_rate, channels, name);
    }
    static Voiceprint from_audio(const Model &model, std::span<const std::int16_t> samples,
                                 std::uint32_t sample_rate, std::uint32_t channels = 1,
                                 const std::optional<std::string> &name = std::nullopt) {
        return from_audio(model, samples.data(), samples.size(), sample_rate, channels, name);
    }
#endif

    /// Reads the byte encoding (to_bytes()): all `size` bytes must be one voiceprint.
    /// Anything else (another format or format version, truncated or trailing bytes, NaN,
    /// a vector that is not unit length) throws Status::InvalidArgument naming the cause.
    static Voiceprint from_bytes(const std::uint8_t *data, std::size_t size) {
        vf_voiceprint *raw = nullptr;
        detail::check(vf_voiceprint_from_bytes(data, size, &raw));
        return Voiceprint(raw);
    }
    static Voiceprint from_bytes(const std::vector<std::uint8_t> &bytes) {
        return from_bytes(bytes.data(), bytes.size());
    }
#ifdef VOICEFLOW_HPP_HAS_SPAN
    static Voiceprint from_bytes(std::span<const std::uint8_t> bytes) {
        return from_bytes(bytes.data(), bytes.size());
    }
#endif

    /// Reads a voiceprint JSON file (UTF-8 path), as `voiceflow enroll --out` and save()
    /// write them: Status::Io when it cannot be read, Status::InvalidArgument when it is
    /// not a valid voiceprint; both messages name the file.
    static Voiceprint load(const std::string &path) {
        vf_voiceprint *raw = nullptr;
        detail::check(
            vf_voiceprint_read_file(detail::c_str_checked(path, "the voiceprint path"), &raw));
        return Voiceprint(raw);
    }

    /// Writes the voiceprint as a JSON file, replacing it (Status::Io names the file).
    void save(const std::string &path) const {
        detail::check(vf_voiceprint_write_file(
            checked(), detail::c_str_checked(path, "the voiceprint path")));
    }

    /// The byte encoding, read back by from_bytes().
    std::vector<std::uint8_t> to_bytes() const {
        std::vector<std::uint8_t> bytes(vf_voiceprint_byte_len(checked()));
        std::size_t written = 0;
        detail::check(vf_voiceprint_to_bytes(checked(), bytes.data(), bytes.size(), &written));
        bytes.resize(written);
        return bytes;
    }

    /// Dimension of the vector.
    std::size_t dim() const { return vf_voiceprint_dim(checked()); }

    /// The unit vector (a copy), dim() values.
    std::vector<float> vector() const {
        const float *values = vf_voiceprint_vector(checked());
        return std::vector<float>(values, values + dim());
    }

    /// Seconds of speech the voiceprint was made from.
    double speech_seconds() const { return vf_voiceprint_speech_seconds(checked()); }

    /// The speaker's name, if it has one.
    std::optional<std::string> name() const {
        const char *name = vf_voiceprint_name(checked());
        if (name == nullptr) {
            return std::nullopt;
        }
        return std::string(name);
    }

    /// Names the voiceprint (1..255 UTF-8 bytes, not only whitespace, no control
    /// characters), or removes its name with std::nullopt. A bad name throws
    /// Status::InvalidArgument and changes nothing.
    Voiceprint &set_name(const std::optional<std::string> &name) {
        detail::check(vf_voiceprint_set_name(checked(), detail::name_or_null(name)));
        return *this;
    }

    /// Name of the embedding model that made the voiceprint (e.g. "campplus...").
    std::string model_name() const { return vf_voiceprint_model_name(checked()); }
    /// Version of that embedding model.
    std::string model_version() const { return vf_voiceprint_model_version(checked()); }

    /// The C handle, still owned by this object (NULL when moved from).
    const vf_voiceprint *get() const noexcept { return handle_.get(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    friend class Session;

    /// Takes ownership of `raw`.
    explicit Voiceprint(vf_voiceprint *raw) noexcept : handle_(raw) {}

    vf_voiceprint *checked() const {
        if (!handle_) {
            detail::throw_moved_from("Voiceprint");
        }
        return handle_.get();
    }

    std::unique_ptr<vf_voiceprint, detail::VoiceprintFree> handle_;
};

/// Session settings; every key has a default (README, section Configuration).
class Config {
public:
    Config() {
        vf_config *raw = nullptr;
        detail::check(vf_config_new(&raw));
        handle_.reset(raw);
    }

    /// Sets a field; an unknown key throws Status::InvalidArgument at once, an
    /// out-of-range value throws Status::InvalidConfig when a Session is created.
    Config &set(const std::string &key, double value) & {
        detail::check(vf_config_set_float(checked(), key.c_str(), value));
        return *this;
    }
    Config &&set(const std::string &key, double value) && {
        detail::check(vf_config_set_float(checked(), key.c_str(), value));
        return std::move(*this);
    }

    /// The "mode" key. An offline or refining session refuses a push past its
    /// "max_offline_audio" seconds with Status::LimitReached (nothing consumed).
    Config &set_mode(Mode mode) & { return set("mode", static_cast<double>(mode)); }
    Config &&set_mode(Mode mode) && { return std::move(set_mode(mode)); }

    /// The "refine" key: a streaming session also produces the offline answer at flush
    /// (Session::poll_refined()). With Mode::Offline, Session throws Status::InvalidConfig.
    Config &set_refine(bool refine) & { return set("refine", refine ? 1.0 : 0.0); }
    Config &&set_refine(bool refine) && { return std::move(set_refine(refine)); }

    /// Enrolls a known speaker and returns its id: sessions created from this config
    /// afterwards report the speech of that voice under this id (the number of speakers
    /// enrolled before it: 0, 1, ...) and its name (Session::speaker_name); the speakers
    /// they do not know are numbered from the number enrolled. A voice is taken for an
    /// enrolled one within the cosine distance "known_speaker_threshold" (default: that of
    /// "delta_new"). The voiceprint is copied. Throws Status::InvalidArgument, changing
    /// nothing, for a voiceprint without a name, a name enrolled already, another model or
    /// dimension than the speakers enrolled before, or more than max_enrolled_speakers.
    /// Voiceprints of another model than the session's throw Status::InvalidConfig when
    /// the Session is created.
    std::uint32_t enroll(const Voiceprint &voiceprint) {
        if (!voiceprint) {
            detail::throw_moved_from("Voiceprint");
        }
        std::uint32_t id = 0;
        detail::check(vf_config_enroll(checked(), voiceprint.get(), &id));
        return id;
    }

    const vf_config *get() const noexcept { return handle_.get(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    vf_config *checked() const {
        if (!handle_) {
            detail::throw_moved_from("Config");
        }
        return handle_.get();
    }

    std::unique_ptr<vf_config, detail::ConfigFree> handle_;
};

/// One audio stream being diarized. Keeps its model alive on its own.
class Session {
public:
    /// A session with the default configuration.
    explicit Session(const Model &model) : Session(model, nullptr) {}

    /// A session with `config`, validated here (Status::InvalidConfig names the field).
    Session(const Model &model, const Config &config) : Session(model, checked(config)) {}

    /// Interleaved samples at `sample_rate` Hz (8000..192000), `channels` 1..32. The rate
    /// has no default: a wrongly assumed rate would give wrong segments, no error.
    /// A rejected push consumes nothing and the session stays usable.
    void push(const float *samples, std::size_t count, std::uint32_t sample_rate,
              std::uint32_t channels = 1) {
        detail::check(
            vf_session_push_samples(checked(), samples, count, sample_rate, channels));
    }
    void push(const std::int16_t *samples, std::size_t count,
              std::uint32_t sample_rate, std::uint32_t channels = 1) {
        detail::check(
            vf_session_push_samples_i16(checked(), samples, count, sample_rate, channels));
    }
    void push(const std::vector<float> &samples, std::uint32_t sample_rate,
              std::uint32_t channels = 1) {
        push(samples.data(), samples.size(), sample_rate, channels);
    }
    void push(const std::vector<std::int16_t> &samples, std::uint32_t sample_rate,
              std::uint32_t channels = 1) {
        push(samples.data(), samples.size(), sample_rate, channels);
    }
#ifdef VOICEFLOW_HPP_HAS_SPAN
    void push(std::span<const float> samples, std::uint32_t sample_rate,
              std::uint32_t channels = 1) {
        push(samples.data(), samples.size(), sample_rate, channels);
    }
    void push(std::span<const std::int16_t> samples, std::uint32_t sample_rate,
              std::uint32_t channels = 1) {
        push(samples.data(), samples.size(), sample_rate, channels);
    }
#endif

    /// Every segment that is final now, in start order; each is returned once. A session
    /// in Mode::Offline has none before flush().
    std::vector<Segment> poll() {
        return drain(vf_session_pending_segments, vf_session_poll_segments);
    }

    /// How many final segments are waiting for poll().
    std::size_t pending() const { return count(vf_session_pending_segments); }

    /// The refined result of a session made with Config::set_refine(true): the offline
    /// answer, made by flush() (nothing before), in start order; each is returned once.
    /// Its speaker ids are its own, unrelated to those of poll(). Without refine (and in
    /// Mode::Offline, whose poll() already is that answer) it throws Status::InvalidState.
    std::vector<Segment> poll_refined() {
        return drain(vf_session_pending_refined_segments, vf_session_poll_refined_segments);
    }

    /// How many refined-result segments are waiting for poll_refined().
    std::size_t pending_refined() const { return count(vf_session_pending_refined_segments); }

    /// Ends the stream; the remaining segments become final (poll() them afterwards). An
    /// offline or refining session clusters the whole stream here.
    void flush() { detail::check(vf_session_flush(checked())); }

    /// The voiceprint of `speaker`, an id of this session's segments: its centroid now
    /// and the seconds of speech in its segments so far, named when it is an enrolled
    /// speaker. A streaming session answers while it streams and after flush(); an
    /// offline one after flush(). An id no segment has had yet throws
    /// Status::InvalidArgument. The Voiceprint does not depend on the session.
    Voiceprint voiceprint(std::uint32_t speaker) const {
        vf_voiceprint *raw = nullptr;
        detail::check(vf_session_voiceprint(checked(), speaker, &raw));
        return Voiceprint(raw);
    }

    /// voiceprint() for the ids of the refined result (poll_refined()) of a refining
    /// session, after flush(); for Mode::Offline the same as voiceprint().
    Voiceprint refined_voiceprint(std::uint32_t speaker) const {
        vf_voiceprint *raw = nullptr;
        detail::check(vf_session_refined_voiceprint(checked(), speaker, &raw));
        return Voiceprint(raw);
    }

    /// The name of speaker id `speaker`: that of the voiceprint enrolled under it
    /// (Config::enroll), whether or not it has spoken yet; std::nullopt for the speakers
    /// the session numbered itself. Refined-result ids have the same names.
    std::optional<std::string> speaker_name(std::uint32_t speaker) const {
        const char *name = vf_session_speaker_name(checked(), speaker);
        if (name == nullptr) {
            return std::nullopt;
        }
        return std::string(name);
    }

    vf_session *get() const noexcept { return handle_.get(); }
    explicit operator bool() const noexcept { return handle_ != nullptr; }

private:
    Session(const Model &model, const vf_config *config) {
        if (!model) {
            detail::throw_moved_from("Model");
        }
        vf_session *raw = nullptr;
        detail::check(vf_session_create(model.get(), config, &raw));
        handle_.reset(raw);
    }

    using PendingFn = vf_status (*)(vf_session *, std::size_t *);
    using PollFn = vf_status (*)(vf_session *, vf_segment *, std::size_t, std::size_t *);

    std::size_t count(PendingFn pending) const {
        std::size_t n = 0;
        detail::check(pending(checked(), &n));
        return n;
    }

    std::vector<Segment> drain(PendingFn pending, PollFn poll) {
        // One C call takes everything pending, so a failure cannot drop polled segments.
        std::vector<vf_segment> buffer(count(pending));
        std::size_t got = 0;
        if (!buffer.empty()) {
            detail::check(poll(checked(), buffer.data(), buffer.size(), &got));
        }
        std::vector<Segment> out;
        out.reserve(got);
        for (std::size_t i = 0; i < got; ++i) {
            out.push_back(Segment{buffer[i].speaker, buffer[i].start, buffer[i].end});
        }
        return out;
    }

    static const vf_config *checked(const Config &config) {
        if (!config) {
            detail::throw_moved_from("Config");
        }
        return config.get();
    }

    vf_session *checked() const {
        if (!handle_) {
            detail::throw_moved_from("Session");
        }
        return handle_.get();
    }

    std::unique_ptr<vf_session, detail::SessionDestroy> handle_;
};

/// A decoded audio file (read_audio): interleaved samples in -1..1 at the file's own rate
/// and channel count. A plain value: the samples are copied out of the library's object.
struct Audio {
    std::vector<float> samples; ///< interleaved, frames() * channels values
    std::uint32_t sample_rate = 0;
    std::uint32_t channels = 0;

    /// Samples per channel.
    std::size_t frames() const noexcept { return channels == 0 ? 0 : samples.size() / channels; }
};

/// Decodes the audio file at `path` (UTF-8) with the library's own decoders
/// (vf_audio_read_file), so C++ reads what the CLI and every binding read: WAV (8- to
/// 32-bit PCM, 32/64-bit float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis,
/// MP4/M4A (AAC, ALAC), ADTS AAC, and MKV/WebM; the content decides, not the extension.
/// Opus is not supported. A missing, empty, non-audio or undecodable file throws
/// Status::Io, whose message names the file and the supported formats.
inline Audio read_audio(const std::string &path) {
    vf_audio *raw = nullptr;
    detail::check(vf_audio_read_file(detail::c_str_checked(path, "the audio path"), &raw));
    const std::unique_ptr<vf_audio, detail::AudioFree> owned(raw);
    Audio audio;
    const float *samples = vf_audio_samples(raw);
    audio.samples.assign(samples, samples + vf_audio_sample_count(raw));
    audio.sample_rate = vf_audio_sample_rate(raw);
    audio.channels = vf_audio_channels(raw);
    return audio;
}

} // namespace voiceflow

#endif // VOICEFLOW_HPP
