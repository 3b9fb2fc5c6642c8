package djlbridge;

import static org.junit.Assert.assertArrayEquals;
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
        return dataset(m, batch, steps, random, seed, 1000);
    }

    private static TimeMachineDataset dataset(
            NDManager m, int batch, int steps, boolean random, long seed, int maxTokens)
            throws Exception {
        TimeMachineDataset d = TimeMachineDataset.builder()
                .setManager(m)
                .setMaxTokens(maxTokens)
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
            List<int[][]> next = epoch(d, m); // at the second epoch's own offset
            int offset2 = d.getOffset();
            List<Integer> second = starts(next, corpus, batch, steps, offset2,
                    (corpus.length - offset2 - 1) / steps);
            assertEquals(d.getNumBatches(), next.size());
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

    /** The corpus positions (X tokens) one sequential epoch trains on, checking the layout. */
    private static boolean[] sequentialEpoch(TimeMachineDataset d, NDManager m, int batch, int steps)
            throws Exception {
        int[] corpus = d.getCorpus();
        List<int[][]> batches = epoch(d, m);
        int offset = d.getOffset(); // the epoch just read
        int rowLength = (corpus.length - offset - 1) / batch;
        assertEquals(rowLength / steps, batches.size());
        assertEquals(batches.size(), d.getNumBatches());
        boolean[] seen = new boolean[corpus.length];
        for (int b = 0; b < batches.size(); b++) {
            for (int r = 0; r < batch; r++) {
                for (int t = 0; t < steps; t++) {
                    int pos = offset + r * rowLength + b * steps + t;
                    assertEquals(corpus[pos], batches.get(b)[0][r * steps + t]);
                    assertEquals(corpus[pos + 1], batches.get(b)[1][r * steps + t]);
                    seen[pos] = true;
                }
            }
        }
        return seen;
    }

    private static int count(boolean[] seen) {
        int n = 0;
        for (boolean s : seen) {
            n += s ? 1 : 0;
        }
        return n;
    }

    @Test
    public void sequentialDrawsANewOffsetEveryEpoch() throws Exception {
        // D2L's seq_data_iter_sequential: corpus[random.randint(0, num_steps - 1):] every epoch.
        try (NDManager m = NDManager.newBaseManager()) {
            int batch = 4;
            int steps = 10;
            TimeMachineDataset d = dataset(m, batch, steps, false, 42);
            int first = d.getOffset();
            boolean[] once = sequentialEpoch(d, m, batch, steps);
            assertEquals(first, d.getOffset());
            boolean[] union = once.clone();
            List<Integer> offsets = new ArrayList<>();
            offsets.add(first);
            for (int e = 1; e < 6; e++) {
                boolean[] seen = sequentialEpoch(d, m, batch, steps);
                offsets.add(d.getOffset());
                for (int i = 0; i < seen.length; i++) {
                    union[i] |= seen[i];
                }
            }
            assertTrue("offsets " + offsets, new HashSet<>(offsets).size() > 1);
            assertNotEquals("consecutive epochs, offsets " + offsets, offsets.get(0), offsets.get(1));
            // One offset for all epochs trained on the same positions every epoch.
            assertTrue(count(union) + " of " + once.length + " positions over 6 epochs, " + count(once)
                    + " with one offset", count(union) > count(once));
        }
    }

    @Test
    public void replayingEpochsGivesTheSameLaterBatches() throws Exception {
        // TrainingSession.resume calls nextEpochBatches() once per finished epoch.
        for (boolean random : new boolean[] {false, true}) {
            try (NDManager m = NDManager.newBaseManager()) {
                TimeMachineDataset d = dataset(m, 3, 8, random, 7);
                List<String> offsets = new ArrayList<>();
                List<int[][]> third = null;
                for (int e = 0; e < 3; e++) {
                    third = epoch(d, m);
                    offsets.add(Integer.toString(d.getOffset()));
                }
                TimeMachineDataset resumed = dataset(m, 3, 8, random, 7);
                resumed.nextEpochBatches();
                resumed.nextEpochBatches();
                List<int[][]> replay = epoch(resumed, m);
                assertEquals(offsets.get(2), Integer.toString(resumed.getOffset()));
                assertEquals(third.size(), replay.size());
                for (int i = 0; i < third.size(); i++) {
                    assertArrayEquals(third.get(i)[0], replay.get(i)[0]);
                    assertArrayEquals(third.get(i)[1], replay.get(i)[1]);
                }
            }
        }
    }

    @Test
    public void tooSmallAtTheLargestOffsetIsRefused() throws Exception {
        int batch = 4;
        int steps = 10;
        for (boolean random : new boolean[] {false, true}) {
            for (long seed = 0; seed < 20; seed++) {
                try (NDManager m = NDManager.newBaseManager()) {
                    // One batch needs offset + 1 + batch * steps tokens: the worst offset is steps - 1.
                    TimeMachineDataset d = dataset(m, batch, steps, random, seed, batch * steps + steps);
                    for (int e = 0; e < 10; e++) {
                        assertEquals(1, epoch(d, m).size());
                    }
                    try {
                        dataset(m, batch, steps, random, seed, batch * steps + steps - 1);
                        fail("a corpus too small at offset " + (steps - 1) + " must be refused");
                    } catch (IllegalArgumentException e) {
                        assertTrue(e.getMessage(), e.getMessage().contains("too small for one batch"));
                    }
                }
            }
        }
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
