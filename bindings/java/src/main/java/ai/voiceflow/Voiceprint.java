package ai.voiceflow;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A speaker's voice as the embedding model sees it, kept between sessions: the unit
 * centroid of its voice, the embedding model that made it (name and version; vectors of
 * two models cannot be compared), the seconds of speech behind it and an optional name.
 *
 * <p>Make one from audio of one voice ({@link #fromAudio}), read one from a session
 * ({@link Session#voiceprint(int)}), store it ({@link #toBytes()}, {@link #save(Path)}) and
 * load it again ({@link #fromBytes(byte[])}, {@link #load(Path)}); a named voiceprint
 * enrolled into a {@link Config} ({@link Config#enroll(Voiceprint)}) makes the sessions
 * created from it report that speaker under a fixed id and its name.
 *
 * <p>Owns a library object: close it (closing again does nothing; every other method of a
 * closed voiceprint throws {@link IllegalStateException}). Methods are synchronized.
 */
public final class Voiceprint implements AutoCloseable {
    /**
     * Version of the voiceprint byte and JSON encodings this library writes, and the only
     * one it reads (VF_VOICEPRINT_FORMAT_VERSION).
     */
    public static final int FORMAT_VERSION = 1;

    private long handle;

    Voiceprint(long handle) {
        this.handle = handle;
    }

    /** {@link #fromAudio(Model, float[], int, int, int, int, String)} of the whole array. */
    public static Voiceprint fromAudio(
            Model model, float[] samples, int sampleRate, int channels, String name)
            throws VoiceflowException {
        return fromAudio(model, samples, 0, samples.length, sampleRate, channels, name);
    }

    /**
     * The voiceprint of the voice heard most in {@code samples[offset, offset + length)}
     * (interleaved, in -1..1, at {@code sampleRate} Hz with {@code channels} channels: the
     * rules of {@link Session#push(float[], int, int, int, int)}), named {@code name} (null
     * for none; at most 255 bytes of UTF-8). The audio should hold one voice: it is diarized
     * like an offline session and its main speaker taken, which takes about as long. Less
     * than 2 s of that voice throws {@link VoiceflowException#INVALID_AUDIO} ("too little
     * speech"), as do NaN or infinite samples; a bad rate {@link
     * VoiceflowException#UNSUPPORTED_SAMPLE_RATE}; a bad name or channel count {@link
     * VoiceflowException#INVALID_ARGUMENT}. Threads may call it at once on one model.
     */
    public static Voiceprint fromAudio(
            Model model,
            float[] samples,
            int offset,
            int length,
            int sampleRate,
            int channels,
            String name)
            throws VoiceflowException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(samples, "samples");
        if (offset < 0 || length < 0 || offset > samples.length - length) {
            throw new ArrayIndexOutOfBoundsException(
                    "offset " + offset + ", length " + length + " outside an array of " + samples.length);
        }
        if (sampleRate < 0) {
            throw new VoiceflowException(
                    VoiceflowException.UNSUPPORTED_SAMPLE_RATE, "sample rate " + sampleRate + " Hz is negative");
        }
        if (channels < 0) {
            throw new VoiceflowException(
                    VoiceflowException.INVALID_ARGUMENT, "channel count " + channels + " is negative");
        }
        byte[] cname = Strings.toC(name, "voiceprint name");
        synchronized (model) {
            return new Voiceprint(NativeLib.voiceprintFromAudio(
                    model.handle(), samples, offset, length, sampleRate, channels, cname));
        }
    }

    /**
     * Reads a voiceprint from its byte encoding ({@link #toBytes()}): all of {@code bytes}
     * must be one voiceprint. Anything else (another format or format version, truncated
     * or trailing bytes, NaN or a vector that is not unit length) throws {@link
     * VoiceflowException#INVALID_ARGUMENT} naming the cause. Whether its embedding model is
     * a session's is checked when the session is created.
     */
    public static Voiceprint fromBytes(byte[] bytes) throws VoiceflowException {
        Objects.requireNonNull(bytes, "bytes");
        return new Voiceprint(NativeLib.voiceprintFromBytes(bytes));
    }

    /**
     * Reads a voiceprint JSON file, as {@link #save(Path)}, {@code voiceflow enroll --out}
     * and {@code voiceflow diarize --export-speakers} write them. A file that cannot be read
     * throws {@link VoiceflowException#IO}; one that is not a valid voiceprint {@link
     * VoiceflowException#INVALID_ARGUMENT}; both messages name the file.
     */
    public static Voiceprint load(Path path) throws VoiceflowException {
        Objects.requireNonNull(path, "path");
        return load(path.toString());
    }

    /** {@link #load(Path)} for a path given as a string. */
    public static Voiceprint load(String path) throws VoiceflowException {
        Objects.requireNonNull(path, "path");
        return new Voiceprint(NativeLib.voiceprintReadFile(Strings.toC(path, "voiceprint path")));
    }

    /**
     * Writes the voiceprint to the JSON file at {@code path}, replacing it; {@link
     * VoiceflowException#IO} names the file when it cannot be written.
     */
    public void save(Path path) throws VoiceflowException {
        Objects.requireNonNull(path, "path");
        save(path.toString());
    }

    /** {@link #save(Path)} for a path given as a string. */
    public synchronized void save(String path) throws VoiceflowException {
        Objects.requireNonNull(path, "path");
        NativeLib.voiceprintWriteFile(handle(), Strings.toC(path, "voiceprint path"));
    }

    /**
     * The byte encoding (little-endian, exact length; README, section Voiceprints), for
     * {@link #fromBytes(byte[])}.
     */
    public synchronized byte[] toBytes() throws VoiceflowException {
        return NativeLib.voiceprintToBytes(handle());
    }

    /** A copy of the unit vector, {@link #dim()} values. */
    public synchronized float[] vector() {
        return NativeLib.voiceprintVector(handle());
    }

    /** Dimension of the vector (the embedding model's). */
    public synchronized int dim() {
        return NativeLib.voiceprintDim(handle());
    }

    /** Seconds of speech the voiceprint was made from. */
    public synchronized double speechSeconds() {
        return NativeLib.voiceprintSpeechSeconds(handle());
    }

    /** The speaker's name; null when it has none. */
    public synchronized String name() {
        return text(NativeLib.voiceprintName(handle()));
    }

    /**
     * Names the voiceprint {@code name} (1 to 255 bytes of UTF-8, not only whitespace, no
     * control characters), or removes its name when {@code name} is null. A bad name throws
     * {@link VoiceflowException#INVALID_ARGUMENT} (a NUL character {@link
     * IllegalArgumentException}) and changes nothing.
     */
    public synchronized void setName(String name) throws VoiceflowException {
        NativeLib.voiceprintSetName(handle(), Strings.toC(name, "voiceprint name"));
    }

    /** Name of the embedding model that made the voiceprint (e.g. "campplus"). */
    public synchronized String modelName() {
        return text(NativeLib.voiceprintModelName(handle()));
    }

    /** Version of the embedding model that made the voiceprint (may be empty). */
    public synchronized String modelVersion() {
        return text(NativeLib.voiceprintModelVersion(handle()));
    }

    private static String text(byte[] utf8) {
        return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
    }

    /** The live handle; callers hold this object's lock while they use it. */
    long handle() {
        if (handle == 0) {
            throw new IllegalStateException("Voiceprint is closed");
        }
        return handle;
    }

    /**
     * Frees the voiceprint; calling it again does nothing. Configs it was enrolled in keep
     * their own copy.
     */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            NativeLib.voiceprintFree(handle);
            handle = 0;
        }
    }

    @Override
    public synchronized String toString() {
        if (handle == 0) {
            return "Voiceprint[closed]";
        }
        String name = name();
        return "Voiceprint[name=" + (name == null ? "none" : "\"" + name + "\"") + ", model=" + modelName()
                + " " + modelVersion() + ", dim=" + dim() + ", speech=" + speechSeconds() + " s]";
    }
}
