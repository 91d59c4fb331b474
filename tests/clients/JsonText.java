// JSON text for the Java clients of this folder (DeadLetterChunked, TxnDriver), which print
// their results as JSON without a JSON library on the distribution's class path. Compiled
// with each of them: tests/common/mod.rs java_classpath passes this file to javac too.
final class JsonText {
    private JsonText() {}

    /** `s` as a JSON string literal (quotes, backslashes and control characters escaped); null as null. */
    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
