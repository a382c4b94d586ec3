package ai.voiceflow;

/**
 * Library-wide functions. Loading this class (or any other of the package) loads
 * libvoiceflow_jni and libvoiceflow through {@code System.loadLibrary}, or the file
 * named by the system property {@code voiceflow.jni.library}.
 */
public final class Voiceflow {
    /** The ABI version this binding is written for; checked when the library loads. */
    public static final int ABI_VERSION = NativeLib.ABI_VERSION;

    private Voiceflow() {}

    /** Version of the loaded library, e.g. "0.1.0". */
    public static String version() {
        return NativeLib.version();
    }

    /** ABI version of the loaded library. */
    public static int abiVersion() {
        return NativeLib.abiVersion();
    }

    /** The library's static text for a status code. */
    public static String statusText(int status) {
        return NativeLib.statusText(status);
    }

    /**
     * Loads ONNX Runtime from {@code libraryPath} (null: ORT_DYLIB_PATH, then the set-up
     * folder). Optional on desktop; on Android pass the app's native library folder +
     * "/libonnxruntime.so" before opening a model. Later calls succeed without reloading.
     */
    public static void loadRuntime(String libraryPath) throws VoiceflowException {
        NativeLib.runtimeLoad(Strings.toC(libraryPath, "library path"));
    }
}
