package djlbridge;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.dataset.Sampler;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * The Time Machine as (X, Y) subsequences of {@code numSteps} character indices, Y shifted by one
 * token, as the Java text's {@code TimeMachineDataset}. Unlike the text it honours {@code numSteps},
 * and {@code setSampling(batchSize, true)} gives D2L's random partition (subsequences at a random
 * offset, shuffled every epoch) while {@code false} gives the sequential one (batch rows continue
 * each other, so state can be carried between batches).
 *
 * <p>As D2L's {@code seq_data_iter_sequential} and {@code seq_data_iter_random}, every epoch starts
 * at a new random offset in [0, numSteps), so that over the epochs every token is trained on (the
 * Java text drew one offset for all epochs, so the tokens before it and the tail after the last
 * whole batch were never seen). The number of batches depends on the offset and may differ by one
 * between epochs; {@link #prepare} refuses a corpus too small for one batch at the largest offset.
 *
 * <p>All randomness comes from one {@link Random} seeded by {@link Builder#optSeed(long)}: per epoch,
 * the offset ({@code nextInt(numSteps)}) and then, in random mode, the shuffle ({@code
 * Collections.shuffle(indices, random)}); the partition's arithmetic is in a package-private
 * helper. The first epoch's offset is drawn by {@link #prepare}; each later epoch draws its own in
 * {@link #nextEpochBatches}, so replaying that method once per finished epoch (as a resumed run
 * does) reproduces the batches of the later epochs.
 */
public final class TimeMachineDataset extends RandomAccessDataset {

    private final NDManager manager;
    private final int numSteps;
    private final int maxTokens;
    private final int batchSize;
    private final boolean random;
    private final Path dataPath;
    private final long seed;

    private Vocab vocab;
    private int[] corpus;
    private Partition partition;

    private TimeMachineDataset(Builder builder) {
        super(builder);
        this.manager = builder.manager;
        this.numSteps = builder.numSteps;
        this.maxTokens = builder.maxTokens;
        this.batchSize = builder.batchSize;
        this.random = builder.random;
        this.dataPath = builder.dataPath;
        this.seed = builder.seed;
        ((PartitionSampler) sampler).dataset = this;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Progress progress) throws IOException {
        if (partition != null) {
            return;
        }
        Pair<List<Integer>, Vocab> corpusVocab =
                TimeMachine.loadCorpusTimeMachine(dataPath, maxTokens);
        vocab = corpusVocab.getValue();
        List<Integer> c = corpusVocab.getKey();
        corpus = new int[c.size()];
        for (int i = 0; i < corpus.length; i++) {
            corpus[i] = c.get(i);
        }
        partition = new Partition(corpus.length, batchSize, numSteps, random, seed);
    }

    /**
     * Returns the start, in the corpus, of the subsequence of record {@code index}.
     *
     * @param index the record index
     * @return the corpus position of X's first token
     */
    public int startOf(long index) {
        return partition.startOf(index);
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager m, long index) {
        int start = startOf(index);
        int[] x = new int[numSteps];
        int[] y = new int[numSteps];
        System.arraycopy(corpus, start, x, 0, numSteps);
        System.arraycopy(corpus, start + 1, y, 0, numSteps);
        return new Record(new NDList(m.create(x)), new NDList(m.create(y)));
    }

    /**
     * Returns the batches of one epoch in the sampler's order. Each batch is built in one piece
     * (two arrays of shape (batch, steps) on a sub-manager of {@code manager}, freed when the
     * batch is closed) rather than record by record and stacked, which would cost two native
     * arrays per row.
     *
     * @param manager the manager the batches' sub-managers come from
     * @return the batches
     */
    @Override
    public Iterable<Batch> getData(NDManager manager) {
        return () -> new Iterator<Batch>() {
            private final Iterator<List<Long>> order = sampler.sample(TimeMachineDataset.this);
            private long progress;

            @Override
            public boolean hasNext() {
                return order.hasNext();
            }

            @Override
            public Batch next() {
                List<Long> indices = order.next();
                int n = indices.size();
                int[] x = new int[n * numSteps];
                int[] y = new int[n * numSteps];
                for (int i = 0; i < n; i++) {
                    int start = startOf(indices.get(i));
                    System.arraycopy(corpus, start, x, i * numSteps, numSteps);
                    System.arraycopy(corpus, start + 1, y, i * numSteps, numSteps);
                }
                NDManager bm = manager.newSubManager();
                Shape shape = new Shape(n, numSteps);
                progress += n;
                return new Batch(bm, new NDList(bm.create(x, shape)), new NDList(bm.create(y, shape)),
                        n, Batchifier.STACK, Batchifier.STACK, progress, availableSize(), indices);
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return partition.size();
    }

    /**
     * Starts the next epoch and returns its batches as record indices: draws the epoch's offset
     * (the first epoch uses the one {@link #prepare} drew) and, in random mode, its shuffle. The
     * records of the returned indices are those of this epoch's offset ({@link #getOffset()}).
     *
     * @return one list of {@code batchSize} record indices per batch
     */
    public List<List<Long>> nextEpochBatches() {
        if (partition == null) {
            throw new IllegalStateException("call prepare() before the first epoch");
        }
        return partition.nextEpoch();
    }

    /**
     * Returns the vocabulary (after {@link #prepare}).
     *
     * @return the vocabulary
     */
    public Vocab getVocab() {
        return vocab;
    }

    /**
     * Returns the corpus as vocabulary indices (after {@link #prepare}).
     *
     * @return a copy of the corpus
     */
    public int[] getCorpus() {
        return corpus.clone();
    }

    /**
     * Returns the random offset of the current epoch: the last one {@link #nextEpochBatches()}
     * started, or, before any, the first epoch's (drawn by {@link #prepare}).
     *
     * @return the offset, in [0, numSteps)
     */
    public int getOffset() {
        return partition == null ? 0 : partition.getOffset();
    }

    /**
     * Returns the seed of the dataset's random source.
     *
     * @return the seed
     */
    public long getSeed() {
        return seed;
    }

    /**
     * Returns the number of batches of the current epoch (see {@link #getOffset()}); it depends on
     * the epoch's offset and may differ by one between epochs.
     *
     * @return the number of batches
     */
    public int getNumBatches() {
        return partition == null ? 0 : partition.getNumBatches();
    }

    /**
     * Returns the number of time steps per subsequence.
     *
     * @return the number of steps
     */
    public int getNumSteps() {
        return numSteps;
    }

    /**
     * Returns the batch size.
     *
     * @return the batch size
     */
    public int getBatchSize() {
        return batchSize;
    }

    /**
     * Returns the manager given to the builder.
     *
     * @return the manager
     */
    public NDManager getManager() {
        return manager;
    }

    /** Feeds DJL's data iterator with {@link #nextEpochBatches()}. */
    private static final class PartitionSampler implements Sampler {
        private final int batchSize;
        private TimeMachineDataset dataset;

        PartitionSampler(int batchSize) {
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<List<Long>> sample(RandomAccessDataset ignored) {
            // The stop flag is checked by the trainer (TimeMachine.trainEpochCh8) before each batch.
            return dataset.nextEpochBatches().iterator();
        }

        @Override
        public int getBatchSize() {
            return batchSize;
        }
    }

    /** The builder of a {@link TimeMachineDataset}, with the Java text's setters. */
    public static final class Builder extends BaseBuilder<Builder> {

        NDManager manager;
        int numSteps = 35;
        int maxTokens = 10000;
        int batchSize = 32;
        boolean random;
        Path dataPath;
        long seed = new Random().nextLong();

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the manager, as the text.
         *
         * @param manager the manager
         * @return this builder
         */
        public Builder setManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Keeps only the first {@code maxTokens} tokens of the corpus (all when &lt;= 0).
         *
         * @param maxTokens the token limit
         * @return this builder
         */
        public Builder setMaxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * Sets the number of time steps per subsequence (the text hard-coded 35).
         *
         * @param steps the number of steps
         * @return this builder
         */
        public Builder setSteps(int steps) {
            this.numSteps = steps;
            return this;
        }

        /**
         * Sets the batch size and the partition: random (true) or sequential (false).
         *
         * @param batchSize the batch size
         * @param random whether to use D2L's random partition
         * @return this builder
         */
        @Override
        public Builder setSampling(int batchSize, boolean random) {
            this.batchSize = batchSize;
            this.random = random;
            return setSampling(new PartitionSampler(batchSize));
        }

        /**
         * Sets the corpus file (the text downloaded it; here the caller finds and verifies it).
         *
         * @param dataPath the path of timemachine.txt
         * @return this builder
         */
        public Builder setDataPath(Path dataPath) {
            this.dataPath = dataPath;
            return this;
        }

        /**
         * Sets the corpus file by name (handy from Python).
         *
         * @param dataPath the path of timemachine.txt
         * @return this builder
         */
        public Builder setDataPath(String dataPath) {
            return setDataPath(java.nio.file.Paths.get(dataPath));
        }

        /**
         * Seeds the offset and the shuffles, so that two runs see the same batches.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the dataset; call {@link TimeMachineDataset#prepare()} before use.
         *
         * @return the dataset
         */
        public TimeMachineDataset build() {
            if (dataPath == null) {
                throw new IllegalArgumentException("setDataPath(path to timemachine.txt) is required");
            }
            if (batchSize <= 0 || numSteps <= 0) {
                throw new IllegalArgumentException(
                        "batch size and steps must be positive, got " + batchSize + " and " + numSteps);
            }
            if (sampler == null) {
                setSampling(batchSize, random);
            }
            return new TimeMachineDataset(this);
        }
    }
}
