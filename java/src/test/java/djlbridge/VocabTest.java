package djlbridge;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.util.Pair;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class VocabTest {

    /**
     * Returns the corpus the tests read: the {@code djlbridge.corpus} system property that the
     * Gradle build sets, else the shared data folder beside the checkout.
     *
     * @return the path of timemachine.txt
     */
    public static Path corpus() {
        return Paths.get(System.getProperty("djlbridge.corpus", "../shared/data/timemachine.txt"));
    }

    @Test
    public void ordersByFrequencyThenFirstAppearance() {
        String[][] tokens = {{"b", "a", "c"}, {"a", "c", "d"}, {"a"}};
        Vocab v = new Vocab(tokens, 0, new String[0]);
        // a:3, then b:1/c:2 -> c (2), then b and d (1 each, b seen first)
        assertEquals(Arrays.asList("<unk>", "a", "c", "b", "d"), v.getIdxToToken());
        assertEquals(0, v.getIdx("zzz"));
        assertArrayEquals(new int[] {1, 2, 0}, v.getIdxs(new String[] {"a", "c", "?"}));
    }

    @Test
    public void rebuildsFromItsIndexToTokenList() throws IOException {
        Vocab v = TimeMachine.loadCorpusTimeMachine(corpus(), 10000).getValue();
        Vocab back = Vocab.ofIdxToToken(v.getIdxToToken());
        assertEquals(v.getIdxToToken(), back.getIdxToToken());
        for (String token : v.getIdxToToken()) {
            assertEquals(token, v.getIdx(token), back.getIdx(token));
        }
        try {
            Vocab.ofIdxToToken(Arrays.asList("a", "<unk>"));
            fail("a list without <unk> first was accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("the checkpoint vocabulary must start with <unk>", e.getMessage());
        }
    }

    @Test
    public void minFreqAndReservedTokens() {
        String[][] tokens = {{"x", "x", "y"}};
        Vocab v = new Vocab(tokens, 2, new String[] {"<pad>"});
        assertEquals(Arrays.asList("<unk>", "<pad>", "x"), v.getIdxToToken());
    }

    @Test
    public void timeMachineCharacterVocab() throws Exception {
        List<String> lines = TimeMachine.readTimeMachine(corpus());
        for (String line : lines) {
            assertEquals(line, line.replaceAll("[^a-z ]", ""));
        }
        String[][] tokens = TimeMachine.tokenize(lines, "char");
        Vocab v = new Vocab(tokens, 0, new String[0]);
        assertEquals(28, v.length());
        assertEquals(" ", v.toToken(1)); // space is the most frequent character
        assertEquals("e", v.toToken(2));
        List<Integer> corpus = TimeMachine.loadCorpusTimeMachine(corpus(), 10000).getKey();
        assertEquals(10000, corpus.size());
        assertEquals("the time machine by h g wells",
                String.join("", v.toTokens(corpus.subList(0, 29))));
    }

    /** The text's reading, as it was before streaming: the whole file, then the tokens, then cut. */
    private static Pair<List<Integer>, Vocab> wholeFileCorpus(Path path, int maxTokens)
            throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            lines.add(line.replaceAll("[^A-Za-z]+", " ").strip().toLowerCase());
        }
        String[][] tokens = TimeMachine.tokenize(lines, "char");
        Vocab vocab = new Vocab(tokens, 0, new String[0]);
        List<Integer> corpus = new ArrayList<>();
        for (String[] line : tokens) {
            for (String t : line) {
                corpus.add(vocab.getIdx(t));
            }
        }
        if (maxTokens > 0 && corpus.size() > maxTokens) {
            corpus = new ArrayList<>(corpus.subList(0, maxTokens));
        }
        return new Pair<>(corpus, vocab);
    }

    private static void assertSameCorpus(Path path, int maxTokens) throws IOException {
        Pair<List<Integer>, Vocab> want = wholeFileCorpus(path, maxTokens);
        Pair<List<Integer>, Vocab> got = TimeMachine.loadCorpusTimeMachine(path, maxTokens);
        assertEquals(want.getValue().getIdxToToken(), got.getValue().getIdxToToken());
        assertEquals(want.getValue().getTokenFreqs(), got.getValue().getTokenFreqs());
        assertEquals(want.getKey(), got.getKey());
    }

    @Test
    public void streamingReadGivesTheWholeFileReadsCorpus() throws Exception {
        for (int maxTokens : new int[] {10000, 0, 1, 2000}) {
            assertSameCorpus(corpus(), maxTokens);
        }
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(corpus(), StandardCharsets.UTF_8)) {
            lines.add(line.replaceAll("[^A-Za-z]+", " ").strip().toLowerCase());
        }
        assertEquals(lines, TimeMachine.readTimeMachine(corpus()));
    }

    @Test
    public void streamingReadHandlesLineEndsAndEdges() throws Exception {
        Path dir = Files.createTempDirectory("vocabtest");
        try {
            String[] texts = {
                "", "\n", "a", "ab\r\ncd\r\n\r\n", "x\ry\n\rz", "  Hello,  World!! \n--Yes--",
                "tie: ba ab\n", "caf\u00e9 na\u00efve \ud83d\ude00 end\r", "A\n\nB\r\rC\r\n"
            };
            for (String text : texts) {
                Path f = dir.resolve("t.txt");
                Files.write(f, text.getBytes(StandardCharsets.UTF_8));
                assertSameCorpus(f, 0);
                assertSameCorpus(f, 3);
                List<String> lines = new ArrayList<>();
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    lines.add(line.replaceAll("[^A-Za-z]+", " ").strip().toLowerCase());
                }
                assertEquals(text, lines, TimeMachine.readTimeMachine(f));
                Files.delete(f);
            }
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    public void largeFileKeepsOnlyMaxTokensButCountsAll() throws Exception {
        Path f = Files.createTempFile("vocabtest", ".txt");
        try {
            byte[] line = "Aab, b\n".getBytes(StandardCharsets.UTF_8); // tokens a a b ' ' b
            int repeats = 2_000_000; // 14 MB
            byte[] block = new byte[line.length * 1000];
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(line, 0, block, i * line.length, line.length);
            }
            try (OutputStream out = Files.newOutputStream(f)) {
                for (int i = 0; i < repeats / 1000; i++) {
                    out.write(block);
                }
            }
            Pair<List<Integer>, Vocab> cv = TimeMachine.loadCorpusTimeMachine(f, 7);
            Vocab v = cv.getValue();
            assertEquals(Arrays.asList("<unk>", "a", "b", " "), v.getIdxToToken()); // a and b tie: first seen first
            assertEquals(2 * repeats, (int) v.getTokenFreqs().get(0).getValue());
            assertEquals(2 * repeats, (int) v.getTokenFreqs().get(1).getValue());
            assertEquals(repeats, (int) v.getTokenFreqs().get(2).getValue());
            // lines join without a separator: "aab b" + "aab b" ...
            assertEquals(Arrays.asList(1, 1, 2, 3, 2, 1, 1), cv.getKey());
        } finally {
            Files.delete(f);
        }
    }

    @Test
    public void notUtf8IsAClearError() throws Exception {
        Path f = Files.createTempFile("vocabtest", ".txt");
        try {
            byte[][] bad = {
                {(byte) 0xff, (byte) 0xfe, ' ', 'a', 'b', 'c'},
                {'c', 'a', 'f', (byte) 0xe9, '\n'}, // Latin-1 e-acute
                {'a', 'b', (byte) 0xe2, (byte) 0x82} // cut inside a sequence at the end
            };
            long[] offsets = {0, 3, 2};
            int[] bytes = {0xff, 0xe9, 0xe2};
            for (int i = 0; i < bad.length; i++) {
                Files.write(f, bad[i]);
                for (int maxTokens : new int[] {0, 1}) {
                    try {
                        TimeMachine.loadCorpusTimeMachine(f, maxTokens);
                        fail("expected an error");
                    } catch (IOException e) {
                        String want = String.format(
                                "%s is not UTF-8 text (invalid byte 0x%02x at offset %d): save it as"
                                        + " UTF-8, or pass the D2L timemachine.txt",
                                f, bytes[i], offsets[i]);
                        assertEquals(want, e.getMessage());
                    }
                }
                try {
                    TimeMachine.readTimeMachine(f);
                    fail("expected an error");
                } catch (IOException e) {
                    assertTrue(e.getMessage(), e.getMessage().contains("is not UTF-8 text"));
                }
            }
            // Past the first 64 KiB chunk, after a two-byte character cut by the chunk boundary.
            byte[] far = new byte[65535 + 2 + 1000 + 1];
            Arrays.fill(far, (byte) 'a');
            far[65535] = (byte) 0xc3;
            far[65536] = (byte) 0xa9;
            far[far.length - 1] = (byte) 0x80;
            Files.write(f, far);
            try {
                TimeMachine.loadCorpusTimeMachine(f, 10);
                fail("expected an error");
            } catch (IOException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("(invalid byte 0x80 at offset 66537)"));
            }
            far[far.length - 1] = (byte) 'b';
            Files.write(f, far);
            assertEquals(10, TimeMachine.loadCorpusTimeMachine(f, 10).getKey().size());
        } finally {
            Files.delete(f);
        }
    }
}
