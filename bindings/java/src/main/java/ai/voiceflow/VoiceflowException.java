package ai.voiceflow;

import java.nio.charset.StandardCharsets;

/**
 * A failed library call: the voiceflow status code ({@link #status()}, one of the
 * constants below) and the library's detailed message. Codes are never renumbered.
 */
public final class VoiceflowException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A required pointer argument was NULL. */
    public static final int NULL_POINTER = -1;
    /** An argument was out of range or malformed. */
    public static final int INVALID_ARGUMENT = -2;
    /** A configuration field is invalid; the message names it. */
    public static final int INVALID_CONFIG = -3;
    /** ONNX Runtime is missing, unloadable or too old. */
    public static final int RUNTIME_UNAVAILABLE = -4;
    /** A model file is missing, unreadable or breaks the model contract. */
    public static final int MODEL = -5;
    /** ONNX Runtime failed while running a model; the session is stopped. */
    public static final int INFERENCE = -6;
    /** NaN or infinite samples (nothing was consumed), or too little speech for a voiceprint. */
    public static final int INVALID_AUDIO = -7;
    /** Rate outside 8000..192000 Hz, or changed mid-stream; nothing was consumed. */
    public static final int UNSUPPORTED_SAMPLE_RATE = -8;
    /** Not allowed now (push after flush, or the session stopped after a failure). */
    public static final int INVALID_STATE = -9;
    /** A panic was caught inside the library; the session is unusable. */
    public static final int INTERNAL = -10;
    /** A file could not be read or written. */
    public static final int IO = -11;
    /**
     * The requested device (a CUDA GPU) cannot be used and CPU fallback was not allowed;
     * the message names the cause.
     */
    public static final int DEVICE_UNAVAILABLE = -12;
    /**
     * An offline or refining session has taken its "max_offline_audio" seconds of audio;
     * nothing of the push was consumed and the session stays usable: flush it for the answer.
     */
    public static final int LIMIT_REACHED = -13;

    private final int status;

    /** An error detected by the binding before the library was called. */
    VoiceflowException(int status, String message) {
        super(message + " [" + NativeLib.statusText(status) + "]");
        this.status = status;
    }

    /**
     * Called by the JNI layer with vf_last_error() as UTF-8 bytes: the message may hold
     * any UTF-8 (file paths), which JNI's NewStringUTF (modified UTF-8) cannot take.
     */
    VoiceflowException(int status, byte[] utf8Message) {
        this(status, new String(utf8Message, StandardCharsets.UTF_8));
    }

    /** The voiceflow status code, e.g. {@link #INVALID_AUDIO}. */
    public int status() {
        return status;
    }
}
