package ai.voiceflow;

/**
 * A loaded pair of segmentation and embedding models. Immutable: any number of threads
 * may create sessions from one model. Sessions keep their own reference, so closing the
 * model while sessions are alive is safe.
 */
public final class Model implements AutoCloseable {
    private long handle;

    private Model(long handle) {
        this.handle = handle;
    }

    /** The default models with one inference thread. */
    public static Model open() throws VoiceflowException {
        return open(null, null, 1);
    }

    /**
     * Opens the given models (null path: the default one) with {@code threads} inference
     * threads (0 means 1).
     */
    public static Model open(String segmentationPath, String embeddingPath, int threads)
            throws VoiceflowException {
        if (threads < 0) {
            throw new VoiceflowException(
                    VoiceflowException.INVALID_ARGUMENT, "thread count " + threads + " is negative");
        }
        return new Model(
                NativeLib.modelOpen(
                        Strings.toC(segmentationPath, "segmentation path"),
                        Strings.toC(embeddingPath, "embedding path"),
                        threads));
    }

    /** A session with the default configuration. */
    public Session newSession() throws VoiceflowException {
        return newSession(null);
    }

    /**
     * A session with {@code config} (null: defaults), validated here: an invalid field is
     * {@link VoiceflowException#INVALID_CONFIG} and the message names it.
     */
    public synchronized Session newSession(Config config) throws VoiceflowException {
        long modelHandle = handle();
        if (config == null) {
            return new Session(NativeLib.sessionCreate(modelHandle, 0));
        }
        synchronized (config) { // lock order: model, then config (close takes one lock only)
            return new Session(NativeLib.sessionCreate(modelHandle, config.handle()));
        }
    }

    private long handle() {
        if (handle == 0) {
            throw new IllegalStateException("Model is closed");
        }
        return handle;
    }

    /** Frees the model; calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            NativeLib.modelFree(handle);
            handle = 0;
        }
    }
}
