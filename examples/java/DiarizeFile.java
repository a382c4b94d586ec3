import ai.voiceflow.Model;
import ai.voiceflow.Segment;
import ai.voiceflow.Session;
import ai.voiceflow.VoiceflowException;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Prints the speaker turns of a 16-bit PCM WAV file, one "start end speaker" line each,
 * exactly like the C, C++, Python and Go examples: default models, 1 thread, default
 * config, 100 ms pushes of 16-bit samples with a poll after each, then flush and drain.
 *
 * <pre>make example-java FILE=examples/data/conversation.wav</pre>
 */
public final class DiarizeFile {
    private DiarizeFile() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DiarizeFile <16-bit PCM WAV>");
            System.exit(2);
        }
        try {
            run(new File(args[0]));
        } catch (VoiceflowException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        } catch (IOException | UnsupportedAudioFileException e) {
            System.err.println(args[0] + ": " + e.getMessage());
            System.exit(1);
        }
    }

    private static void run(File wav) throws VoiceflowException, IOException, UnsupportedAudioFileException {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(wav);
                Model model = Model.open(); // default models, 1 thread
                Session session = model.newSession()) { // default configuration
            AudioFormat format = in.getFormat();
            if (format.getEncoding() != AudioFormat.Encoding.PCM_SIGNED || format.getSampleSizeInBits() != 16) {
                throw new IOException("need 16-bit PCM, got " + format);
            }
            int rate = Math.round(format.getSampleRate());
            int channels = format.getChannels();
            ByteOrder order = format.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            int frames = Math.max(1, rate / 10); // 100 ms
            byte[] bytes = new byte[frames * channels * 2];
            short[] samples = new short[frames * channels];
            for (int got = readFully(in, bytes); got > 0; got = readFully(in, bytes)) {
                int count = got / 2;
                ByteBuffer.wrap(bytes, 0, count * 2).order(order).asShortBuffer().get(samples, 0, count);
                session.push(samples, 0, count, rate, channels);
                print(session);
            }
            session.flush();
            print(session);
        }
    }

    /** Reads until bytes is full or the stream ends; returns the count read. */
    private static int readFully(AudioInputStream in, byte[] bytes) throws IOException {
        int total = 0;
        while (total < bytes.length) {
            int n = in.read(bytes, total, bytes.length - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Prints everything poll returns (poll drains the queue). */
    private static void print(Session session) throws VoiceflowException {
        for (Segment s : session.poll()) {
            System.out.print(String.format(Locale.ROOT, "%.3f %.3f %d%n", s.start, s.end, s.speaker));
        }
    }
}
