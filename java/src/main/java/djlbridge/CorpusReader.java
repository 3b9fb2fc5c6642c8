package djlbridge;

import ai.djl.util.Pair;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Reads and tokenizes the corpus for {@link TimeMachine#readTimeMachine}, {@link
 * TimeMachine#tokenize} and {@link TimeMachine#loadCorpusTimeMachine}: strict UTF-8, streamed in
 * chunks of 64 KiB, each line reduced as the text's {@code replaceAll("[^A-Za-z]+", "
 * ").strip().toLowerCase()}.
 */
final class CorpusReader {

    private CorpusReader() {}

    /** The body of {@link TimeMachine#readTimeMachine}: the cleaned lines. */
    static List<String> readLines(Path path) throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        boolean[] afterCr = {false};
        streamUtf8(path, chars -> {
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c == '\n' && afterCr[0]) {
                    afterCr[0] = false; // the \n of \r\n: the \r ended the line
                    continue;
                }
                afterCr[0] = c == '\r';
                if (c == '\n' || c == '\r') {
                    lines.add(clean(line));
                    line.setLength(0);
                } else {
                    line.append(c);
                }
            }
        });
        if (line.length() > 0) {
            lines.add(clean(line));
        }
        return lines;
    }

    /**
     * Reduces one line as the text's {@code replaceAll("[^A-Za-z]+", " ").strip().toLowerCase()}:
     * every run of non-letters becomes one space, none at either end, letters in lower case.
     */
    private static String clean(CharSequence raw) {
        StringBuilder out = new StringBuilder(raw.length());
        boolean gap = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (isAsciiLetter(c)) {
                if (gap && out.length() > 0) {
                    out.append(' ');
                }
                out.append(toLower(c));
                gap = false;
            } else {
                gap = true;
            }
        }
        return out.toString();
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static char toLower(char c) {
        return c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    /** The body of {@link TimeMachine#tokenize}: "char" or "word" tokens, one array per line. */
    static String[][] tokenize(List<String> lines, String token) {
        String[][] out = new String[lines.size()][];
        for (int i = 0; i < out.length; i++) {
            String line = lines.get(i);
            if ("char".equals(token)) {
                out[i] = new String[line.length()];
                for (int j = 0; j < line.length(); j++) {
                    out[i][j] = String.valueOf(line.charAt(j));
                }
            } else if ("word".equals(token)) {
                out[i] = line.isEmpty() ? new String[0] : line.split(" ");
            } else {
                throw new IllegalArgumentException("unknown token type '" + token + "': use char or word");
            }
        }
        return out;
    }

    /** The body of {@link TimeMachine#loadCorpusTimeMachine}: one pass, O(maxTokens) memory. */
    static Pair<List<Integer>, Vocab> load(Path path, int maxTokens) throws IOException {
        int[] counts = new int[Character.MAX_VALUE + 1];
        StringBuilder firstSeen = new StringBuilder(); // the characters in order of first appearance
        StringBuilder kept = new StringBuilder(maxTokens > 0 ? Math.min(maxTokens, 1 << 20) : 1 << 16);
        // The state of the line being read: lines are joined without a separator, and a run of
        // non-letters is one space, except at either end of a line.
        boolean[] state = {false, false}; // {the line has a letter, a gap follows it}
        streamUtf8(path, chars -> {
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c == '\n' || c == '\r') {
                    state[0] = false;
                    state[1] = false;
                } else if (isAsciiLetter(c)) {
                    if (state[1]) {
                        emit(' ', counts, firstSeen, kept, maxTokens);
                    }
                    emit(toLower(c), counts, firstSeen, kept, maxTokens);
                    state[0] = true;
                    state[1] = false;
                } else if (state[0]) {
                    state[1] = true;
                }
            }
        });
        LinkedHashMap<String, Integer> counter = new LinkedHashMap<>();
        for (int i = 0; i < firstSeen.length(); i++) {
            char c = firstSeen.charAt(i);
            counter.put(String.valueOf(c), counts[c]);
        }
        Vocab vocab = Vocab.fromCounts(counter, 0, new String[0]);
        List<Integer> corpus = new ArrayList<>(kept.length());
        for (int i = 0; i < kept.length(); i++) {
            corpus.add(vocab.getIdx(String.valueOf(kept.charAt(i))));
        }
        return new Pair<>(corpus, vocab);
    }

    private static void emit(char c, int[] counts, StringBuilder firstSeen, StringBuilder kept,
            int maxTokens) {
        if (counts[c] == Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "the corpus has more than 2147483647 '" + c + "' characters: pass a smaller text");
        }
        if (counts[c]++ == 0) {
            firstSeen.append(c);
        }
        if (maxTokens <= 0 || kept.length() < maxTokens) {
            kept.append(c);
        }
    }

    /** Receives the characters of a file, one decoded chunk at a time. */
    private interface CharChunks {
        void accept(CharBuffer chars);
    }

    /**
     * Decodes a file as strict UTF-8 in chunks of 64 KiB (memory O(1)), handing each chunk to
     * {@code sink}. A byte that is not UTF-8 is an {@link IOException} naming the byte and its
     * offset, the message djl-bridge shows (Python checks the same before the JVM starts).
     */
    private static void streamUtf8(Path path, CharChunks sink) throws IOException {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        CharBuffer out = CharBuffer.allocate(1 << 16);
        long consumed = 0; // the file offset of in's index 0
        InputStream stream;
        try {
            stream = Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(
                    path.toString(), null, "corpus file not found: pass --data PATH or set DJL_BRIDGE_DATA");
        }
        try (InputStream is = stream) {
            boolean eof = false;
            while (true) {
                int n = is.read(in.array(), in.position(), in.remaining());
                if (n < 0) {
                    eof = true;
                } else {
                    in.position(in.position() + n);
                }
                in.flip();
                CoderResult r;
                do {
                    r = decoder.decode(in, out, eof);
                    if (r.isError()) {
                        throw notUtf8(path, in.get(in.position()), consumed + in.position());
                    }
                    out.flip();
                    sink.accept(out);
                    out.clear();
                } while (r.isOverflow());
                consumed += in.position();
                in.compact();
                if (eof) {
                    decoder.flush(out); // UTF-8 keeps no state to flush; for form's sake
                    out.flip();
                    sink.accept(out);
                    return;
                }
            }
        }
    }

    private static IOException notUtf8(Path path, byte bad, long offset) {
        return new IOException(
                String.format(
                        "%s is not UTF-8 text (invalid byte 0x%02x at offset %d): save it as UTF-8,"
                                + " or pass the D2L timemachine.txt",
                        path, bad & 0xff, offset));
    }
}
