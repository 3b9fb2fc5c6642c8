package djlbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Where the subsequences of a {@link TimeMachineDataset} start in the corpus, epoch by epoch: D2L's
 * sequential partition (batch rows continue each other) or its random one (subsequences side by
 * side, shuffled). Every epoch starts at a new offset in [0, numSteps); all randomness comes from
 * one {@link Random}: per epoch the offset ({@code nextInt(numSteps)}) and then, in random mode,
 * the shuffle ({@code Collections.shuffle(indices, random)}).
 */
final class Partition {

    private final int corpusLength;
    private final int batchSize;
    private final int numSteps;
    private final boolean random;
    private final Random rng;

    private int offset;
    private int numBatches;
    private int rowLength;
    private boolean offsetUsed;

    /**
     * Lays out the first epoch, after checking that the corpus holds one batch at the largest
     * offset.
     *
     * @throws IllegalArgumentException when the corpus is too small for one batch
     */
    Partition(int corpusLength, int batchSize, int numSteps, boolean random, long seed) {
        this.corpusLength = corpusLength;
        this.batchSize = batchSize;
        this.numSteps = numSteps;
        this.random = random;
        this.rng = new Random(seed);
        // Every epoch draws an offset in [0, numSteps): the largest leaves the fewest tokens.
        setOffset(numSteps - 1);
        if (numBatches < 1) {
            throw new IllegalArgumentException(
                    String.format(
                            "corpus of %d tokens is too small for one batch of %d x %d steps:"
                                    + " lower --batch-size or --num-steps, or use more of the"
                                    + " text (--max-tokens) or a longer one",
                            corpusLength, batchSize, numSteps));
        }
        setOffset(rng.nextInt(numSteps)); // the first epoch's
    }

    /** Lays the partition out from {@code newOffset}: the number of batches and the row length. */
    private void setOffset(int newOffset) {
        offset = newOffset;
        if (random) {
            int numSubseqs = (corpusLength - offset - 1) / numSteps;
            numBatches = numSubseqs / batchSize;
            rowLength = 0;
        } else {
            int numTokens = ((corpusLength - offset - 1) / batchSize) * batchSize;
            rowLength = numTokens / batchSize;
            numBatches = rowLength / numSteps;
        }
    }

    /** The corpus position of the first token of record {@code index} in the current epoch. */
    int startOf(long index) {
        if (random) {
            return offset + (int) index * numSteps;
        }
        int b = (int) (index / batchSize);
        int row = (int) (index % batchSize);
        return offset + row * rowLength + b * numSteps;
    }

    /** The number of records of the current epoch. */
    long size() {
        if (random) {
            return (long) (corpusLength - offset - 1) / numSteps;
        }
        return (long) numBatches * batchSize;
    }

    /**
     * Starts the next epoch (the first uses the offset drawn by the constructor) and returns its
     * batches as record indices.
     */
    List<List<Long>> nextEpoch() {
        if (offsetUsed) {
            setOffset(rng.nextInt(numSteps));
        }
        offsetUsed = true;
        List<Long> order = new ArrayList<>();
        for (long i = 0; i < size(); i++) {
            order.add(i);
        }
        if (random) {
            Collections.shuffle(order, rng);
        }
        List<List<Long>> batches = new ArrayList<>();
        for (int b = 0; b < numBatches; b++) {
            batches.add(order.subList(b * batchSize, (b + 1) * batchSize));
        }
        return batches;
    }

    /** The offset of the current epoch. */
    int getOffset() {
        return offset;
    }

    /** The number of batches of the current epoch. */
    int getNumBatches() {
        return numBatches;
    }
}
