package djlbridge.seq2seq;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The settings of one sequence-to-sequence run (D2L 9.7), with the text's defaults: embed 32,
 * hidden 32, 2 GRU layers, dropout 0.1, batch 64, 10 steps, the first 600 examples, Adam at lr
 * 0.005, 300 epochs, gradient clipping at 1, seed 0. Build them with {@link #builder()}.
 */
public final class Seq2SeqSettings {

    private final int embedSize;
    private final int numHiddens;
    private final int numLayers;
    private final float dropout;
    private final int batchSize;
    private final int numSteps;
    private final int numExamples;
    private final float lr;
    private final int numEpochs;
    private final Path dataPath;
    private final long seed;
    private final String device;

    private Seq2SeqSettings(Builder b) {
        embedSize = b.embedSize;
        numHiddens = b.numHiddens;
        numLayers = b.numLayers;
        dropout = b.dropout;
        batchSize = b.batchSize;
        numSteps = b.numSteps;
        numExamples = b.numExamples;
        lr = b.lr;
        numEpochs = b.numEpochs;
        dataPath = b.dataPath;
        seed = b.seed;
        device = b.device;
    }

    /**
     * Returns a builder holding the text's defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the embedding size of encoder and decoder */
    public int getEmbedSize() {
        return embedSize;
    }

    /** @return the GRU's hidden size */
    public int getNumHiddens() {
        return numHiddens;
    }

    /** @return the number of GRU layers */
    public int getNumLayers() {
        return numLayers;
    }

    /** @return the dropout between GRU layers */
    public float getDropout() {
        return dropout;
    }

    /** @return the batch size */
    public int getBatchSize() {
        return batchSize;
    }

    /** @return the time steps of every sentence (truncated or padded) */
    public int getNumSteps() {
        return numSteps;
    }

    /** @return the sentence pairs read (0: all; the text's {@code tokenizeNMT} reads one more) */
    public int getNumExamples() {
        return numExamples;
    }

    /** @return Adam's learning rate */
    public float getLr() {
        return lr;
    }

    /** @return the number of epochs */
    public int getNumEpochs() {
        return numEpochs;
    }

    /** @return fra.txt or fra-eng.zip */
    public Path getDataPath() {
        return dataPath;
    }

    /** @return the seed of DJL's engine and of the initial values */
    public long getSeed() {
        return seed;
    }

    /** @return "auto", "cpu" or "gpu" */
    public String getDevice() {
        return device;
    }

    /**
     * Describes the model in words, for messages.
     *
     * @param srcVocab the source vocabulary's size
     * @param tgtVocab the target vocabulary's size
     * @return e.g. "seq2seq GRU encoder-decoder (embed 32, hidden 32, 2 layers) with 184 source
     *     and 201 target tokens"
     */
    public String describeModel(int srcVocab, int tgtVocab) {
        return String.format(Locale.ROOT,
                "seq2seq GRU encoder-decoder (embed %d, hidden %d, %d layers) with %d source and "
                        + "%d target tokens", embedSize, numHiddens, numLayers, srcVocab, tgtVocab);
    }

    /** Builds {@link Seq2SeqSettings}; every setter checks its value. */
    public static final class Builder {

        private int embedSize = 32;
        private int numHiddens = 32;
        private int numLayers = 2;
        private float dropout = 0.1f;
        private int batchSize = 64;
        private int numSteps = 10;
        private int numExamples = 600;
        private float lr = 0.005f;
        private int numEpochs = 300;
        private Path dataPath;
        private long seed;
        private String device = "auto";

        private Builder() {}

        private static int positive(String flag, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(flag + " must be a whole number > 0, got "
                        + value);
            }
            return value;
        }

        /**
         * Sets the embedding size.
         *
         * @param v the size (> 0)
         * @return this builder
         */
        public Builder setEmbedSize(int v) {
            embedSize = positive("--embed", v);
            return this;
        }

        /**
         * Sets the GRU's hidden size.
         *
         * @param v the size (> 0)
         * @return this builder
         */
        public Builder setNumHiddens(int v) {
            numHiddens = positive("--hidden", v);
            return this;
        }

        /**
         * Sets the number of GRU layers.
         *
         * @param v the layers (> 0)
         * @return this builder
         */
        public Builder setNumLayers(int v) {
            numLayers = positive("--layers", v);
            return this;
        }

        /**
         * Sets the dropout between GRU layers.
         *
         * @param v the rate in [0, 1)
         * @return this builder
         */
        public Builder setDropout(float v) {
            if (!(v >= 0 && v < 1)) {
                throw new IllegalArgumentException("--dropout must be in [0, 1), got " + v);
            }
            dropout = v;
            return this;
        }

        /**
         * Sets the batch size.
         *
         * @param v the size (> 0)
         * @return this builder
         */
        public Builder setBatchSize(int v) {
            batchSize = positive("--batch-size", v);
            return this;
        }

        /**
         * Sets the time steps.
         *
         * @param v the steps (> 0)
         * @return this builder
         */
        public Builder setNumSteps(int v) {
            numSteps = positive("--num-steps", v);
            return this;
        }

        /**
         * Sets how many sentence pairs are read.
         *
         * @param v the count (> 0)
         * @return this builder
         */
        public Builder setNumExamples(int v) {
            numExamples = positive("--num-examples", v);
            return this;
        }

        /**
         * Sets Adam's learning rate.
         *
         * @param v the rate (finite, > 0)
         * @return this builder
         */
        public Builder setLr(float v) {
            if (!(v > 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("--lr must be a finite number > 0, got " + v);
            }
            lr = v;
            return this;
        }

        /**
         * Sets the number of epochs.
         *
         * @param v the epochs (> 0)
         * @return this builder
         */
        public Builder setNumEpochs(int v) {
            numEpochs = positive("--epochs", v);
            return this;
        }

        /**
         * Sets the data file.
         *
         * @param v fra.txt or fra-eng.zip
         * @return this builder
         */
        public Builder setDataPath(String v) {
            dataPath = Paths.get(v);
            return this;
        }

        /**
         * Sets the seed.
         *
         * @param v the seed of DJL's engine and of the initial values
         * @return this builder
         */
        public Builder setSeed(long v) {
            seed = v;
            return this;
        }

        /**
         * Sets the device.
         *
         * @param v "auto", "cpu" or "gpu"
         * @return this builder
         */
        public Builder setDevice(String v) {
            if (!"auto".equals(v) && !"cpu".equals(v) && !"gpu".equals(v)) {
                throw new IllegalArgumentException("--device must be auto, cpu or gpu, got " + v);
            }
            device = v;
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings
         */
        public Seq2SeqSettings build() {
            return new Seq2SeqSettings(this);
        }
    }
}
