package ai.voiceflow;

import java.nio.charset.StandardCharsets;

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
        return open(segmentationPath, embeddingPath, "cpu", threads, false);
    }

    /**
     * Opens the given models (null path: the default one) on {@code device}: "cpu" (or
     * null), "cpu:N" (N inference threads, overriding {@code threads}), "cuda" (GPU 0),
     * "cuda:K" (GPU K) or "best" (CUDA when usable, else the CPU). A malformed device is
     * {@link VoiceflowException#INVALID_ARGUMENT}. A GPU that cannot be used is {@link
     * VoiceflowException#DEVICE_UNAVAILABLE} with the cause in the message, unless {@code
     * allowCpuFallback}: the model then runs on the CPU and {@link #deviceFallback()} says
     * why.
     */
    public static Model open(
            String segmentationPath,
            String embeddingPath,
            String device,
            int threads,
            boolean allowCpuFallback)
            throws VoiceflowException {
        if (threads < 0) {
            throw new VoiceflowException(
                    VoiceflowException.INVALID_ARGUMENT, "thread count " + threads + " is negative");
        }
        return new Model(
                NativeLib.modelOpen(
                        Strings.toC(segmentationPath, "segmentation path"),
                        Strings.toC(embeddingPath, "embedding path"),
                        Strings.toC(device, "device"),
                        threads,
                        allowCpuFallback ? NativeLib.MODEL_ALLOW_CPU_FALLBACK : 0));
    }

    /** Where the model runs: "cpu" or "cuda:K". */
    public synchronized String device() {
        return new String(NativeLib.modelDevice(handle()), StandardCharsets.UTF_8);
    }

    /**
     * Why the model runs on the CPU although a GPU was requested; null when it runs where
     * it was asked to.
     */
    public synchronized String deviceFallback() {
        byte[] reason = NativeLib.modelDeviceFallback(handle());
        return reason == null ? null : new String(reason, StandardCharsets.UTF_8);
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

    /** The live handle; callers hold this object's lock while they use it. */
    long handle() {
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
