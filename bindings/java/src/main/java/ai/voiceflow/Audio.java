package ai.voiceflow;

import java.io.File;
import java.util.Objects;

/**
 * A decoded audio file: interleaved samples in -1..1 at the file's own rate and channel
 * count, ready for {@code session.push(audio.samples(), audio.sampleRate(), audio.channels())}.
 * {@link #read(String)} copies the samples into a Java array and frees the library's
 * object at once, so there is nothing to close.
 */
public final class Audio {
    private final float[] samples;
    private final int sampleRate;
    private final int channels;

    private Audio(float[] samples, int sampleRate, int channels) {
        this.samples = samples;
        this.sampleRate = sampleRate;
        this.channels = channels;
    }

    /**
     * Decodes the audio file at {@code path} with the library's own decoders
     * (vf_audio_read_file), so Java reads exactly what the CLI and the other bindings read:
     * WAV (8- to 32-bit PCM, 32/64-bit float, A-law, mu-law, ADPCM), AIFF, CAF, FLAC, MP3,
     * Ogg Vorbis, MP4/M4A (AAC, ALAC), ADTS AAC, and MKV/WebM; the content decides, not the
     * extension. Opus is not supported. A missing, empty, non-audio or undecodable file
     * throws with {@link VoiceflowException#IO} and a message naming the file and the
     * supported formats.
     */
    public static Audio read(String path) throws VoiceflowException {
        Objects.requireNonNull(path, "path");
        int[] format = new int[2]; // filled with {sample rate, channels}
        float[] samples = NativeLib.audioRead(Strings.toC(path, "audio path"), format);
        return new Audio(samples, format[0], format[1]);
    }

    /** {@link #read(String)} for a {@link File}. */
    public static Audio read(File file) throws VoiceflowException {
        return read(file.getPath());
    }

    /**
     * The interleaved samples, {@link #frames()} times {@link #channels()} of them: the
     * array itself, not a copy (an hour of audio is hundreds of megabytes).
     */
    public float[] samples() {
        return samples;
    }

    /** The sample rate in Hz, as stored in the file. */
    public int sampleRate() {
        return sampleRate;
    }

    /** The channel count (at least 1). */
    public int channels() {
        return channels;
    }

    /** Samples per channel. */
    public int frames() {
        return samples.length / channels;
    }
}
