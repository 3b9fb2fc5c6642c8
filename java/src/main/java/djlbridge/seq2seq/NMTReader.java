package djlbridge.seq2seq;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads the English-French file ({@code fra-eng.zip} or its {@code fra.txt}) and refuses, with one
 * message, what is not that file: empty, binary or not UTF-8, a line without a tab, a third
 * column, a last line cut off, another language pair.
 */
final class NMTReader {

    /** Files with at least this many lines are checked for the language of each column. */
    static final int LANGUAGE_CHECK_LINES = 100;
    /** The share of lines that must hold a common word of the column's language. */
    static final double LANGUAGE_SHARE = 0.2;

    private static final Set<String> ENGLISH =
            new HashSet<>(
                    Arrays.asList(
                            "i", "you", "he", "she", "we", "they", "is", "am", "are", "the", "a",
                            "an", "it", "to", "of", "not", "i'm", "it's", "don't", "go", "who",
                            "what", "and", "me", "my", "your", "this", "that", "was", "be"));
    private static final Set<String> FRENCH =
            new HashSet<>(
                    Arrays.asList(
                            "je", "tu", "il", "elle", "nous", "vous", "ils", "est", "suis", "es",
                            "sont", "le", "la", "les", "de", "un", "une", "ne", "pas", "c'est",
                            "j'ai", "va", "qui", "ça", "à", "et", "ai", "me", "mon", "du"));

    private NMTReader() {}

    /**
     * Reads the file from a stream: a zip holding {@code fra-eng/fra.txt}, or the text itself.
     *
     * @param in the stream, read to its end (not closed)
     * @param name what to call the source in messages
     * @return the text, checked
     * @throws IOException when the stream cannot be read
     * @throws IllegalArgumentException when the content is not the English-French file
     */
    static String read(InputStream in, String name) throws IOException {
        byte[] bytes = readAll(in);
        boolean zip =
                bytes.length >= 4
                        && bytes[0] == 'P'
                        && bytes[1] == 'K'
                        && bytes[2] == 3
                        && bytes[3] == 4;
        if (zip) {
            bytes = fromZip(bytes, name);
        }
        String text = decode(bytes, name);
        check(text, name);
        return text;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static byte[] fromZip(byte[] zip, String name) throws IOException {
        try (ZipInputStream z = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                if (e.getName().endsWith("fra.txt")) {
                    return readAll(z);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(
                    name + " is a damaged zip (" + e.getMessage()
                            + "): download fra-eng.zip again");
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(
                    name + " is a truncated zip: download fra-eng.zip again");
        }
        throw new IllegalArgumentException(
                name + " is a zip without fra-eng/fra.txt: pass fra-eng.zip or the extracted"
                        + " fra.txt");
    }

    private static String decode(byte[] bytes, String name) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException(
                    name + " is empty: expected fra.txt, lines of english<TAB>french");
        }
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(
                    name + " is not UTF-8 text (a binary file?): expected fra.txt, lines of"
                            + " english<TAB>french");
        }
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    name + " holds NUL bytes (a binary file?): expected fra.txt, lines of"
                            + " english<TAB>french");
        }
        return text;
    }

    /**
     * Checks the text's layout: two columns on every line, a final line end, English then
     * French.
     *
     * @param text the text as read
     * @param name what to call the source in messages
     */
    static void check(String text, String name) {
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException(
                    name + " does not end with a line end: the file looks truncated (fra.txt"
                            + " ends with one); download it again");
        }
        String[] lines = text.split("\n", -1);
        int count = lines.length - 1;
        int english = 0;
        int french = 0;
        for (int i = 0; i < count; i++) {
            String line = lines[i];
            int tabs = 0;
            for (int c = 0; c < line.length(); c++) {
                if (line.charAt(c) == '\t') {
                    tabs++;
                }
            }
            if (tabs == 0) {
                throw new IllegalArgumentException(
                        name + ": line " + (i + 1) + " has no tab: expected english<TAB>french"
                                + " on every line");
            }
            if (tabs > 1) {
                throw new IllegalArgumentException(
                        name + ": line " + (i + 1) + " has " + (tabs + 1) + " columns, not 2"
                                + " (newer copies add an attribution column, which the book's"
                                + " reader silently skips): keep the first two (cut -f1,2) or"
                                + " use the fra.txt of fra-eng.zip");
            }
            int tab = line.indexOf('\t');
            english += holdsWord(line.substring(0, tab), ENGLISH) ? 1 : 0;
            french += holdsWord(line.substring(tab + 1), FRENCH) ? 1 : 0;
        }
        if (count >= LANGUAGE_CHECK_LINES
                && (english < LANGUAGE_SHARE * count || french < LANGUAGE_SHARE * count)) {
            throw new IllegalArgumentException(
                    String.format(
                            Locale.ROOT,
                            "%s does not look like English<TAB>French: %.0f%% of first columns"
                                    + " hold a common English word and %.0f%% of second columns"
                                    + " a common French word (at least %.0f%% each expected);"
                                    + " another language pair or the columns swapped?",
                            name,
                            100.0 * english / count,
                            100.0 * french / count,
                            100 * LANGUAGE_SHARE));
        }
    }

    private static boolean holdsWord(String column, Set<String> words) {
        for (String w : column.toLowerCase(Locale.ROOT).split("[\\s.,!?\u00a0\u202f]+")) {
            if (words.contains(w)) {
                return true;
            }
        }
        return false;
    }
}
