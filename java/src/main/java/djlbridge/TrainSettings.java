package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Everything one training run needs, with the Java text's defaults: GRU, scratch, 500 epochs,
 * lr 1, clipping 1, 256 hidden units in one layer, one direction, batch 32, 35 steps, 10000
 * tokens, sequential sampling. The defaults and the checks are {@code settings.json}'s, which
 * Python reads too ({@link SettingsSpec}).
 */
public final class TrainSettings {

    private final ModelKind model;
    private final String impl;
    private final int numEpochs;
    private final float lr;
    private final float clipTheta;
    private final int numHiddens;
    private final int numLayers;
    private final boolean bidirectional;
    private final int batchSize;
    private final int numSteps;
    private final int maxTokens;
    private final boolean randomIter;
    private final Path dataPath;
    private final long seed;
    private final String device;
    private final boolean hybridize;

    private TrainSettings(Builder b) {
        model = b.kind;
        impl = b.impl;
        numEpochs = b.numEpochs;
        lr = b.lr;
        clipTheta = b.clipTheta;
        numHiddens = b.numHiddens;
        numLayers = b.numLayers;
        bidirectional = b.bidirectional;
        batchSize = b.batchSize;
        numSteps = b.numSteps;
        maxTokens = b.maxTokens;
        randomIter = b.randomIter;
        dataPath = b.dataPath;
        seed = b.seed;
        device = b.device;
        hybridize = b.hybridize;
    }

    /**
     * Creates a builder with the text's defaults.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return "gru", "lstm" or "rnn" */
    public String getModel() {
        return model.getName();
    }

    /** @return the kind of model */
    public ModelKind getModelKind() {
        return model;
    }

    /** @return "scratch" or "concise" */
    public String getImpl() {
        return impl;
    }

    /** @return the number of epochs */
    public int getNumEpochs() {
        return numEpochs;
    }

    /** @return the learning rate */
    public float getLr() {
        return lr;
    }

    /** @return the gradient clipping threshold */
    public float getClipTheta() {
        return clipTheta;
    }

    /** @return the hidden size */
    public int getNumHiddens() {
        return numHiddens;
    }

    /** @return the number of stacked recurrent layers */
    public int getNumLayers() {
        return numLayers;
    }

    /** @return whether the recurrent layers also run backwards in time (concise models only) */
    public boolean isBidirectional() {
        return bidirectional;
    }

    /** @return the batch size */
    public int getBatchSize() {
        return batchSize;
    }

    /** @return the number of time steps */
    public int getNumSteps() {
        return numSteps;
    }

    /** @return the corpus token limit */
    public int getMaxTokens() {
        return maxTokens;
    }

    /** @return whether sampling is random (else sequential) */
    public boolean isRandomIter() {
        return randomIter;
    }

    /** @return the corpus file; null when none was set (a session that only predicts) */
    public Path getDataPath() {
        return dataPath;
    }

    /** @return the seed of DJL's engine and of the dataset */
    public long getSeed() {
        return seed;
    }

    /** @return "auto", "cpu" or "gpu" */
    public String getDevice() {
        return device;
    }

    /** @return whether the scratch model runs as one cached MXNet graph (the default) */
    public boolean isHybridize() {
        return hybridize;
    }

    /**
     * Builds the dataset these settings describe; call {@code prepare()} on it before use. The
     * settings must name a corpus ({@link Builder#setDataPath}).
     *
     * @param manager the manager of the dataset
     * @return the dataset
     */
    public TimeMachineDataset newDataset(NDManager manager) {
        return TimeMachineDataset.builder()
                .setManager(manager)
                .setMaxTokens(maxTokens)
                .setSampling(batchSize, randomIter)
                .setSteps(numSteps)
                .setDataPath(dataPath)
                .optSeed(seed)
                .build();
    }

    /**
     * Creates the model these settings name, initialized: the concise {@link RNNModel} or the
     * scratch {@link RNNModelScratch}, hybridized or not.
     *
     * @param vocabSize the vocabulary size
     * @param device the device
     * @param manager the parent manager
     * @return the model
     */
    public LanguageModel newModel(int vocabSize, Device device, NDManager manager) {
        if ("concise".equals(impl)) {
            return RNNModel.of(model, vocabSize, numHiddens, numLayers, bidirectional)
                    .initialize(manager, device);
        }
        return RNNModelScratch.of(model, vocabSize, numHiddens, numLayers, device, manager, hybridize);
    }

    /**
     * Describes the model in words, for messages.
     *
     * @param vocabSize the vocabulary size
     * @return e.g. "scratch gru with 256 hidden units and 28 tokens", "concise lstm with 2
     *     bidirectional layers of 256 hidden units and 28 tokens"
     */
    public String describeModel(int vocabSize) {
        return TrainSettingsText.describeModel(this, vocabSize);
    }

    /**
     * Returns the settings as JSON, with the names of Python's {@code TrainConfig}.
     *
     * @return the JSON object
     */
    public JsonObject toJsonObject() {
        return TrainSettingsText.toJsonObject(this);
    }

    /** The builder of {@link TrainSettings}. */
    public static final class Builder {
        private static final SettingsSpec SPEC = SettingsSpec.get();

        String model = SPEC.getDefault("model").getAsString();
        ModelKind kind; // the model's kind, found by build()
        String impl = SPEC.getDefault("impl").getAsString();
        int numEpochs = SPEC.getDefault("epochs").getAsInt();
        float lr = SPEC.getDefault("lr").getAsFloat();
        float clipTheta = SPEC.getDefault("clip").getAsFloat();
        int numHiddens = SPEC.getDefault("hidden").getAsInt();
        int numLayers = SPEC.getDefault("layers").getAsInt();
        boolean bidirectional = SPEC.getDefault("bidirectional").getAsBoolean();
        int batchSize = SPEC.getDefault("batch_size").getAsInt();
        int numSteps = SPEC.getDefault("num_steps").getAsInt();
        int maxTokens = SPEC.getDefault("max_tokens").getAsInt();
        boolean randomIter = SPEC.getDefault("random_iter").getAsBoolean();
        Path dataPath;
        long seed = SPEC.getDefault("seed").getAsLong();
        String device = SPEC.getDefault("device").getAsString();
        boolean hybridize = SPEC.getDefault("hybridize").getAsBoolean();

        Builder() {}

        /**
         * @param model "gru", "lstm" or "rnn"
         * @return this builder
         */
        public Builder setModel(String model) {
            this.model = model;
            return this;
        }

        /**
         * @param model the kind of model
         * @return this builder
         */
        public Builder setModel(ModelKind model) {
            return setModel(model.getName());
        }

        /**
         * @param impl "scratch" or "concise"
         * @return this builder
         */
        public Builder setImpl(String impl) {
            this.impl = impl;
            return this;
        }

        /**
         * @param numEpochs the number of epochs
         * @return this builder
         */
        public Builder setNumEpochs(int numEpochs) {
            this.numEpochs = numEpochs;
            return this;
        }

        /**
         * @param lr the learning rate
         * @return this builder
         */
        public Builder setLr(float lr) {
            this.lr = lr;
            return this;
        }

        /**
         * @param clipTheta the gradient clipping threshold
         * @return this builder
         */
        public Builder setClipTheta(float clipTheta) {
            this.clipTheta = clipTheta;
            return this;
        }

        /**
         * @param numHiddens the hidden size
         * @return this builder
         */
        public Builder setNumHiddens(int numHiddens) {
            this.numHiddens = numHiddens;
            return this;
        }

        /**
         * @param numLayers the number of stacked recurrent layers (D2L 9.3; default 1)
         * @return this builder
         */
        public Builder setNumLayers(int numLayers) {
            this.numLayers = numLayers;
            return this;
        }

        /**
         * @param bidirectional whether the recurrent layers also run backwards in time (D2L 9.4;
         *     the concise models only; default false)
         * @return this builder
         */
        public Builder setBidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return this;
        }

        /**
         * @param batchSize the batch size
         * @return this builder
         */
        public Builder setBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param numSteps the number of time steps
         * @return this builder
         */
        public Builder setNumSteps(int numSteps) {
            this.numSteps = numSteps;
            return this;
        }

        /**
         * @param maxTokens the corpus token limit
         * @return this builder
         */
        public Builder setMaxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /**
         * @param randomIter whether to sample randomly
         * @return this builder
         */
        public Builder setRandomIter(boolean randomIter) {
            this.randomIter = randomIter;
            return this;
        }

        /**
         * @param dataPath the corpus file; null for none (a session that only predicts reads no
         *     corpus)
         * @return this builder
         */
        public Builder setDataPath(String dataPath) {
            this.dataPath = dataPath == null ? null : Paths.get(dataPath);
            return this;
        }

        /**
         * @param seed the seed
         * @return this builder
         */
        public Builder setSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param device "auto", "cpu" or "gpu"
         * @return this builder
         */
        public Builder setDevice(String device) {
            this.device = device;
            return this;
        }

        /**
         * @param hybridize whether the scratch model runs as one cached MXNet graph (default
         *     true; false: the text's op-by-op cells)
         * @return this builder
         */
        public Builder setHybridize(boolean hybridize) {
            this.hybridize = hybridize;
            return this;
        }

        /**
         * Checks the settings and builds them.
         *
         * @return the settings
         */
        public TrainSettings build() {
            SPEC.check("model", model);
            SPEC.check("impl", impl);
            SPEC.check("epochs", numEpochs);
            SPEC.check("lr", lr);
            SPEC.check("clip", clipTheta);
            SPEC.check("hidden", numHiddens);
            SPEC.check("layers", numLayers);
            check(!bidirectional || "concise".equals(impl),
                    "--bidirectional needs --impl concise: the scratch cells run one direction");
            SPEC.check("batch_size", batchSize);
            SPEC.check("num_steps", numSteps);
            SPEC.check("max_tokens", maxTokens);
            SPEC.check("device", device);
            kind = ModelKind.of(model);
            return new TrainSettings(this);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
