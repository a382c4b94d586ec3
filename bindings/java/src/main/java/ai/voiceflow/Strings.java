package ai.voiceflow;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Java strings to the NUL-terminated UTF-8 that the C API takes. */
final class Strings {
    private Strings() {}

    /** null stays null (the library's "use the default"). */
    static byte[] toC(String s, String what) {
        if (s == null) {
            return null;
        }
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(utf8, utf8.length + 1);
    }
}
