package ai.voiceflow;

/**
 * One final speaker turn. Speaker ids are dense from 0 in order of appearance in the
 * stream; times are seconds from the start of the stream. Immutable.
 */
public final class Segment {
    /** Speaker id (an unsigned 32-bit value in C; ids stay far below 2^31). */
    public final int speaker;
    /** Start, in seconds. */
    public final double start;
    /** End, in seconds. */
    public final double end;

    public Segment(int speaker, double start, double end) {
        this.speaker = speaker;
        this.start = start;
        this.end = end;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Segment)) {
            return false;
        }
        Segment s = (Segment) o;
        return speaker == s.speaker
                && Double.compare(start, s.start) == 0
                && Double.compare(end, s.end) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * speaker + Double.hashCode(start)) + Double.hashCode(end);
    }

    @Override
    public String toString() {
        return "Segment[speaker=" + speaker + ", start=" + start + ", end=" + end + "]";
    }
}
