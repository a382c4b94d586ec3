package ai.voiceflow;

/**
 * Session settings; every field starts at its default (README, section Configuration).
 * It may be closed as soon as the sessions that use it are created.
 */
public final class Config implements AutoCloseable {
    /** What a session produces, the "mode" config key. */
    public enum Mode {
        /** Final segments while the stream runs (the default). */
        STREAMING(0),
        /**
         * Nothing until {@link Session#flush()}, then the whole stream clustered at once (the
         * best answer; memory grows with the stream's speech, up to "max_offline_audio"
         * seconds, beyond which a push is {@link VoiceflowException#LIMIT_REACHED}).
         */
        OFFLINE(1);

        final int value; // VF_MODE_STREAMING, VF_MODE_OFFLINE

        Mode(int value) {
            this.value = value;
        }
    }

    /** Most speakers one config may enroll (VF_MAX_ENROLLED_SPEAKERS). */
    public static final int MAX_ENROLLED_SPEAKERS = 64;

    private long handle;

    /** A configuration holding the defaults. */
    public Config() throws VoiceflowException {
        handle = NativeLib.configNew();
    }

    /**
     * Sets a field by name, e.g. {@code set("latency", 3)} or {@code set("num_speakers", 2)}.
     * An unknown key is {@link VoiceflowException#INVALID_ARGUMENT}; out-of-range values are
     * reported by {@link Model#newSession(Config)} as {@link VoiceflowException#INVALID_CONFIG}.
     *
     * @return this, for chaining
     */
    public synchronized Config set(String key, double value) throws VoiceflowException {
        if (key == null) {
            throw new NullPointerException("key");
        }
        NativeLib.configSet(handle(), Strings.toC(key, "key"), value);
        return this;
    }

    /**
     * Sets the session mode ({@link Mode#STREAMING} by default).
     *
     * @return this, for chaining
     */
    public Config setMode(Mode mode) throws VoiceflowException {
        if (mode == null) {
            throw new NullPointerException("mode");
        }
        return set("mode", mode.value);
    }

    /**
     * Makes a streaming session also produce the offline answer at flush, its refined result
     * ({@link Session#pollRefined()}), besides the live segments. Refine with
     * {@link Mode#OFFLINE} is {@link VoiceflowException#INVALID_CONFIG} at session creation.
     *
     * @return this, for chaining
     */
    public Config setRefine(boolean refine) throws VoiceflowException {
        return set("refine", refine ? 1 : 0);
    }

    /**
     * Enrolls a known speaker: sessions created from this config afterwards report speech of
     * the voice of {@code voiceprint} under the returned id (the number of speakers enrolled
     * before it: 0, 1, ...) and its name ({@link Session#speakerName(int)}); the speakers
     * they do not know are numbered from the number enrolled, in order of appearance. A
     * voice of the stream is taken for an enrolled one within the cosine distance
     * "known_speaker_threshold" ({@link #set}; default: the embedding model's "delta_new").
     * The voiceprint is copied: it may be closed afterwards. Refused with {@link
     * VoiceflowException#INVALID_ARGUMENT}, changing nothing: a voiceprint without a name, a
     * name enrolled already, another embedding model or dimension than the speakers
     * enrolled before, more than {@link #MAX_ENROLLED_SPEAKERS}. Session creation refuses
     * voiceprints of another embedding model than the session's ({@link
     * VoiceflowException#INVALID_CONFIG}).
     *
     * @return the speaker id the enrolled voice is reported under
     */
    public synchronized int enroll(Voiceprint voiceprint) throws VoiceflowException {
        if (voiceprint == null) {
            throw new NullPointerException("voiceprint");
        }
        long config = handle();
        synchronized (voiceprint) { // lock order: config, then voiceprint
            return NativeLib.configEnroll(config, voiceprint.handle());
        }
    }

    /** The live handle; callers hold this object's lock while they use it. */
    long handle() {
        if (handle == 0) {
            throw new IllegalStateException("Config is closed");
        }
        return handle;
    }

    /** Frees the configuration; calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            NativeLib.configFree(handle);
            handle = 0;
        }
    }
}
