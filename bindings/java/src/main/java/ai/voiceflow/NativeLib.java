package ai.voiceflow;

import java.nio.ByteBuffer;

/**
 * The JNI entry points (bindings/java/src/main/c/voiceflow_jni.c). Handles are the C
 * pointers as longs; the public classes own them and never pass a freed one. Strings go
 * in as NUL-terminated UTF-8 byte arrays (null: the library default).
 */
final class NativeLib {
    /** VF_ABI_VERSION of the header the JNI layer is written against. */
    static final int ABI_VERSION = 1;

    static {
        String explicit = System.getProperty("voiceflow.jni.library");
        if (explicit != null) {
            System.load(explicit);
        } else {
            // Loading libvoiceflow first lets old Android linkers (API < 23), which do not
            // search the app's library folder for dependencies, resolve libvoiceflow_jni.
            // Elsewhere the JNI library's own dependency lookup (rpath, LD_LIBRARY_PATH)
            // finds it, and a real absence fails below with a message naming it.
            try {
                System.loadLibrary("voiceflow");
            } catch (UnsatisfiedLinkError notOnLibraryPath) {
                // not fatal: see above
            }
            System.loadLibrary("voiceflow_jni");
        }
        int loaded = abiVersion();
        if (loaded != ABI_VERSION) {
            throw new UnsatisfiedLinkError(
                    "libvoiceflow ABI version " + loaded + ", this binding needs " + ABI_VERSION);
        }
    }

    private NativeLib() {}

    static native String version();

    static native int abiVersion();

    static native String statusText(int status);

    static native void runtimeLoad(byte[] path) throws VoiceflowException;

    /** flags: 0 or {@link #MODEL_ALLOW_CPU_FALLBACK}; a null device means "cpu". */
    static native long modelOpen(
            byte[] segmentation, byte[] embedding, byte[] device, int threads, int flags)
            throws VoiceflowException;

    /** VF_MODEL_ALLOW_CPU_FALLBACK. */
    static final int MODEL_ALLOW_CPU_FALLBACK = 1;

    /** The model's device as UTF-8 ("cpu", "cuda:K"). */
    static native byte[] modelDevice(long model);

    /** Why the model fell back to the CPU, as UTF-8; null when it did not. */
    static native byte[] modelDeviceFallback(long model);

    static native void modelFree(long model);

    static native long configNew() throws VoiceflowException;

    static native void configFree(long config);

    static native void configSet(long config, byte[] key, double value) throws VoiceflowException;

    static native long sessionCreate(long model, long config) throws VoiceflowException;

    static native void sessionPushFloats(
            long session, float[] samples, int offset, int length, int rate, int channels)
            throws VoiceflowException;

    static native void sessionPushShorts(
            long session, short[] samples, int offset, int length, int rate, int channels)
            throws VoiceflowException;

    /** 16-bit samples in native byte order at byteOffset of a direct buffer. */
    static native void sessionPushDirect(
            long session, ByteBuffer buffer, int byteOffset, int count, int rate, int channels)
            throws VoiceflowException;

    /** All pending segments as {speaker, start, end} triplets. */
    static native double[] sessionPoll(long session) throws VoiceflowException;

    static native int sessionPending(long session) throws VoiceflowException;

    /** The refined result's pending segments, as {@link #sessionPoll}. */
    static native double[] sessionPollRefined(long session) throws VoiceflowException;

    static native int sessionPendingRefined(long session) throws VoiceflowException;

    static native void sessionFlush(long session) throws VoiceflowException;

    static native void sessionDestroy(long session);

    /** Enrolls a copy of the voiceprint; returns its speaker id. */
    static native int configEnroll(long config, long voiceprint) throws VoiceflowException;

    /** A new voiceprint of a speaker of the session's segments. */
    static native long sessionVoiceprint(long session, int speaker) throws VoiceflowException;

    /** A new voiceprint of a speaker of the session's refined result. */
    static native long sessionRefinedVoiceprint(long session, int speaker) throws VoiceflowException;

    /** An enrolled speaker's name as UTF-8; null for the others. */
    static native byte[] sessionSpeakerName(long session, int speaker);

    // Voiceprints. The byte[] results are UTF-8 (null: none); vector() is a copy.

    static native long voiceprintFromAudio(
            long model, float[] samples, int offset, int length, int rate, int channels, byte[] name)
            throws VoiceflowException;

    static native long voiceprintFromBytes(byte[] bytes) throws VoiceflowException;

    static native byte[] voiceprintToBytes(long voiceprint) throws VoiceflowException;

    static native long voiceprintReadFile(byte[] path) throws VoiceflowException;

    static native void voiceprintWriteFile(long voiceprint, byte[] path) throws VoiceflowException;

    static native float[] voiceprintVector(long voiceprint);

    static native int voiceprintDim(long voiceprint);

    static native double voiceprintSpeechSeconds(long voiceprint);

    static native byte[] voiceprintName(long voiceprint);

    static native byte[] voiceprintModelName(long voiceprint);

    static native byte[] voiceprintModelVersion(long voiceprint);

    /** A null name removes the name. */
    static native void voiceprintSetName(long voiceprint, byte[] name) throws VoiceflowException;

    static native void voiceprintFree(long voiceprint);

    /**
     * Decodes an audio file (vf_audio_read_file) into a new array of interleaved samples
     * and writes {sample rate, channels} into {@code format}; the native object is freed
     * before this returns.
     */
    static native float[] audioRead(byte[] path, int[] format) throws VoiceflowException;
}
