package ai.voiceflow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Diarizes one audio stream: push samples as they arrive, {@link #poll()} final
 * segments, {@link #flush()} at the end, {@link #close()}. Methods are synchronized, but
 * a stream is naturally fed by one thread; use one session per stream. Created by
 * {@link Model#newSession(Config)}.
 *
 * <p>Pushes take interleaved samples ({@code length} a multiple of {@code channels},
 * 1..32 channels averaged to mono) at {@code sampleRate} Hz (8000..192000, the same for
 * the whole stream). A rejected push ({@link VoiceflowException#INVALID_AUDIO},
 * {@link VoiceflowException#UNSUPPORTED_SAMPLE_RATE}, {@link VoiceflowException#INVALID_STATE}
 * after flush, ...) consumes nothing and the session stays usable. An empty push consumes
 * nothing and is checked like any other (so it too fails after flush). An offline or refining session refuses a push that would take the stream past its
 * "max_offline_audio" seconds with {@link VoiceflowException#LIMIT_REACHED}; {@link #flush()}
 * then gives the answer up to there.
 */
public final class Session implements AutoCloseable {
    private long handle;

    Session(long handle) {
        this.handle = handle;
    }

    /** Pushes float samples in -1..1. */
    public void push(float[] samples, int sampleRate, int channels) throws VoiceflowException {
        push(samples, 0, samples.length, sampleRate, channels);
    }

    /** Pushes {@code samples[offset, offset + length)} as float samples in -1..1. */
    public synchronized void push(
            float[] samples, int offset, int length, int sampleRate, int channels)
            throws VoiceflowException {
        checkRange(samples.length, offset, length);
        checkFormat(sampleRate, channels);
        NativeLib.sessionPushFloats(handle(), samples, offset, length, sampleRate, channels);
    }

    /** Pushes 16-bit PCM samples. */
    public void push(short[] samples, int sampleRate, int channels) throws VoiceflowException {
        push(samples, 0, samples.length, sampleRate, channels);
    }

    /** Pushes {@code samples[offset, offset + length)} as 16-bit PCM samples. */
    public synchronized void push(
            short[] samples, int offset, int length, int sampleRate, int channels)
            throws VoiceflowException {
        checkRange(samples.length, offset, length);
        checkFormat(sampleRate, channels);
        NativeLib.sessionPushShorts(handle(), samples, offset, length, sampleRate, channels);
    }

    /**
     * Pushes the 16-bit PCM samples between the buffer's position and limit, read in the
     * buffer's byte order. A direct buffer in native order is read in place; others are
     * copied. On success the position moves to the limit; on failure it does not move.
     * {@code AudioRecord.read(ByteBuffer, int)} writes native byte order, so give its buffer
     * {@code order(ByteOrder.nativeOrder())} (a new buffer is big-endian).
     */
    public synchronized void pushPcm16(ByteBuffer pcm, int sampleRate, int channels)
            throws VoiceflowException {
        int bytes = pcm.remaining();
        if (bytes % 2 != 0) {
            throw new IllegalArgumentException(
                    bytes + " bytes remaining is not a whole number of 16-bit samples");
        }
        checkFormat(sampleRate, channels);
        long session = handle();
        if (bytes > 0 && pcm.isDirect() && pcm.order() == ByteOrder.nativeOrder()) {
            NativeLib.sessionPushDirect(
                    session, pcm, pcm.position(), bytes / 2, sampleRate, channels);
        } else {
            short[] copy = new short[bytes / 2];
            ShortBuffer view = pcm.duplicate().order(pcm.order()).asShortBuffer();
            view.get(copy);
            NativeLib.sessionPushShorts(session, copy, 0, copy.length, sampleRate, channels);
        }
        pcm.position(pcm.limit());
    }

    /**
     * Every final segment not returned before, in start order (none: an empty list). A
     * returned segment never changes. A {@link Config.Mode#OFFLINE} session has none before
     * {@link #flush()}.
     */
    public synchronized List<Segment> poll() throws VoiceflowException {
        return segments(NativeLib.sessionPoll(handle()));
    }

    /** The number of final segments waiting to be polled. */
    public synchronized int pending() throws VoiceflowException {
        return NativeLib.sessionPending(handle());
    }

    /**
     * {@link #poll()} for the refined result of a session configured with
     * {@link Config#setRefine(boolean) setRefine(true)}: the whole stream clustered at once,
     * made by {@link #flush()} (none before). Its speaker ids are its own, unrelated to the
     * live segments'. Without refine (an offline session included, whose {@link #poll()} is
     * the refined answer) it throws {@link VoiceflowException#INVALID_STATE}.
     */
    public synchronized List<Segment> pollRefined() throws VoiceflowException {
        return segments(NativeLib.sessionPollRefined(handle()));
    }

    /**
     * The number of refined-result segments waiting to be polled (0 before flush);
     * {@link VoiceflowException#INVALID_STATE} without refine, as {@link #pollRefined()}.
     */
    public synchronized int pendingRefined() throws VoiceflowException {
        return NativeLib.sessionPendingRefined(handle());
    }

    /**
     * The voiceprint of {@code speaker}, an id of this session's segments: its centroid now
     * and the seconds of speech in its segments so far, with its name when it is an
     * enrolled speaker ({@link Config#enroll(Voiceprint)}). A streaming session answers
     * while it streams and after {@link #flush()} (the centroid keeps adapting until
     * flush); an offline session after flush. An id that no segment has had yet throws
     * {@link VoiceflowException#INVALID_ARGUMENT}. The voiceprint does not depend on the
     * session; close it.
     */
    public synchronized Voiceprint voiceprint(int speaker) throws VoiceflowException {
        checkSpeaker(speaker);
        return new Voiceprint(NativeLib.sessionVoiceprint(handle(), speaker));
    }

    /**
     * {@link #voiceprint(int)} for the refined result of a refining session (its own ids,
     * those of {@link #pollRefined()}), after {@link #flush()}; before flush, or without
     * refine, it throws {@link VoiceflowException#INVALID_ARGUMENT}. For an offline session
     * it is the same as {@link #voiceprint(int)}.
     */
    public synchronized Voiceprint refinedVoiceprint(int speaker) throws VoiceflowException {
        checkSpeaker(speaker);
        return new Voiceprint(NativeLib.sessionRefinedVoiceprint(handle(), speaker));
    }

    /**
     * The name of speaker id {@code speaker} when it belongs to an enrolled speaker
     * ({@link Config#enroll(Voiceprint)}), whether or not it has spoken yet; null for the
     * speakers the session numbered itself (and for negative ids). Ids of the refined result
     * share these names: enrolled ids are the same in both results.
     */
    public synchronized String speakerName(int speaker) {
        long session = handle();
        if (speaker < 0) {
            return null;
        }
        byte[] name = NativeLib.sessionSpeakerName(session, speaker);
        return name == null ? null : new String(name, StandardCharsets.UTF_8);
    }

    // C takes an unsigned id: a negative int would arrive as a huge number.
    private static void checkSpeaker(int speaker) throws VoiceflowException {
        if (speaker < 0) {
            throw new VoiceflowException(
                    VoiceflowException.INVALID_ARGUMENT, "speaker id " + speaker + " is negative");
        }
    }

    private static List<Segment> segments(double[] triplets) {
        if (triplets.length == 0) {
            return Collections.emptyList();
        }
        List<Segment> segments = new ArrayList<>(triplets.length / 3);
        for (int i = 0; i + 2 < triplets.length; i += 3) {
            segments.add(new Segment((int) triplets[i], triplets[i + 1], triplets[i + 2]));
        }
        return Collections.unmodifiableList(segments);
    }

    /**
     * Ends the stream: the buffered tail is processed and open segments close, to be
     * returned by the next poll. An offline session (or a refining one, for
     * {@link #pollRefined()}) clusters the whole stream here, which takes a little longer.
     * Later pushes fail with INVALID_STATE; flushing again is a no-op.
     */
    public synchronized void flush() throws VoiceflowException {
        NativeLib.sessionFlush(handle());
    }

    /** Destroys the session (unpolled segments are discarded); calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            NativeLib.sessionDestroy(handle);
            handle = 0;
        }
    }

    private long handle() {
        if (handle == 0) {
            throw new IllegalStateException("Session is closed");
        }
        return handle;
    }

    private static void checkRange(int arrayLength, int offset, int length) {
        if (offset < 0 || length < 0 || offset > arrayLength - length) {
            throw new ArrayIndexOutOfBoundsException(
                    "offset " + offset + ", length " + length + " outside an array of " + arrayLength);
        }
    }

    // C takes unsigned values: a negative int would arrive as a huge number.
    private static void checkFormat(int sampleRate, int channels) throws VoiceflowException {
        if (sampleRate < 0) {
            throw new VoiceflowException(
                    VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "sample rate " + sampleRate + " Hz is negative");
        }
        if (channels < 0) {
            throw new VoiceflowException(
                    VoiceflowException.INVALID_ARGUMENT, "channel count " + channels + " is negative");
        }
    }
}
