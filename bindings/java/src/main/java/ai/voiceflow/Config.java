package ai.voiceflow;

/**
 * Session settings; every field starts at its default (README, section Configuration).
 * It may be closed as soon as the sessions that use it are created.
 */
public final class Config implements AutoCloseable {
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
