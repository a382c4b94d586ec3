package ai.voiceflow;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Tests of the Java binding, run by {@code make test-java} with a plain main: every check
 * is counted, failures are printed, and the exit status is non-zero if any failed.
 *
 * <p>Usage: VoiceflowTest &lt;examples/data/conversation.wav&gt;, from the repository root
 * (the audio-file checks open tests/data/audio/ and examples/data/conversation.mp3 there).
 */
public final class VoiceflowTest {
    private static int passed;
    private static int failed;

    private static String wavPath;
    private static short[] pcm;
    private static final int RATE = 16000;
    private static Model model;

    /** A test body that may throw anything; a throw counts as one failure. */
    private interface Body {
        void run() throws Exception;
    }

    /** Something that should throw. */
    private interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: VoiceflowTest <conversation.wav>");
            System.exit(2);
        }
        wavPath = args[0];
        pcm = readMono16k(wavPath);
        model = Model.open();
        try {
            test("versions", VoiceflowTest::versions);
            test("model errors", VoiceflowTest::modelErrors);
            test("devices", VoiceflowTest::devices);
            test("config", VoiceflowTest::config);
            test("empty pushes", VoiceflowTest::emptyPushes);
            test("rejected pushes", VoiceflowTest::rejectedPushes);
            test("every push takes the sample rate", VoiceflowTest::everyPushTakesTheRate);
            test("closed objects", VoiceflowTest::closedObjects);
            test("model closed before its session", VoiceflowTest::modelOutlivedBySession);
            test("byte buffers", VoiceflowTest::byteBuffers);
            test("chunked streaming equals whole file", VoiceflowTest::chunkedEqualsWhole);
            test("threads share one model", VoiceflowTest::threadsShareModel);
            test("offline mode", VoiceflowTest::offlineMode);
            test("refined result", VoiceflowTest::refine);
            test("refine errors", VoiceflowTest::refineErrors);
            test("max offline audio", VoiceflowTest::maxOfflineAudio);
            test("audio files", VoiceflowTest::audioFiles);
        } finally {
            model.close();
        }
        System.out.printf("java binding: %d checks passed, %d failed%n", passed, failed);
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void test(String name, Body body) {
        System.out.println("== " + name);
        try {
            body.run();
        } catch (Throwable t) {
            fail(name + ": unexpected " + t);
            t.printStackTrace();
        }
    }

    private static void check(boolean ok, String what) {
        if (ok) {
            passed++;
        } else {
            fail(what);
        }
    }

    private static void fail(String what) {
        failed++;
        System.err.println("FAIL " + what);
    }

    /** Checks that call throws a VoiceflowException with the status and a message. */
    private static void expectStatus(int status, String what, Call call) {
        try {
            call.run();
            fail(what + ": no exception, want status " + status);
        } catch (VoiceflowException e) {
            check(e.status() == status, what + ": status " + e.status() + " (" + e.getMessage() + "), want " + status);
            check(e.getMessage() != null && e.getMessage().length() > 3, what + ": message");
        } catch (Exception e) {
            fail(what + ": " + e + ", want VoiceflowException " + status);
        }
    }

    /** Checks that call throws exactly the given unchecked exception type. */
    private static void expectThrows(Class<? extends RuntimeException> type, String what, Call call) {
        try {
            call.run();
            fail(what + ": no exception, want " + type.getSimpleName());
        } catch (Exception e) {
            check(type.isInstance(e), what + ": got " + e + ", want " + type.getSimpleName());
        }
    }

    // ------------------------------------------------------------------------------------

    private static void versions() {
        check(Voiceflow.version().matches("\\d+\\.\\d+\\.\\d+.*"), "version " + Voiceflow.version());
        check(Voiceflow.abiVersion() == Voiceflow.ABI_VERSION, "ABI version");
        check(!Voiceflow.statusText(VoiceflowException.MODEL).equals(Voiceflow.statusText(VoiceflowException.IO)),
                "status texts differ");
        check(!Voiceflow.statusText(42).isEmpty(), "unknown status has a text");
    }

    private static void modelErrors() throws Exception {
        String missing = "/nonexistent-voiceflow-dir/no_such_segmentation_é😀.onnx";
        try {
            Model.open(missing, null, 1).close();
            fail("missing model opened");
        } catch (VoiceflowException e) {
            check(e.status() == VoiceflowException.MODEL, "missing model: status " + e.status());
            // The message quotes the path, non-BMP character included (raw UTF-8 from C).
            check(e.getMessage().contains(missing), "message names the path: " + e.getMessage());
        }
        expectStatus(VoiceflowException.MODEL, "WAV as embedding model",
                () -> Model.open(null, wavPath, 1).close());
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "negative threads", () -> Model.open(null, null, -1));
        expectThrows(IllegalArgumentException.class, "NUL in path", () -> Model.open("a\0b", null, 1));
        Voiceflow.loadRuntime(null); // already loaded: succeeds without reloading
        check(true, "loadRuntime(null) after set-up");
    }

    /**
     * The library under test is built without the `cuda` feature (or runs a CPU-only ONNX
     * Runtime): CUDA is unavailable, with and without the CPU fallback.
     */
    private static void devices() throws Exception {
        check(model.device().equals("cpu") && model.deviceFallback() == null, "default model on the CPU");
        try (Model m = Model.open(null, null, "cpu:2", 0, false)) {
            check(m.device().equals("cpu"), "cpu:2 device " + m.device());
            check(m.deviceFallback() == null, "cpu:2 has no fallback");
        }
        try (Model m = Model.open(null, null, null, 1, false)) {
            check(m.device().equals("cpu"), "null device is the CPU");
        }
        try {
            Model.open(null, null, "cuda", 1, false).close();
            fail("cuda without fallback opened");
        } catch (VoiceflowException e) {
            check(e.status() == VoiceflowException.DEVICE_UNAVAILABLE,
                    "cuda without fallback: status " + e.status() + " (" + e.getMessage() + ")");
            check(e.getMessage().contains("cuda:0 is unavailable") && e.getMessage().contains("fallback"),
                    "message names the device and the fallback: " + e.getMessage());
        }
        int n = 20 * RATE;
        try (Model fallback = Model.open(null, null, "cuda", 1, true)) {
            check(fallback.device().equals("cpu"), "cuda with fallback runs on " + fallback.device());
            String reason = fallback.deviceFallback();
            check(reason != null && reason.toLowerCase(java.util.Locale.ROOT).contains("cuda"),
                    "fallback reason " + reason);
            List<Segment> got = diarizeShorts(fallback, n);
            check(!got.isEmpty() && got.equals(diarizeShorts(model, n)),
                    "fallback model gives the CPU model's segments");
        }
        try (Model best = Model.open(null, null, "best", 1, false)) {
            check(best.device().equals("cpu") && best.deviceFallback() != null, "best falls back to the CPU");
        }
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "device gpu", () -> Model.open(null, null, "gpu", 1, false));
        try {
            Model.open(null, null, "gpu", 1, true).close();
            fail("gpu opened");
        } catch (VoiceflowException e) {
            check(e.getMessage().contains("\"gpu\""), "message names the device: " + e.getMessage());
        }
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "device cpu:0", () -> Model.open(null, null, "cpu:0", 1, false));
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "empty device", () -> Model.open(null, null, "", 1, false));
        expectThrows(IllegalArgumentException.class, "NUL in device", () -> Model.open(null, null, "cpu\0:2", 1, false));
        Model closed = Model.open(null, null, "cpu", 1, false);
        closed.close();
        expectThrows(IllegalStateException.class, "device of a closed model", closed::device);
        expectThrows(IllegalStateException.class, "deviceFallback of a closed model", closed::deviceFallback);
    }

    private static void config() throws Exception {
        try (Config cfg = new Config()) {
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "unknown key", () -> cfg.set("no_such_key", 1));
            expectThrows(IllegalArgumentException.class, "NUL in key", () -> cfg.set("onset\0x", 0.5));
            expectThrows(NullPointerException.class, "null key", () -> cfg.set(null, 0.5));
            cfg.set("onset", 2); // the range is checked when a session is created
            try {
                model.newSession(cfg).close();
                fail("onset 2 accepted");
            } catch (VoiceflowException e) {
                check(e.status() == VoiceflowException.INVALID_CONFIG, "onset 2: status " + e.status());
                check(e.getMessage().contains("onset"), "message names the field: " + e.getMessage());
            }
            try (Session s = model.newSession(cfg.set("onset", 0.6).set("num_speakers", 2))) {
                check(s.pending() == 0, "session with a valid config");
            }
        }
    }

    private static void emptyPushes() throws Exception {
        try (Session s = model.newSession()) {
            s.push(new float[0], RATE, 1);
            s.push(new short[0], RATE, 1);
            s.push(new short[10], 5, 0, RATE, 1);
            s.pushPcm16(ByteBuffer.allocateDirect(0), RATE, 1);
            s.pushPcm16(ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()), RATE, 1);
            ByteBuffer consumed = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            consumed.position(8);
            s.pushPcm16(consumed, RATE, 1);
            s.pushPcm16(ByteBuffer.allocate(0), RATE, 1);
            check(s.poll().isEmpty(), "nothing polled from an empty stream");
            check(s.pending() == 0, "nothing pending");
            s.push(new short[800], 8000, 1); // empty pushes did not fix the rate
            check(true, "first real push at 8 kHz");
        }
    }

    /**
     * A wrongly assumed rate would give wrong segments and no error, so no push overload may
     * leave it out. Types alone cannot tell (offset, length) from (sampleRate, channels), so
     * the overloads are listed: a new one fails here until its rate is checked and listed.
     */
    private static void everyPushTakesTheRate() {
        List<String> found = new ArrayList<>();
        for (Method m : Session.class.getMethods()) {
            if (m.getName().startsWith("push")) {
                StringBuilder shape = new StringBuilder(m.getName());
                for (Class<?> type : m.getParameterTypes()) {
                    shape.append(' ').append(type.getSimpleName());
                }
                found.add(shape.toString());
            }
        }
        Collections.sort(found);
        // samples [offset length] sampleRate channels
        List<String> expected = Arrays.asList(
                "push float[] int int",
                "push float[] int int int int",
                "push short[] int int",
                "push short[] int int int int",
                "pushPcm16 ByteBuffer int int");
        check(found.equals(expected), "push overloads " + found + ", want " + expected);
    }

    private static void rejectedPushes() throws Exception {
        short[] good = new short[1600];
        try (Session s = model.newSession()) {
            s.push(good, RATE, 1);
            expectStatus(VoiceflowException.INVALID_AUDIO, "NaN", () -> s.push(new float[] {0, Float.NaN}, RATE, 1));
            expectStatus(VoiceflowException.INVALID_AUDIO, "Inf",
                    () -> s.push(new float[] {Float.POSITIVE_INFINITY}, RATE, 1));
            expectStatus(VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "rate change", () -> s.push(good, 44100, 1));
            expectStatus(VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "negative rate", () -> s.push(good, -16000, 1));
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "zero channels", () -> s.push(good, RATE, 0));
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "negative channels", () -> s.push(good, RATE, -1));
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "partial frame", () -> s.push(good, 0, 3, RATE, 2));
            expectThrows(ArrayIndexOutOfBoundsException.class, "range past the end", () -> s.push(good, 1000, 601, RATE, 1));
            expectThrows(ArrayIndexOutOfBoundsException.class, "negative offset", () -> s.push(good, -1, 2, RATE, 1));
            expectThrows(NullPointerException.class, "null array", () -> s.push((short[]) null, RATE, 1));
            expectThrows(IllegalArgumentException.class, "odd byte count",
                    () -> s.pushPcm16(ByteBuffer.allocateDirect(3), RATE, 1));
            s.push(good, RATE, 1); // still usable
            s.flush();
            s.flush(); // again: a no-op
            expectStatus(VoiceflowException.INVALID_STATE, "push after flush", () -> s.push(good, RATE, 1));
            expectStatus(VoiceflowException.INVALID_STATE, "empty push after flush", () -> s.push(new float[0], RATE, 1));
        }
    }

    private static void closedObjects() throws Exception {
        Session s = model.newSession();
        s.close();
        s.close(); // idempotent
        expectThrows(IllegalStateException.class, "push", () -> s.push(new short[2], RATE, 1));
        expectThrows(IllegalStateException.class, "pushPcm16", () -> s.pushPcm16(ByteBuffer.allocate(2), RATE, 1));
        expectThrows(IllegalStateException.class, "poll", s::poll);
        expectThrows(IllegalStateException.class, "pending", s::pending);
        expectThrows(IllegalStateException.class, "flush", s::flush);
        expectThrows(IllegalStateException.class, "pollRefined", s::pollRefined);
        expectThrows(IllegalStateException.class, "pendingRefined", s::pendingRefined);
        Config cfg = new Config();
        cfg.close();
        cfg.close();
        expectThrows(IllegalStateException.class, "set on closed config", () -> cfg.set("latency", 3));
        expectThrows(IllegalStateException.class, "session from closed config", () -> model.newSession(cfg));
    }

    private static void modelOutlivedBySession() throws Exception {
        Model m = Model.open(null, null, 1);
        try (Session s = m.newSession()) {
            m.close();
            m.close();
            expectThrows(IllegalStateException.class, "newSession on closed model", m::newSession);
            s.push(pcm, 0, 10 * RATE, RATE, 1);
            check(true, "session of a closed model still works");
        }
    }

    /** Direct (native order, in place), heap and big-endian buffers all equal short[]. */
    private static void byteBuffers() throws Exception {
        int n = 20 * RATE;
        List<Segment> want = diarizeShorts(n);
        check(!want.isEmpty(), "segments in 20 s");
        for (ByteBuffer buf : new ByteBuffer[] {
            ByteBuffer.allocateDirect(2 * n).order(ByteOrder.nativeOrder()),
            ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN),
            ByteBuffer.allocateDirect(2 * n).order(ByteOrder.BIG_ENDIAN),
        }) {
            buf.asShortBuffer().put(pcm, 0, n);
            List<Segment> got = new ArrayList<>();
            try (Session s = model.newSession()) {
                int chunk = 2 * RATE / 10;
                for (int pos = 0; pos < buf.capacity(); pos += chunk) {
                    buf.limit(Math.min(pos + chunk, buf.capacity())).position(pos);
                    s.pushPcm16(buf, RATE, 1);
                    check(buf.position() == buf.limit(), "pushPcm16 consumes the remaining bytes");
                    got.addAll(s.poll());
                }
                drain(s, got);
            }
            check(got.equals(want), (buf.isDirect() ? "direct " : "heap ") + buf.order() + " buffer equals short[]");
        }
        // A direct buffer that starts at an odd address cannot be read as int16 in place.
        ByteBuffer whole = ByteBuffer.allocateDirect(9);
        whole.position(1);
        ByteBuffer odd = whole.slice().order(ByteOrder.nativeOrder());
        try (Session s = model.newSession()) {
            expectThrows(IllegalArgumentException.class, "misaligned direct buffer", () -> s.pushPcm16(odd, RATE, 1));
            check(odd.position() == 0, "a rejected push does not move the position");
        }
    }

    private static void chunkedEqualsWhole() throws Exception {
        List<Segment> whole = diarizeShorts(pcm.length);
        checkShape(whole, pcm.length / (double) RATE);
        List<Segment> chunked = new ArrayList<>();
        int[] sizes = {RATE / 10, 1, 4099, 160, 32000};
        try (Session s = model.newSession()) {
            for (int pos = 0, k = 0; pos < pcm.length; k++) {
                int len = Math.min(sizes[k % sizes.length], pcm.length - pos);
                if (k % 2 == 1) {
                    s.push(toFloat(pcm, pos, len), RATE, 1);
                } else {
                    s.push(pcm, pos, len, RATE, 1);
                }
                chunked.addAll(s.poll());
                pos += len;
            }
            drain(s, chunked);
        }
        check(chunked.equals(whole), "chunked (mixed short/float) equals whole file:\n" + chunked + "\n" + whole);
    }

    private static void threadsShareModel() throws Exception {
        int n = 20 * RATE;
        List<Segment> want = diarizeShorts(n);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<List<Segment>>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(pool.submit(() -> diarizeShorts(n)));
            }
            for (Future<List<Segment>> f : results) {
                check(f.get().equals(want), "thread result equals sequential");
            }
        } finally {
            pool.shutdown();
        }
    }

    /** The example conversation has three speakers (alice, bob, carol). */
    private static final int CONVERSATION_SPEAKERS = 3;

    private static void offlineMode() throws Exception {
        try (Config cfg = new Config().setMode(Config.Mode.OFFLINE); Session s = model.newSession(cfg)) {
            check(pushAll(s).isEmpty(), "no segments before flush");
            check(s.pending() == 0, "nothing pending before flush");
            s.flush();
            List<Segment> segs = s.poll();
            checkShape(segs, pcm.length / (double) RATE);
            check(speakers(segs) == CONVERSATION_SPEAKERS, speakers(segs) + " speakers offline: " + segs);
            // The offline answer is the session's own result: there is no refined one.
            expectStatus(VoiceflowException.INVALID_STATE, "pollRefined on an offline session", s::pollRefined);
        }
    }

    private static void refine() throws Exception {
        try (Config cfg = new Config().setMode(Config.Mode.STREAMING).setRefine(true);
                Session s = model.newSession(cfg)) {
            check(!pushAll(s).isEmpty(), "live segments while refining");
            check(s.pollRefined().isEmpty() && s.pendingRefined() == 0, "no refined result before flush");
            s.flush();
            int pending = s.pendingRefined();
            List<Segment> refined = s.pollRefined();
            check(pending > 0 && refined.size() == pending, refined.size() + " refined segments, " + pending + " pending");
            checkShape(refined, pcm.length / (double) RATE);
            check(speakers(refined) == CONVERSATION_SPEAKERS, speakers(refined) + " refined speakers: " + refined);
            check(s.pendingRefined() == 0 && s.pollRefined().isEmpty(), "refined result polled once");
            s.poll(); // the live tail is still there
        }
    }

    private static void refineErrors() throws Exception {
        try (Session s = model.newSession()) {
            expectStatus(VoiceflowException.INVALID_STATE, "pollRefined without refine", s::pollRefined);
            expectStatus(VoiceflowException.INVALID_STATE, "pendingRefined without refine", s::pendingRefined);
        }
        try (Config cfg = new Config().setMode(Config.Mode.OFFLINE).setRefine(true)) {
            expectStatus(VoiceflowException.INVALID_CONFIG, "refine with offline mode", () -> model.newSession(cfg));
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "mode 2", () -> cfg.set("mode", 2));
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "refine 0.5", () -> cfg.set("refine", 0.5));
            expectThrows(NullPointerException.class, "null mode", () -> cfg.setMode(null));
        }
    }

    /**
     * An offline or refining session refuses a push past max_offline_audio, consumes nothing
     * and stays usable: a shorter push still fits, and flush gives the answer.
     */
    private static void maxOfflineAudio() throws Exception {
        for (boolean refining : new boolean[] {false, true}) {
            String what = refining ? "refining: " : "offline: ";
            try (Config cfg = new Config().setMode(refining ? Config.Mode.STREAMING : Config.Mode.OFFLINE)
                            .setRefine(refining).set("max_offline_audio", 5);
                    Session s = model.newSession(cfg)) {
                expectStatus(VoiceflowException.LIMIT_REACHED, what + "10 s push",
                        () -> s.push(pcm, 0, 10 * RATE, RATE, 1));
                s.push(pcm, 0, 4 * RATE, RATE, 1);
                s.flush();
                List<Segment> segs = refining ? s.pollRefined() : s.poll();
                check(segs.stream().allMatch(seg -> seg.end <= 4.01), what + "answer within the 4 s taken: " + segs);
            }
        }
    }

    private static void audioFiles() throws Exception {
        Audio wav = Audio.read(new File(wavPath));
        check(wav.sampleRate() == RATE && wav.channels() == 1, "WAV: " + wav.sampleRate() + " Hz x " + wav.channels());
        short[] reference = jdkPcm(new File(wavPath));
        check(Arrays.equals(wav.samples(), toFloat(reference, 0, reference.length)),
                "WAV samples are the JDK reader's 16-bit samples / 32768");

        Audio stereo = Audio.read("tests/data/audio/stereo_44k.wav");
        check(stereo.sampleRate() == 44100 && stereo.channels() == 2 && stereo.frames() == 22050
                && stereo.samples().length == 2 * 22050,
                "stereo_44k.wav: " + stereo.sampleRate() + " Hz x " + stereo.channels() + ", " + stereo.frames() + " frames");

        Audio mp3 = Audio.read("examples/data/conversation.mp3");
        check(mp3.sampleRate() == RATE && mp3.channels() == 1, "MP3: " + mp3.sampleRate() + " Hz x " + mp3.channels());
        // Gapless decoding: the MP3 lines up with the WAV, give or take one MP3 frame.
        check(Math.abs(mp3.frames() - wav.frames()) < 1152, "MP3 " + mp3.frames() + " frames, WAV " + wav.frames());
        List<Segment> fromWav = offlineAnswer(wav);
        List<Segment> fromMp3 = offlineAnswer(mp3);
        check(speakers(fromWav) == CONVERSATION_SPEAKERS && speakers(fromMp3) == CONVERSATION_SPEAKERS,
                speakers(fromMp3) + " speakers from the MP3, " + speakers(fromWav) + " from the WAV");
        boolean close = fromMp3.size() == fromWav.size();
        for (int i = 0; close && i < fromWav.size(); i++) {
            Segment w = fromWav.get(i), m = fromMp3.get(i);
            close = m.speaker == w.speaker && Math.abs(m.start - w.start) < 0.15 && Math.abs(m.end - w.end) < 0.15;
        }
        check(close, "the MP3's offline answer is the WAV's:\n" + fromMp3 + "\n" + fromWav);

        expectIoError("README.md", "README.md");
        expectIoError("tests/data/audio/missing.flac", "missing.flac");
        expectIoError("tests/data/audio/opus.ogg", "Opus");
        expectThrows(IllegalArgumentException.class, "NUL in path", () -> Audio.read("a\0b.wav"));
        expectThrows(NullPointerException.class, "null path", () -> Audio.read((String) null));
    }

    /** Audio.read(path) must throw with status IO and a message containing needle. */
    private static void expectIoError(String path, String needle) {
        try {
            Audio.read(path);
            fail(path + ": read, want an IO error");
        } catch (VoiceflowException e) {
            check(e.status() == VoiceflowException.IO && e.getMessage().contains(needle),
                    path + ": status " + e.status() + " (" + e.getMessage() + "), want IO naming " + needle);
        }
    }

    /** The whole of {@code audio} in offline mode, pushed at once at its own rate. */
    private static List<Segment> offlineAnswer(Audio audio) throws VoiceflowException {
        try (Config cfg = new Config().setMode(Config.Mode.OFFLINE); Session s = model.newSession(cfg)) {
            s.push(audio.samples(), audio.sampleRate(), audio.channels());
            s.flush();
            return s.poll();
        }
    }

    // ------------------------------------------------------------------------------------

    /** Pushes pcm in 1 s chunks; returns what poll gave after each push. */
    private static List<Segment> pushAll(Session s) throws VoiceflowException {
        List<Segment> live = new ArrayList<>();
        for (int pos = 0; pos < pcm.length; pos += RATE) {
            s.push(pcm, pos, Math.min(RATE, pcm.length - pos), RATE, 1);
            live.addAll(s.poll());
        }
        return live;
    }

    private static int speakers(List<Segment> segs) {
        return (int) segs.stream().mapToInt(seg -> seg.speaker).distinct().count();
    }

    /** Diarizes pcm[0, n) in 100 ms short[] pushes, polling after each. */
    private static List<Segment> diarizeShorts(int n) throws VoiceflowException {
        return diarizeShorts(model, n);
    }

    private static List<Segment> diarizeShorts(Model on, int n) throws VoiceflowException {
        List<Segment> out = new ArrayList<>();
        try (Session s = on.newSession()) {
            for (int pos = 0; pos < n; pos += RATE / 10) {
                s.push(pcm, pos, Math.min(RATE / 10, n - pos), RATE, 1);
                out.addAll(s.poll());
            }
            drain(s, out);
        }
        return Collections.unmodifiableList(out);
    }

    private static void drain(Session s, List<Segment> out) throws VoiceflowException {
        s.flush();
        for (List<Segment> got = s.poll(); !got.isEmpty(); got = s.poll()) {
            out.addAll(got);
        }
    }

    /** Converts exactly like the library's 16-bit entry point (v / 32768). */
    private static float[] toFloat(short[] src, int offset, int length) {
        float[] f = new float[length];
        for (int i = 0; i < length; i++) {
            f[i] = src[offset + i] / 32768.0f;
        }
        return f;
    }

    private static void checkShape(List<Segment> segs, double duration) {
        check(segs.size() >= 10, segs.size() + " segments");
        int next = 0;
        boolean ordered = true, bounded = true, dense = true;
        for (int i = 0; i < segs.size(); i++) {
            Segment s = segs.get(i);
            bounded &= s.start >= 0 && s.start <= s.end && s.end <= duration + 0.01;
            ordered &= i == 0 || s.start >= segs.get(i - 1).start;
            dense &= s.speaker <= next;
            if (s.speaker == next) {
                next++;
            }
        }
        check(bounded && ordered && dense, "segments bounded, ordered, dense ids in order of appearance");
        check(next >= 2, next + " speakers");
    }

    /** The conversation through {@link Audio#read}, as the 16-bit samples it was stored as. */
    private static short[] readMono16k(String path) throws VoiceflowException, IOException {
        Audio audio = Audio.read(path);
        if (audio.channels() != 1 || audio.sampleRate() != RATE) {
            throw new IOException(path + ": need 16 kHz mono, got " + audio.sampleRate() + " Hz x "
                    + audio.channels());
        }
        float[] samples = audio.samples();
        short[] out = new short[samples.length];
        for (int i = 0; i < samples.length; i++) {
            out[i] = (short) (samples[i] * 32768.0f); // exact: a 16-bit file decodes to v / 32768
        }
        return out;
    }

    /** The 16-bit samples as the JDK's own WAV reader gives them: the reference for Audio. */
    private static short[] jdkPcm(File file) throws IOException, UnsupportedAudioFileException {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(file)) {
            AudioFormat f = in.getFormat();
            if (f.getSampleSizeInBits() != 16 || f.getEncoding() != AudioFormat.Encoding.PCM_SIGNED) {
                throw new IOException(file + ": need 16-bit PCM, got " + f);
            }
            byte[] bytes = in.readAllBytes();
            short[] out = new short[bytes.length / 2];
            ByteBuffer.wrap(bytes).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                    .asShortBuffer().get(out);
            return out;
        }
    }
}
