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
            test("voiceprints: enrolled speakers get their ids and names", VoiceflowTest::enrolledIdsAndNames);
            test("voiceprints: read from a session while streaming and after flush",
                    VoiceflowTest::sessionVoiceprints);
            test("voiceprints: stored, loaded and enrolled in the next session",
                    VoiceflowTest::storedVoiceprintNamesTheSpeakerNextTime);
            test("voiceprints: bytes and files", VoiceflowTest::voiceprintBytesAndFiles);
            test("voiceprints: bad input refused, nothing changed", VoiceflowTest::badVoiceprints);
            test("voiceprints: shared by threads", VoiceflowTest::voiceprintThreads);
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

    // ------------------------------------------------------------------------------------
    // Voiceprints

    /** A reference turn of the example conversation (examples/data/conversation.rttm). */
    private static final class Turn {
        final String speaker;
        final double start;
        final double end;

        Turn(String speaker, double start, double end) {
            this.speaker = speaker;
            this.start = start;
            this.end = end;
        }
    }

    private static List<Turn> truth() throws IOException {
        File rttm = new File(new File(wavPath).getParentFile(), "conversation.rttm");
        List<Turn> turns = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(rttm.toPath())) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[0].equals("SPEAKER")) {
                double start = Double.parseDouble(f[3]);
                turns.add(new Turn(f[7], start, start + Double.parseDouble(f[4])));
            }
        }
        if (turns.size() != 14) {
            throw new IOException(rttm + ": " + turns.size() + " turns, want 14");
        }
        return turns;
    }

    /** The voiceprint of {@code speaker}'s first reference turn (3 to 4.3 s), named after it. */
    private static Voiceprint voiceOf(String speaker) throws Exception {
        for (Turn t : truth()) {
            if (t.speaker.equals(speaker)) {
                int from = (int) (t.start * RATE), to = (int) (t.end * RATE);
                return Voiceprint.fromAudio(model, toFloat(pcm, from, to - from), RATE, 1, speaker);
            }
        }
        throw new IllegalArgumentException("no turn of " + speaker);
    }

    /** The speaker of the first segment covering more than half of [start, end), or -1. */
    private static int idOver(List<Segment> segs, double start, double end) {
        for (Segment s : segs) {
            if (Math.min(s.end, end) - Math.max(s.start, start) > 0.5 * (end - start)) {
                return s.speaker;
            }
        }
        return -1;
    }

    private static double speechOf(List<Segment> segs, int id) {
        return segs.stream().filter(s -> s.speaker == id).mapToDouble(s -> s.end - s.start).sum();
    }

    /** Flushes and returns every segment still to be polled. */
    private static List<Segment> finish(Session s) throws VoiceflowException {
        List<Segment> out = new ArrayList<>();
        drain(s, out);
        return out;
    }

    /** The byte encoding written by hand (README, section Voiceprints). */
    private static byte[] encode(String modelName, String version, String name, float speech, float[] vector) {
        byte[][] texts = {
            modelName.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            version.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            name.getBytes(java.nio.charset.StandardCharsets.UTF_8)
        };
        int length = 12 + 3 + texts[0].length + texts[1].length + texts[2].length + 4 * vector.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'V', 'F', 'V', 'P'}).putShort((short) Voiceprint.FORMAT_VERSION)
                .putShort((short) vector.length).putFloat(speech);
        for (byte[] text : texts) {
            b.put((byte) text.length).put(text);
        }
        for (float v : vector) {
            b.putFloat(v);
        }
        return b.array();
    }

    /**
     * Enrolled out of order of appearance: carol is id 0 and alice id 1 although alice speaks
     * first, and bob, not enrolled, counts on from there as id 2; in both modes.
     */
    private static void enrolledIdsAndNames() throws Exception {
        try (Voiceprint carol = voiceOf("carol"); Voiceprint alice = voiceOf("alice")) {
            for (Config.Mode mode : Config.Mode.values()) {
                try (Config cfg = new Config().setMode(mode)) {
                    check(cfg.enroll(carol) == 0, mode + ": carol enrolled as 0");
                    check(cfg.enroll(alice) == 1, mode + ": alice enrolled as 1");
                    try (Session s = model.newSession(cfg)) {
                        check("carol".equals(s.speakerName(0)) && "alice".equals(s.speakerName(1))
                                && s.speakerName(2) == null && s.speakerName(-1) == null,
                                mode + ": speaker names " + s.speakerName(0) + ", " + s.speakerName(1) + ", "
                                        + s.speakerName(2));
                        List<Segment> segs = pushAll(s);
                        segs.addAll(finish(s));
                        java.util.Map<String, Integer> expected = new java.util.HashMap<>();
                        expected.put("carol", 0);
                        expected.put("alice", 1);
                        expected.put("bob", 2);
                        for (Turn t : truth()) {
                            int id = idOver(segs, t.start, t.end);
                            check(id == expected.get(t.speaker),
                                    mode + ": " + t.speaker + " at " + t.start + " has id " + id + ": " + segs);
                        }
                    }
                }
            }
        }
    }

    private static void sessionVoiceprints() throws Exception {
        try (Config cfg = new Config()) {
            String bobModel;
            try (Voiceprint bob = voiceOf("bob")) {
                check(cfg.enroll(bob) == 0, "bob enrolled as 0");
                bobModel = bob.modelName();
            } // the config holds its own copy
            Session s = model.newSession(cfg); // closed in the middle of the test
            try {
                check("bob".equals(s.speakerName(0)) && s.speakerName(1) == null, "names before the stream");
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "voiceprint(0) before bob spoke", () -> s.voiceprint(0));
                List<Segment> segs = new ArrayList<>();
                boolean seenWhileStreaming = false;
                for (int pos = 0; pos < pcm.length; pos += RATE / 2) {
                    int len = Math.min(RATE / 2, pcm.length - pos);
                    s.push(pcm, pos, len, RATE, 1);
                    segs.addAll(s.poll());
                    Voiceprint vp;
                    try {
                        vp = s.voiceprint(0);
                    } catch (VoiceflowException notYet) {
                        continue;
                    }
                    try (Voiceprint v = vp) {
                        seenWhileStreaming = true;
                        double heard = v.speechSeconds();
                        if (!"bob".equals(v.name()) || heard < 0 || heard > (pos + len) / (double) RATE) {
                            fail("bob while streaming: " + v + " after " + (pos + len) / (double) RATE + " s");
                        }
                    }
                }
                check(seenWhileStreaming, "a voiceprint of bob before flush");
                segs.addAll(finish(s));
                Voiceprint bob = s.voiceprint(0);
                Voiceprint other = s.voiceprint(1);
                double bobTime = speechOf(segs, 0);
                check("bob".equals(bob.name()) && bobTime > 10 && Math.abs(bob.speechSeconds() - bobTime) < 1e-3,
                        "bob after flush: " + bob + ", his segments " + bobTime + " s");
                check(bob.modelName().equals(bobModel) && bob.dim() > 0 && bob.vector().length == bob.dim(),
                        "bob's model and vector: " + bob);
                check(other.name() == null && Math.abs(other.speechSeconds() - speechOf(segs, 1)) < 1e-3
                        && other.dim() == bob.dim(), "speaker 1 after flush: " + other);
                try {
                    s.voiceprint(9).close();
                    fail("voiceprint(9) answered");
                } catch (VoiceflowException e) {
                    check(e.status() == VoiceflowException.INVALID_ARGUMENT && e.getMessage().contains("speaker 9"),
                            "voiceprint(9): " + e.getMessage());
                }
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "voiceprint(-1)", () -> s.voiceprint(-1));
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "refinedVoiceprint without refine",
                        () -> s.refinedVoiceprint(0));
                s.close();
                expectThrows(IllegalStateException.class, "voiceprint of a closed session", () -> s.voiceprint(0));
                expectThrows(IllegalStateException.class, "refinedVoiceprint of a closed session",
                        () -> s.refinedVoiceprint(0));
                expectThrows(IllegalStateException.class, "speakerName of a closed session", () -> s.speakerName(0));
                // The voiceprints outlive the session.
                check(bob.toBytes().length > 0 && other.toBytes().length > 0, "voiceprints after the session closed");
                bob.close();
                other.close();
            } finally {
                s.close();
            }
        }
    }

    /**
     * A speaker's voiceprint from one session, renamed, stored and loaded, names that
     * speaker in the next session, in its live and refined results.
     */
    private static void storedVoiceprintNamesTheSpeakerNextTime() throws Exception {
        int half = pcm.length / 2;
        Turn firstTurn = truth().get(0); // alice
        File file = File.createTempFile("voiceflow-alice", ".json");
        file.deleteOnExit();
        try (Config offline = new Config().setMode(Config.Mode.OFFLINE); Session first = model.newSession(offline)) {
            first.push(pcm, 0, half, RATE, 1);
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "offline voiceprint before flush", () -> first.voiceprint(0));
            List<Segment> segs = finish(first);
            int aliceId = idOver(segs, firstTurn.start, firstTurn.end);
            check(aliceId >= 0, "alice's first turn found: " + segs);
            try (Voiceprint alice = first.voiceprint(aliceId); Voiceprint refined = first.refinedVoiceprint(aliceId)) {
                check(Arrays.equals(alice.toBytes(), refined.toBytes()),
                        "an offline session's refined voiceprint is its voiceprint");
                check(Math.abs(alice.speechSeconds() - speechOf(segs, aliceId)) < 1e-3, "alice's speech " + alice);
                alice.setName("Alice Smith");
                alice.save(file.toPath());
            }
        }
        try (Voiceprint loaded = Voiceprint.load(file.toPath());
                Config cfg = new Config().setRefine(true)) {
            check(cfg.enroll(loaded) == 0, "alice enrolled as 0");
            try (Session s = model.newSession(cfg)) {
                List<Segment> live = new ArrayList<>();
                for (int pos = half; pos < pcm.length; pos += RATE) {
                    s.push(pcm, pos, Math.min(RATE, pcm.length - pos), RATE, 1);
                    live.addAll(s.poll());
                }
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "refinedVoiceprint before flush",
                        () -> s.refinedVoiceprint(0));
                live.addAll(finish(s));
                List<Segment> refined = s.pollRefined();
                double offset = half / (double) RATE;
                double aliceTime = 0;
                for (Turn t : truth()) {
                    if (t.speaker.equals("alice") && t.start >= offset) {
                        aliceTime += t.end - t.start;
                    }
                }
                for (boolean isRefined : new boolean[] {false, true}) {
                    List<Segment> segs = isRefined ? refined : live;
                    String what = isRefined ? "refined: " : "live: ";
                    double named = speechOf(segs, 0);
                    check(named > 0.8 * aliceTime && named < 1.2 * aliceTime,
                            what + "alice speaks " + aliceTime + " s of the second half, id 0 has " + named + " s: " + segs);
                    try (Voiceprint v = isRefined ? s.refinedVoiceprint(0) : s.voiceprint(0)) {
                        check("Alice Smith".equals(v.name()) && Math.abs(v.speechSeconds() - named) < 1e-3,
                                what + "alice's voiceprint " + v + ", id 0 has " + named + " s");
                    }
                }
            }
        }
    }

    private static void voiceprintBytesAndFiles() throws Exception {
        Turn firstTurn = truth().get(0);
        Voiceprint alice = voiceOf("alice"); // closed in the middle of the test
        try {
            int dim = alice.dim();
            float[] vector = alice.vector();
            double norm = 0;
            for (float x : vector) {
                norm += (double) x * x;
            }
            check(dim > 0 && vector.length == dim && Math.abs(norm - 1) < 1e-3, "unit vector of " + dim + " values");
            check(alice.speechSeconds() >= 2 && alice.speechSeconds() <= firstTurn.end - firstTurn.start + 0.1,
                    "speech seconds " + alice.speechSeconds());
            check("alice".equals(alice.name()) && !alice.modelName().isEmpty() && alice.modelVersion() != null,
                    "name and model: " + alice);
            vector[0] = 42; // a copy
            check(alice.vector()[0] != 42, "vector() is a copy");

            // Bytes: the documented layout, exact length, and a round trip.
            byte[] b = alice.toBytes();
            byte[] hand = encode(alice.modelName(), alice.modelVersion(), "alice", (float) alice.speechSeconds(),
                    alice.vector());
            check(Arrays.equals(b, hand), "toBytes is the documented encoding (" + b.length + " bytes)");
            try (Voiceprint back = Voiceprint.fromBytes(b)) {
                check("alice".equals(back.name()) && back.modelName().equals(alice.modelName())
                        && back.modelVersion().equals(alice.modelVersion()) && back.dim() == dim
                        && back.speechSeconds() == alice.speechSeconds() && Arrays.equals(back.vector(), alice.vector())
                        && Arrays.equals(back.toBytes(), b), "bytes round trip: " + back);
            }

            // JSON files: a round trip; unreadable and foreign files refused, naming them.
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("voiceflow-vp");
            java.nio.file.Path path = dir.resolve("alice.json");
            alice.save(path);
            String json = new String(java.nio.file.Files.readAllBytes(path), java.nio.charset.StandardCharsets.UTF_8);
            check(json.contains("\"voiceflow.voiceprint\"") && json.contains("\"alice\""), "JSON file: " + json);
            try (Voiceprint loaded = Voiceprint.load(path); Voiceprint byName = Voiceprint.load(path.toString())) {
                check(Arrays.equals(loaded.toBytes(), b) && Arrays.equals(byName.toBytes(), b), "JSON round trip");
            }
            try {
                Voiceprint.load(dir.resolve("no_such_voiceprint.json")).close();
                fail("a missing file loaded");
            } catch (VoiceflowException e) {
                check(e.status() == VoiceflowException.IO && e.getMessage().contains("no_such_voiceprint.json"),
                        "missing file: " + e.status() + " " + e.getMessage());
            }
            File rttm = new File(new File(wavPath).getParentFile(), "conversation.rttm");
            try {
                Voiceprint.load(rttm.toPath()).close();
                fail("an RTTM file loaded");
            } catch (VoiceflowException e) {
                check(e.status() == VoiceflowException.INVALID_ARGUMENT && e.getMessage().contains("conversation.rttm"),
                        "RTTM file: " + e.status() + " " + e.getMessage());
            }
            expectStatus(VoiceflowException.IO, "save into a missing folder",
                    () -> alice.save(dir.resolve("none").resolve("v.json")));
            expectThrows(IllegalArgumentException.class, "NUL in path", () -> Voiceprint.load("a\0b.json"));
            expectThrows(NullPointerException.class, "null path", () -> Voiceprint.load((String) null));
            java.nio.file.Files.delete(path);
            java.nio.file.Files.delete(dir);

            // Names: a bad one is refused and changes nothing; null removes the name.
            alice.setName("Alice Smith é");
            check("Alice Smith é".equals(alice.name()), "a UTF-8 name: " + alice.name());
            StringBuilder tooLong = new StringBuilder();
            for (int i = 0; i < 256; i++) {
                tooLong.append('a');
            }
            for (String bad : new String[] {"", " ", "bad\nname", tooLong.toString()}) {
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "setName(\"" + bad + "\")", () -> alice.setName(bad));
                check("Alice Smith é".equals(alice.name()), "name after a refused setName: " + alice.name());
            }
            expectThrows(IllegalArgumentException.class, "NUL in name", () -> alice.setName("a\0b"));
            alice.setName(null);
            check(alice.name() == null && alice.toBytes().length == b.length - "alice".length(), "name removed");

            // A closed voiceprint.
            alice.close();
            alice.close();
            check(alice.toString().equals("Voiceprint[closed]"), "toString of a closed voiceprint");
            expectThrows(IllegalStateException.class, "toBytes", alice::toBytes);
            expectThrows(IllegalStateException.class, "vector", alice::vector);
            expectThrows(IllegalStateException.class, "dim", alice::dim);
            expectThrows(IllegalStateException.class, "speechSeconds", alice::speechSeconds);
            expectThrows(IllegalStateException.class, "name", alice::name);
            expectThrows(IllegalStateException.class, "modelName", alice::modelName);
            expectThrows(IllegalStateException.class, "modelVersion", alice::modelVersion);
            expectThrows(IllegalStateException.class, "setName", () -> alice.setName("x"));
            expectThrows(IllegalStateException.class, "save", () -> alice.save("x.json"));
            try (Config cfg = new Config()) {
                expectThrows(IllegalStateException.class, "enroll of a closed voiceprint", () -> cfg.enroll(alice));
                expectThrows(NullPointerException.class, "enroll(null)", () -> cfg.enroll(null));
            }
        } finally {
            alice.close();
        }
    }

    private static void badVoiceprints() throws Exception {
        try (Voiceprint alice = voiceOf("alice")) {
            byte[] b = alice.toBytes();
            // Bytes that are not one whole voiceprint.
            for (int n : new int[] {0, 3, 4, 14, b.length / 2, b.length - 1}) {
                try {
                    Voiceprint.fromBytes(Arrays.copyOf(b, n)).close();
                    fail(n + " bytes read");
                } catch (VoiceflowException e) {
                    check(e.status() == VoiceflowException.INVALID_ARGUMENT && (n <= 4 || e.getMessage().contains("truncated")),
                            n + " of " + b.length + " bytes: " + e.status() + " " + e.getMessage());
                }
            }
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "a trailing byte",
                    () -> Voiceprint.fromBytes(Arrays.copyOf(b, b.length + 1)));
            byte[] nan = b.clone();
            ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(nan.length - 4, Float.NaN);
            try {
                Voiceprint.fromBytes(nan).close();
                fail("NaN read");
            } catch (VoiceflowException e) {
                check(e.status() == VoiceflowException.INVALID_ARGUMENT && e.getMessage().contains("finite"),
                        "NaN in the bytes: " + e.getMessage());
            }
            byte[] version2 = b.clone();
            version2[4] = 2;
            expectStatus(VoiceflowException.INVALID_ARGUMENT, "format version 2", () -> Voiceprint.fromBytes(version2));
            expectThrows(NullPointerException.class, "fromBytes(null)", () -> Voiceprint.fromBytes(null));

            // Enroll: no name, a name twice, another dimension or model, a 65th speaker; each
            // refused without changing the config (the next speaker still gets the next id).
            try (Config cfg = new Config();
                    Voiceprint shortOne = Voiceprint.fromBytes(
                            encode(alice.modelName(), alice.modelVersion(), "short", 3, new float[] {1}))) {
                alice.setName(null);
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "enroll without a name", () -> cfg.enroll(alice));
                alice.setName("alice");
                check(cfg.enroll(alice) == 0, "alice enrolled as 0 after the refusal");
                try {
                    cfg.enroll(alice);
                    fail("a name enrolled twice");
                } catch (VoiceflowException e) {
                    check(e.status() == VoiceflowException.INVALID_ARGUMENT && e.getMessage().contains("enrolled already"),
                            "a name twice: " + e.getMessage());
                }
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "enroll of another dimension", () -> cfg.enroll(shortOne));
                byte[] other = b.clone();
                other[13] ^= 1; // the model name's first byte
                try (Voiceprint foreign = Voiceprint.fromBytes(other); Config otherCfg = new Config()) {
                    check(!foreign.modelName().equals(alice.modelName()), "the model name changed");
                    foreign.setName("eve");
                    expectStatus(VoiceflowException.INVALID_ARGUMENT, "enroll of another model", () -> cfg.enroll(foreign));
                    // Another embedding model's voiceprint: refused when a session is created.
                    check(otherCfg.enroll(foreign) == 0, "eve enrolled alone");
                    try {
                        model.newSession(otherCfg).close();
                        fail("a session with another model's voiceprint");
                    } catch (VoiceflowException e) {
                        check(e.status() == VoiceflowException.INVALID_CONFIG && e.getMessage().contains("speakers[0]"),
                                "another model's voiceprint: " + e.status() + " " + e.getMessage());
                    }
                }
                alice.setName("alice again");
                check(cfg.enroll(alice) == 1, "the next speaker enrolled as 1");
                try (Session s = model.newSession(cfg)) {
                    check("alice".equals(s.speakerName(0)) && "alice again".equals(s.speakerName(1))
                            && s.speakerName(2) == null, "names after the refusals");
                }
                cfg.set("known_speaker_threshold", 3);
                expectStatus(VoiceflowException.INVALID_CONFIG, "known_speaker_threshold 3", () -> model.newSession(cfg));
            }
            try (Config full = new Config()) {
                for (int i = 0; i < Config.MAX_ENROLLED_SPEAKERS; i++) {
                    alice.setName("speaker " + i);
                    if (full.enroll(alice) != i) {
                        fail("speaker " + i + " not enrolled as " + i);
                    }
                }
                alice.setName("one too many");
                expectStatus(VoiceflowException.INVALID_ARGUMENT, "a 65th speaker", () -> full.enroll(alice));
                try (Session s = model.newSession(full)) {
                    check(("speaker " + (Config.MAX_ENROLLED_SPEAKERS - 1)).equals(s.speakerName(Config.MAX_ENROLLED_SPEAKERS - 1)),
                            "the last enrolled speaker's name");
                }
            }
        }

        // Audio that makes no voiceprint.
        float[] f = toFloat(pcm, 0, 5 * RATE);
        try {
            Voiceprint.fromAudio(model, f, 0, RATE, RATE, 1, "x").close();
            fail("a voiceprint of 1 s");
        } catch (VoiceflowException e) {
            check(e.status() == VoiceflowException.INVALID_AUDIO && e.getMessage().contains("too little speech"),
                    "1 s of audio: " + e.status() + " " + e.getMessage());
        }
        expectStatus(VoiceflowException.INVALID_AUDIO, "5 s of silence",
                () -> Voiceprint.fromAudio(model, new float[5 * RATE], RATE, 1, "x"));
        expectStatus(VoiceflowException.INVALID_AUDIO, "no audio", () -> Voiceprint.fromAudio(model, new float[0], RATE, 1, "x"));
        float[] withNaN = f.clone();
        withNaN[RATE] = Float.NaN;
        expectStatus(VoiceflowException.INVALID_AUDIO, "NaN sample", () -> Voiceprint.fromAudio(model, withNaN, RATE, 1, "x"));
        expectStatus(VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "1 kHz", () -> Voiceprint.fromAudio(model, f, 1000, 1, "x"));
        expectStatus(VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "negative rate",
                () -> Voiceprint.fromAudio(model, f, -RATE, 1, "x"));
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "no channels", () -> Voiceprint.fromAudio(model, f, RATE, 0, "x"));
        expectStatus(VoiceflowException.INVALID_ARGUMENT, "empty name", () -> Voiceprint.fromAudio(model, f, RATE, 1, ""));
        expectThrows(IllegalArgumentException.class, "NUL in name", () -> Voiceprint.fromAudio(model, f, RATE, 1, "x\0y"));
        expectThrows(ArrayIndexOutOfBoundsException.class, "range past the end",
                () -> Voiceprint.fromAudio(model, f, 1, f.length, RATE, 1, "x"));
        expectThrows(NullPointerException.class, "null model", () -> Voiceprint.fromAudio(null, f, RATE, 1, "x"));
        expectThrows(NullPointerException.class, "null samples", () -> Voiceprint.fromAudio(model, null, RATE, 1, "x"));
        Model closed = Model.open();
        closed.close();
        expectThrows(IllegalStateException.class, "closed model", () -> Voiceprint.fromAudio(closed, f, RATE, 1, "x"));
        // Made from part of an array: the same as from a copy of that part.
        Turn firstTurn = truth().get(0);
        int from = (int) (firstTurn.start * RATE), to = (int) (firstTurn.end * RATE);
        float[] whole = toFloat(pcm, 0, pcm.length);
        try (Voiceprint part = Voiceprint.fromAudio(model, whole, from, to - from, RATE, 1, "alice");
                Voiceprint copy = voiceOf("alice")) {
            check(Arrays.equals(part.toBytes(), copy.toBytes()), "fromAudio of a range equals fromAudio of a copy");
        }
    }

    /** One voiceprint used by several threads at once. */
    private static void voiceprintThreads() throws Exception {
        try (Voiceprint alice = voiceOf("alice")) {
            byte[] want = alice.toBytes();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    boolean renamer = t == 0;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            if (renamer) {
                                alice.setName("alice");
                                continue;
                            }
                            try (Config cfg = new Config()) {
                                if (!Arrays.equals(alice.toBytes(), want) || alice.vector().length != alice.dim()
                                        || cfg.enroll(alice) != 0) {
                                    return false;
                                }
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> f : results) {
                    check(f.get(), "a thread's view of a shared voiceprint");
                }
            } finally {
                pool.shutdown();
            }
        }
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
