import ai.voiceflow.Audio;
import ai.voiceflow.Model;
import ai.voiceflow.Segment;
import ai.voiceflow.Session;
import ai.voiceflow.VoiceflowException;
import java.util.Locale;

/**
 * Prints the speaker turns of an audio file (any format {@link Audio#read(String)} decodes:
 * WAV, FLAC, MP3, Ogg Vorbis, AIFF, ...), one "start end speaker" line each, exactly like the
 * C, C++, Python and Go examples: default models, 1 thread, default config, 100 ms pushes of
 * the decoded samples with a poll after each, then flush and drain.
 *
 * <pre>make example-java FILE=examples/data/conversation.mp3</pre>
 */
public final class DiarizeFile {
    private DiarizeFile() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DiarizeFile <audio file>");
            System.exit(2);
        }
        try {
            run(args[0]);
        } catch (VoiceflowException e) {
            System.err.println(e.getMessage()); // names the file when it cannot be read
            System.exit(1);
        }
    }

    private static void run(String path) throws VoiceflowException {
        Audio audio = Audio.read(path);
        float[] samples = audio.samples();
        int rate = audio.sampleRate();
        int channels = audio.channels();
        try (Model model = Model.open(); // default models, 1 thread
                Session session = model.newSession()) { // default configuration
            int chunk = Math.max(1, rate / 10) * channels; // 100 ms of interleaved frames
            for (int pos = 0; pos < samples.length; pos += chunk) {
                session.push(samples, pos, Math.min(chunk, samples.length - pos), rate, channels);
                print(session);
            }
            session.flush();
            print(session);
        }
    }

    /** Prints everything poll returns (poll drains the queue). */
    private static void print(Session session) throws VoiceflowException {
        for (Segment s : session.poll()) {
            System.out.print(String.format(Locale.ROOT, "%.3f %.3f %d%n", s.start, s.end, s.speaker));
        }
    }
}
