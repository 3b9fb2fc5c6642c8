package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Batch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.Test;

public class TimeMachineDatasetTest {

    private static TimeMachineDataset dataset(NDManager m, int batch, int steps, boolean random, long seed)
            throws Exception {
        TimeMachineDataset d = TimeMachineDataset.builder()
                .setManager(m)
                .setMaxTokens(1000)
                .setSampling(batch, random)
                .setSteps(steps)
                .setDataPath(VocabTest.corpus())
                .optSeed(seed)
                .build();
        d.prepare();
        return d;
    }

    private static List<int[][]> epoch(TimeMachineDataset d, NDManager m) throws Exception {
        List<int[][]> out = new ArrayList<>();
        for (Batch b : d.getData(m)) {
            try (Batch batch = b) {
                NDArray x = batch.getData().head();
                NDArray y = batch.getLabels().head();
                int rows = (int) x.getShape().get(0);
                int cols = (int) x.getShape().get(1);
                int[] xs = x.toIntArray();
                int[] ys = y.toIntArray();
                int[][] pair = new int[2][];
                pair[0] = xs;
                pair[1] = ys;
                assertEquals(rows * cols, xs.length);
                out.add(pair);
            }
        }
        return out;
    }

    @Test
    public void sequentialBatchesContinueEachOther() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            int batch = 4;
            int steps = 7; // not 35: the text's hard-coded step count is gone
            TimeMachineDataset d = dataset(m, batch, steps, false, 1);
            int[] corpus = d.getCorpus();
            int offset = d.getOffset();
            assertTrue(offset >= 0 && offset < steps);
            int rowLength = ((corpus.length - offset - 1) / batch * batch) / batch;
            assertEquals(rowLength / steps, d.getNumBatches());
            List<int[][]> batches = epoch(d, m);
            assertEquals(d.getNumBatches(), batches.size());
            for (int b = 0; b < batches.size(); b++) {
                int[] x = batches.get(b)[0];
                int[] y = batches.get(b)[1];
                for (int r = 0; r < batch; r++) {
                    for (int t = 0; t < steps; t++) {
                        int pos = offset + r * rowLength + b * steps + t;
                        assertEquals(corpus[pos], x[r * steps + t]);
                        assertEquals(corpus[pos + 1], y[r * steps + t]);
                    }
                }
            }
        }
    }

    @Test
    public void randomBatchesAreShuffledSubsequences() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            int batch = 5;
            int steps = 9;
            TimeMachineDataset d = dataset(m, batch, steps, true, 3);
            int[] corpus = d.getCorpus();
            int offset = d.getOffset();
            int numSubseqs = (corpus.length - offset - 1) / steps;
            assertEquals(numSubseqs / batch, d.getNumBatches());
            List<int[][]> first = epoch(d, m);
            List<Integer> order = starts(first, corpus, batch, steps, offset, numSubseqs);
            assertEquals(first.size() * batch, new HashSet<>(order).size());
            List<Integer> sorted = new ArrayList<>(order);
            sorted.sort(null);
            assertNotEquals("random mode must shuffle", sorted, order);
            List<Integer> second = starts(epoch(d, m), corpus, batch, steps, offset, numSubseqs);
            assertNotEquals("each epoch draws a new shuffle", order, second);
            // same seed, same batches
            TimeMachineDataset again = dataset(m, batch, steps, true, 3);
            List<int[][]> replay = epoch(again, m);
            for (int i = 0; i < first.size(); i++) {
                assertEquals(java.util.Arrays.toString(first.get(i)[0]),
                        java.util.Arrays.toString(replay.get(i)[0]));
            }
        }
    }

    private static List<Integer> starts(
            List<int[][]> batches, int[] corpus, int batch, int steps, int offset, int n) {
        List<Integer> order = new ArrayList<>();
        for (int[][] b : batches) {
            for (int r = 0; r < batch; r++) {
                int start = findStart(corpus, b[0], r, steps, offset, n);
                order.add(start);
                for (int t = 0; t < steps; t++) {
                    assertEquals(corpus[start + t + 1], b[1][r * steps + t]);
                }
            }
        }
        return order;
    }

    private static int findStart(int[] corpus, int[] x, int row, int steps, int offset, int n) {
        for (int j = 0; j < n; j++) {
            int s = offset + j * steps;
            boolean ok = true;
            for (int t = 0; t < steps && ok; t++) {
                ok = corpus[s + t] == x[row * steps + t];
            }
            if (ok) {
                return s;
            }
        }
        fail("row " + row + " is not a subsequence at offset + k * steps");
        return -1;
    }

    @Test
    public void tooSmallCorpusIsAClearError() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            dataset(m, 64, 35, false, 1);
            fail("expected an error");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("too small for one batch"));
        }
    }
}
