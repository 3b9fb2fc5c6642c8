package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import djlbridge.training.EpochResult;
import djlbridge.training.ParameterFiles;
import djlbridge.training.StepCheck;
import djlbridge.training.TrainingControl;
import djlbridge.training.TrainingSession;
import djlbridge.training.TrainingTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The language model of D2L 8.5-9.4 as a {@link TrainingTask}: the text's dataset, vocabulary and
 * model (scratch or concise), trained by {@link TimeMachine#trainEpochCh8} (softmax cross-entropy,
 * gradient clipping, SGD), measured by the perplexity, predicting with {@link
 * TimeMachine#predictCh8} from the text's {@link TimeMachine#PREFIXES}. The parameter file is
 * DJL's block format for the concise {@link RNNModel}, NPZ for the scratch model.
 *
 * <p>The static factories make the {@link TrainingSession} that trains it: {@link #open} from
 * {@link TrainSettings}, {@link #wrap} around the caller's model and dataset (the text's {@code
 * trainCh8}), {@link #forPrediction} from a checkpoint.
 */
public final class LanguageModelTask implements TrainingTask {

    /** The name of the language model's measure: the report's key. */
    public static final String MEASURE = "perplexity";

    private final TrainSettings settings;
    private final Device device;
    private final NDManager manager;
    private final TimeMachineDataset dataset;
    private final Vocab vocab;
    private final LanguageModel net;
    private final float lr;
    private final float clipTheta;
    private final boolean randomIter;
    private final boolean owner;
    private final Loss loss = new SoftmaxCrossEntropyLoss();

    private LanguageModelTask(TrainSettings settings, Device device, NDManager manager,
            TimeMachineDataset dataset, Vocab vocab, LanguageModel net, float lr, float clipTheta,
            boolean randomIter, boolean owner) {
        this.settings = settings;
        this.device = device;
        this.manager = manager;
        this.dataset = dataset;
        this.vocab = vocab;
        this.net = net;
        this.lr = lr;
        this.clipTheta = clipTheta;
        this.randomIter = randomIter;
        this.owner = owner;
    }

    /**
     * Opens a session for training: picks the device, seeds DJL, reads the corpus and creates the
     * model the settings name.
     *
     * @param s the settings
     * @param control the stop flag checked before every batch, or null
     * @return the session (close it)
     * @throws IOException if the corpus cannot be read
     * @throws TranslateException if the dataset cannot be prepared
     */
    public static TrainingSession open(TrainSettings s, TrainingControl control)
            throws IOException, TranslateException {
        return TrainingSession.open(s.getDevice(), s.getSeed(), (device, manager) -> {
            TimeMachineDataset dataset = s.newDataset(manager);
            dataset.prepare();
            Vocab vocab = dataset.getVocab();
            LanguageModel net = s.newModel(vocab.length(), device, manager);
            return new LanguageModelTask(s, device, manager, dataset, vocab, net, s.getLr(),
                    s.getClipTheta(), s.isRandomIter(), true);
        }, control);
    }

    /**
     * Wraps a model and dataset the caller made (as in the Java text) in a session that trains
     * them; closing it frees nothing of the caller's.
     *
     * @param net the model
     * @param dataset the prepared dataset
     * @param vocab the vocabulary predictions are decoded with
     * @param lr the learning rate
     * @param clipTheta the gradient clipping threshold
     * @param device the device
     * @param useRandomIter whether each batch starts from a fresh state
     * @param manager the manager the training arrays come from
     * @return the session
     */
    public static TrainingSession wrap(LanguageModel net, TimeMachineDataset dataset, Vocab vocab,
            float lr, float clipTheta, Device device, boolean useRandomIter, NDManager manager) {
        LanguageModelTask task = new LanguageModelTask(null, device, manager, dataset, vocab, net,
                lr, clipTheta, useRandomIter, false);
        return TrainingSession.wrap(task, device, manager, null);
    }

    /**
     * Opens a session that only predicts: the model of {@code s} with the parameters of a
     * checkpoint and its vocabulary; no corpus is read.
     *
     * @param s the settings the checkpoint was trained with
     * @param idxToToken the vocabulary, index to token, {@code <unk>} first
     * @param params the parameter file ({@link ParameterFiles#fileName})
     * @param control the stop flag checked before every generated character, or null
     * @return the session (close it)
     * @throws IOException if the parameters cannot be read or do not fit the model
     */
    public static TrainingSession forPrediction(
            TrainSettings s, List<String> idxToToken, Path params, TrainingControl control)
            throws IOException {
        return forPrediction(s, idxToToken, Files.readAllBytes(params), params.toString(), control);
    }

    /**
     * Opens a session that only predicts, from the bytes of a checkpoint's parameter file (read,
     * and verified, by the caller: nothing is opened by name here).
     *
     * @param s the settings the checkpoint was trained with
     * @param idxToToken the vocabulary, index to token, {@code <unk>} first
     * @param params the whole parameter file ({@link ParameterFiles#fileName})
     * @param source what the bytes are, for messages (the file's path)
     * @param control the stop flag checked before every generated character, or null
     * @return the session (close it)
     * @throws IOException if the parameters do not fit the model
     */
    public static TrainingSession forPrediction(TrainSettings s, List<String> idxToToken,
            byte[] params, String source, TrainingControl control) throws IOException {
        Vocab vocab = Vocab.ofIdxToToken(idxToToken);
        return TrainingSession.forPrediction(s.getDevice(), (device, manager) ->
                new LanguageModelTask(s, device, manager, null, vocab,
                        s.newModel(vocab.length(), device, manager), s.getLr(), s.getClipTheta(),
                        s.isRandomIter(), true), params, source, control);
    }

    /**
     * Encodes the model's parameters as the bytes of its parameter file: DJL's block format for
     * the concise {@link RNNModel}, NPZ for the others.
     *
     * @param net the model
     * @return the file's bytes
     */
    public static byte[] encode(LanguageModel net) {
        return ParameterFiles.encode(block(net), net.getParams());
    }

    private static RNNModel block(LanguageModel net) {
        return net instanceof RNNModel ? (RNNModel) net : null;
    }

    /** {@inheritDoc} */
    @Override
    public String getMeasureName() {
        return MEASURE;
    }

    /** {@inheritDoc} */
    @Override
    public float getLearningRate() {
        return lr;
    }

    /** {@inheritDoc} */
    @Override
    public String describeModel() {
        return settings == null
                ? net.getClass().getSimpleName() + " with " + net.getVocabSize() + " tokens"
                : settings.describeModel(vocab.length());
    }

    /** {@inheritDoc} */
    @Override
    public NDList getParameters() {
        return net.getParams();
    }

    /** {@inheritDoc} */
    @Override
    public byte[] encodeParameters(NDList values) {
        return ParameterFiles.encode(block(net), net.getParams(), values);
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(byte[] bytes, String source) throws IOException {
        ParameterFiles.load(block(net), net.getParams(), bytes, source, describeModel(), manager);
    }

    /** {@inheritDoc} */
    @Override
    public boolean canTrain() {
        return dataset != null;
    }

    /** One epoch of {@link TimeMachine#trainEpochCh8}: (perplexity, tokens per second). */
    @Override
    public EpochResult trainEpoch(StepCheck step) throws IOException, TranslateException {
        Pair<Double, Double> r = TimeMachine.trainEpochCh8(
                net, dataset, loss, lr, clipTheta, device, randomIter, manager, step);
        return new EpochResult(r.getKey(), r.getValue());
    }

    /** Draws the dataset's offset (and shuffle) of one epoch. */
    @Override
    public void skipEpoch() {
        dataset.nextEpochBatches();
    }

    /** Greedy generation after the prefix {@code input}, as {@link TimeMachine#predictCh8}. */
    @Override
    public String predict(String input, int length, StepCheck step) {
        return TimeMachine.predictCh8(input, length, net, vocab, device, manager, step);
    }

    /** The text's predictions: {@link TimeMachine#PREDICT_LENGTH} characters after each prefix. */
    @Override
    public Map<String, String> reportPredictions(BiFunction<String, Integer, String> predict) {
        Map<String, String> predictions = new LinkedHashMap<>();
        List<String> known = vocab.getIdxToToken();
        for (String prefix : TimeMachine.PREFIXES) {
            // a prefix with characters the corpus lacks would read as <unk>s: left out, as the
            // predict command refuses such a prefix
            if (prefix.chars().allMatch(c -> known.contains(String.valueOf((char) c)))) {
                predictions.put(prefix, predict.apply(prefix, TimeMachine.PREDICT_LENGTH));
            }
        }
        return predictions;
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
     * Returns the model being trained.
     *
     * @return the model
     */
    public LanguageModel getModel() {
        return net;
    }

    /** Frees the model of a task made by {@link #open}/{@link #forPrediction}. */
    @Override
    public void close() {
        if (owner) {
            net.close();
        }
    }

    @Override
    public String toString() {
        return "LanguageModelTask[" + describeModel() + "]";
    }
}
