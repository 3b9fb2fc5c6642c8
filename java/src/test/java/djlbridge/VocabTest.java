package djlbridge;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class VocabTest {

    static Path corpus() {
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
}
