package djlbridge;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A training run that can stop, be saved and go on later: the dataset, the model and the epoch
 * count of one {@link TrainSettings}, trained one epoch at a time with {@link
 * TimeMachine#trainEpochCh8}.
 *
 * <p>After every finished epoch the parameters are kept in memory ("last good"), so that a run
 * stopped mid-epoch (by a {@link TrainingControl}) or diverging (a non-finite loss) can still
 * write the parameters of its last finished epoch with {@link #writeLastGood}.
 *
 * <p>Parameter files: the concise model uses DJL's own block format ({@code
 * Block.saveParameters}/{@code loadParameters}); the scratch model uses DJL's NPZ encoding of its
 * parameter list ({@code NDList.encode(os, Encoding.NPZ)}), which {@code numpy.load} reads without
 * pickle. Resuming restores the parameters and replays the dataset's random source (one shuffle per
 * finished epoch), so a resumed run sees the same batches as one that never stopped.
 */
public final class TrainingSession implements AutoCloseable {

    /** The parameter file name of the concise model (DJL block format). */
    public static final String CONCISE_PARAMS = "model.params";

    /** The parameter file name of the scratch model (NPZ). */
    public static final String SCRATCH_PARAMS = "params.npz";

    private final TrainSettings settings;
    private final Device device;
    private final NDManager manager;
    private final TimeMachineDataset dataset;
    private final Vocab vocab;
    private final LanguageModel net;
    private final Loss loss = new SoftmaxCrossEntropyLoss();
    private final List<double[]> history = new ArrayList<>();
    private int epochsDone;
    private byte[] lastGood;
    private int lastGoodEpoch = -1;

    private TrainingSession(
            TrainSettings settings,
            Device device,
            NDManager manager,
            TimeMachineDataset dataset,
            Vocab vocab,
            LanguageModel net) {
        this.settings = settings;
        this.device = device;
        this.manager = manager;
        this.dataset = dataset;
        this.vocab = vocab;
        this.net = net;
    }

    /**
     * Opens a session for training: picks the device, seeds DJL, reads the corpus and creates the
     * model, as {@link Ch8Runner#run} does.
     *
     * @param s the settings
     * @param control the stop flag checked before every batch, or null
     * @return the session (close it)
     * @throws IOException if the corpus cannot be read
     * @throws TranslateException if the dataset cannot be prepared
     */
    public static TrainingSession open(TrainSettings s, TrainingControl control)
            throws IOException, TranslateException {
        Device device = TimeMachine.pickDevice(s.getDevice());
        Engine.getInstance().setRandomSeed((int) s.getSeed());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            TimeMachineDataset dataset =
                    TimeMachineDataset.builder()
                            .setManager(manager)
                            .setMaxTokens(s.getMaxTokens())
                            .setSampling(s.getBatchSize(), s.isRandomIter())
                            .setSteps(s.getNumSteps())
                            .setDataPath(s.getDataPath())
                            .optSeed(s.getSeed())
                            .build();
            dataset.prepare();
            dataset.setControl(control);
            Vocab vocab = dataset.getVocab();
            LanguageModel net = Ch8Runner.newModel(s, vocab.length(), device, manager);
            TrainingSession session = new TrainingSession(s, device, manager, dataset, vocab, net);
            session.keepLastGood();
            return session;
        } catch (IOException | TranslateException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Opens a session that only predicts: the model of {@code s} with the parameters of a
     * checkpoint and its vocabulary; no corpus is read.
     *
     * @param s the settings the checkpoint was trained with
     * @param idxToToken the vocabulary, index to token, {@code <unk>} first
     * @param params the parameter file ({@link #CONCISE_PARAMS} or {@link #SCRATCH_PARAMS})
     * @return the session (close it)
     * @throws IOException if the parameters cannot be read or do not fit the model
     */
    public static TrainingSession forPrediction(TrainSettings s, List<String> idxToToken, Path params)
            throws IOException {
        if (idxToToken.isEmpty() || !"<unk>".equals(idxToToken.get(0))) {
            throw new IllegalArgumentException("the checkpoint vocabulary must start with <unk>");
        }
        // Vocab sorts by count with a stable sort: equal counts keep this order.
        String[][] tokens = {idxToToken.subList(1, idxToToken.size()).toArray(new String[0])};
        Vocab vocab = new Vocab(tokens, 0, new String[0]);
        Device device = TimeMachine.pickDevice(s.getDevice());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            LanguageModel net = Ch8Runner.newModel(s, vocab.length(), device, manager);
            TrainingSession session = new TrainingSession(s, device, manager, null, vocab, net);
            session.loadParameters(params);
            return session;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Continues from a checkpoint: loads its parameters and replays the dataset's random source
     * over the {@code epochsDone} epochs already trained.
     *
     * @param params the parameter file of the checkpoint
     * @param done the epochs the checkpoint finished
     * @param perplexity their perplexities
     * @param tokensPerSec their speeds
     * @throws IOException if the file cannot be read or does not fit the model
     */
    public void resume(Path params, int done, double[] perplexity, double[] tokensPerSec)
            throws IOException {
        if (epochsDone != 0) {
            throw new IllegalStateException("resume() must come before any training");
        }
        if (perplexity.length != done || tokensPerSec.length != done) {
            throw new IllegalArgumentException(
                    "the checkpoint lists " + perplexity.length + " perplexities for " + done + " epochs");
        }
        loadParameters(params);
        for (int i = 0; i < done; i++) {
            dataset.nextEpochBatches(); // one shuffle per epoch in random mode
            history.add(new double[] {perplexity[i], tokensPerSec[i]});
        }
        epochsDone = done;
        keepLastGood();
    }

    /**
     * Trains until {@code untilEpoch} epochs are done (counted over resumes), calling {@code
     * listener} after each. A non-finite loss throws {@link TrainingDivergedException}; a stop
     * request throws {@link TrainingInterruptedException}; both leave the last good parameters for
     * {@link #writeLastGood}.
     *
     * @param untilEpoch the total number of epochs
     * @param listener receives (epoch, perplexity, tokens/s); false stops; may be null
     * @return the epochs done
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public int train(int untilEpoch, EpochListener listener) throws IOException, TranslateException {
        if (dataset == null) {
            throw new IllegalStateException("this session only predicts");
        }
        while (epochsDone < untilEpoch) {
            int epoch = epochsDone + 1;
            Pair<Double, Double> r =
                    TimeMachine.trainEpochCh8(
                            net, dataset, loss, settings.getLr(), settings.getClipTheta(), device,
                            settings.isRandomIter(), manager);
            TrainingDivergedException.check(
                    epoch, r.getKey(),
                    history.isEmpty() ? Double.NaN : history.get(history.size() - 1)[0],
                    settings.getLr());
            history.add(new double[] {r.getKey(), r.getValue()});
            epochsDone = epoch;
            keepLastGood();
            if (listener != null && !listener.onEpoch(epoch, r.getKey(), r.getValue())) {
                break;
            }
        }
        return epochsDone;
    }

    /**
     * Writes the parameters of the last finished epoch (or of the start) to {@code file}.
     *
     * @param file the file to create or replace
     * @return the epoch those parameters belong to (0: untrained)
     * @throws IOException if the file cannot be written
     */
    public int writeLastGood(Path file) throws IOException {
        Files.write(file, lastGood);
        return lastGoodEpoch;
    }

    /**
     * Returns the epoch of the parameters {@link #writeLastGood} writes.
     *
     * @return the epoch, 0 before training
     */
    public int getLastGoodEpoch() {
        return lastGoodEpoch;
    }

    /**
     * Generates text greedily after {@code prefix}, as {@link TimeMachine#predictCh8}.
     *
     * @param prefix the prefix (its characters must be in the vocabulary)
     * @param numPreds the number of characters to generate
     * @return the prefix followed by the generated characters
     */
    public String predict(String prefix, int numPreds) {
        return TimeMachine.predictCh8(prefix, numPreds, net, vocab, device, manager);
    }

    /**
     * Returns the vocabulary, index to token.
     *
     * @return the tokens, {@code <unk>} first
     */
    public List<String> getIdxToToken() {
        return new ArrayList<>(vocab.getIdxToToken());
    }

    /**
     * Returns the number of epochs finished, counted over resumes.
     *
     * @return the epochs done
     */
    public int getEpochsDone() {
        return epochsDone;
    }

    /**
     * Returns the perplexity of every finished epoch, counted over resumes.
     *
     * @return one value per epoch
     */
    public double[] getPerplexity() {
        return history.stream().mapToDouble(h -> h[0]).toArray();
    }

    /**
     * Returns the speed of every finished epoch, counted over resumes.
     *
     * @return tokens per second, one value per epoch
     */
    public double[] getEpochTokensPerSec() {
        return history.stream().mapToDouble(h -> h[1]).toArray();
    }

    /**
     * Returns the device, as DJL names it.
     *
     * @return e.g. "cpu()"
     */
    public String getDeviceName() {
        return device.toString();
    }

    /**
     * Returns the parameter file name for an implementation.
     *
     * @param impl "scratch" or "concise"
     * @return {@link #SCRATCH_PARAMS} or {@link #CONCISE_PARAMS}
     */
    public static String paramsFileName(String impl) {
        return "concise".equals(impl) ? CONCISE_PARAMS : SCRATCH_PARAMS;
    }

    private void keepLastGood() {
        try {
            lastGood = encodeParameters();
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the parameters: " + e.getMessage(), e);
        }
        lastGoodEpoch = epochsDone;
    }

    private byte[] encodeParameters() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        if (net instanceof RNNModel) {
            try (DataOutputStream dos = new DataOutputStream(bos)) {
                ((RNNModel) net).saveParameters(dos);
            }
        } else {
            net.getParams().encode(bos, NDList.Encoding.NPZ);
        }
        return bos.toByteArray();
    }

    private void loadParameters(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String what = settings.getImpl() + " " + settings.getModel() + " with " + settings.getNumHiddens()
                + " hidden units and " + vocab.length() + " tokens";
        if (net instanceof RNNModel) {
            RNNModel block = (RNNModel) net;
            NDManager owner = block.getParameters().valueAt(0).getArray().getManager();
            List<NDArray> old = new ArrayList<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                old.add(p.getValue().getArray());
            }
            try (DataInputStream dis = new DataInputStream(new ByteArrayInputStream(bytes))) {
                block.loadParameters(owner, dis);
            } catch (MalformedModelException | IOException | RuntimeException e) {
                throw new IOException(file + " does not hold the parameters of a " + what + ": "
                        + e.getMessage(), e);
            }
            int i = 0;
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray a = p.getValue().getArray();
                if (!a.getShape().equals(old.get(i++).getShape())) {
                    throw new IOException(file + " does not hold the parameters of a " + what
                            + " (" + p.getKey() + " has shape " + a.getShape() + ")");
                }
                // Parameter.load does not attach a gradient; training needs one.
                a.setRequiresGradient(true);
            }
            old.forEach(NDArray::close);
        } else {
            NDList params = net.getParams();
            try (NDManager tmp = manager.newSubManager()) {
                NDList loaded;
                try {
                    loaded = NDList.decode(tmp, bytes);
                } catch (RuntimeException e) {
                    throw new IOException(file + " is not a DJL NPZ parameter file: " + e.getMessage(), e);
                }
                if (loaded.size() != params.size()) {
                    throw new IOException(file + " holds " + loaded.size() + " arrays, a " + what
                            + " has " + params.size());
                }
                for (int i = 0; i < params.size(); i++) {
                    if (!loaded.get(i).getShape().equals(params.get(i).getShape())) {
                        throw new IOException(file + " does not hold the parameters of a " + what
                                + " (array " + i + " has shape " + loaded.get(i).getShape() + ", expected "
                                + params.get(i).getShape() + ")");
                    }
                }
                for (int i = 0; i < params.size(); i++) {
                    params.get(i).set(loaded.get(i).toByteBuffer());
                }
            }
        }
    }

    /**
     * Returns the settings of this session.
     *
     * @return the settings
     */
    public TrainSettings getSettings() {
        return settings;
    }

    /**
     * Returns the batches per epoch (0 for a prediction session).
     *
     * @return the number of batches
     */
    public int getNumBatches() {
        return dataset == null ? 0 : dataset.getNumBatches();
    }

    /** Frees the model and every array of the session. */
    @Override
    public void close() {
        net.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "TrainingSession" + Arrays.asList(settings.getModel(), settings.getImpl(), epochsDone);
    }
}
