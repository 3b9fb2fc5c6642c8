package djlbridge.seq2seq;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import djlbridge.training.EpochResult;
import djlbridge.training.ParameterFiles;
import djlbridge.training.StepCheck;
import djlbridge.training.TrainingControl;
import djlbridge.training.TrainingSession;
import djlbridge.training.TrainingTask;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Sequence to sequence (D2L 9.7) as a {@link TrainingTask}: the English-French data of {@link
 * NMT}, the GRU {@link EncoderDecoder}, one epoch of {@link Seq2Seq#trainEpochSeq2Seq} (masked
 * softmax cross-entropy, clipping at 1, Adam), measured by the book's loss, predicting with the
 * greedy {@link Seq2Seq#predictSeq2Seq}; the report's predictions are the text's four
 * translations with their BLEU (k 2). The parameter file is DJL's block format ({@link
 * ParameterFiles}).
 *
 * <p>{@link #open} makes the {@link TrainingSession} from {@link Seq2SeqSettings}; {@link #wrap}
 * around the caller's model and data (the text's {@code trainSeq2Seq}).
 */
public final class Seq2SeqTask implements TrainingTask {

    /** The name of the measure: the report's key. */
    public static final String MEASURE = "loss";
    /** The text's source sentences, translated after training. */
    public static final List<String> SOURCES =
            Collections.unmodifiableList(Arrays.asList(
                    "go .", "i lost .", "he's calm .", "i'm home ."));
    /** Their references, for BLEU. */
    public static final List<String> REFERENCES =
            Collections.unmodifiableList(Arrays.asList(
                    "va !", "j'ai perdu .", "il est calme .", "je suis chez moi ."));
    /** The longest n-gram of the text's BLEU. */
    public static final int BLEU_K = 2;

    private final Seq2SeqSettings settings;
    private final NDManager manager;
    private final ArrayDataset dataset;
    private final Vocab srcVocab;
    private final Vocab tgtVocab;
    private final EncoderDecoder net;
    private final Optimizer optimizer;
    private final float lr;
    private final int numSteps;

    private Seq2SeqTask(Seq2SeqSettings settings, NDManager manager, ArrayDataset dataset,
            Vocab srcVocab, Vocab tgtVocab, EncoderDecoder net, float lr, int numSteps) {
        this.settings = settings;
        this.manager = manager;
        this.dataset = dataset;
        this.srcVocab = srcVocab;
        this.tgtVocab = tgtVocab;
        this.net = net;
        this.lr = lr;
        this.numSteps = numSteps;
        this.optimizer = Seq2Seq.adam(lr);
    }

    /**
     * Opens a session for training: picks the device, seeds DJL, reads the data and builds and
     * initializes the model ({@link Seq2Seq#initialize} with the settings' seed).
     *
     * @param s the settings
     * @param control the stop flag checked before every batch, or null
     * @return the session (close it)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if the data cannot be prepared
     */
    public static TrainingSession open(Seq2SeqSettings s, TrainingControl control)
            throws IOException, TranslateException {
        if (s.getDataPath() == null) {
            throw new IllegalArgumentException("no data file: pass --data fra.txt");
        }
        return open(s, NMT.readDataNMT(s.getDataPath()), control);
    }

    /**
     * Opens a session for training on data already read: the bytes of {@code fra-eng.zip} or
     * {@code fra.txt} as the caller read (and verified) them; nothing is opened by name.
     *
     * @param s the settings (their data path is not used)
     * @param data the file's bytes
     * @param name what to call the data in messages (its path)
     * @param control the stop flag checked before every batch, or null
     * @return the session (close it)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if the data cannot be prepared
     */
    public static TrainingSession open(Seq2SeqSettings s, byte[] data, String name,
            TrainingControl control) throws IOException, TranslateException {
        return open(s, NMT.readDataNMT(new ByteArrayInputStream(data), name), control);
    }

    private static TrainingSession open(Seq2SeqSettings s, String rawText,
            TrainingControl control) throws IOException, TranslateException {
        return TrainingSession.open(s.getDevice(), s.getSeed(), (device, manager) -> {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> data = NMT.loadDataNMT(rawText,
                    s.getBatchSize(), s.getNumSteps(), s.getNumExamples(), manager);
            Vocab src = data.getValue().getKey();
            Vocab tgt = data.getValue().getValue();
            EncoderDecoder net = newModel(s, src, tgt);
            Seq2Seq.initialize(net, manager, s.getNumSteps(), s.getSeed());
            return new Seq2SeqTask(s, manager, data.getKey(), src, tgt, net, s.getLr(),
                    s.getNumSteps());
        }, control);
    }

    /**
     * Opens a session that only translates, from a checkpoint: the model of the settings with
     * these vocabularies, its parameters the bytes of a checkpoint's parameter file (read, and
     * verified, by the caller: nothing is opened by name here, and no data is read).
     *
     * @param s the settings the checkpoint was trained with (its data path is not used)
     * @param srcIdxToToken the source vocabulary, index to token, {@code <unk>} first
     * @param tgtIdxToToken the target vocabulary
     * @param params the whole parameter file (DJL's block format)
     * @param source what the bytes are, for messages (the file's path)
     * @param control the stop flag, or null
     * @return the session (close it)
     * @throws IOException if the parameters do not fit the model
     */
    public static TrainingSession forPrediction(Seq2SeqSettings s, List<String> srcIdxToToken,
            List<String> tgtIdxToToken, byte[] params, String source, TrainingControl control)
            throws IOException {
        Vocab src = Vocab.ofIdxToToken(srcIdxToToken);
        Vocab tgt = Vocab.ofIdxToToken(tgtIdxToToken);
        return TrainingSession.forPrediction(s.getDevice(), (device, manager) -> {
            EncoderDecoder net = newModel(s, src, tgt);
            Seq2Seq.initialize(net, manager, s.getNumSteps(), s.getSeed());
            return new Seq2SeqTask(s, manager, null, src, tgt, net, s.getLr(), s.getNumSteps());
        }, params, source, control);
    }

    private static EncoderDecoder newModel(Seq2SeqSettings s, Vocab src, Vocab tgt) {
        return new EncoderDecoder(
                new Seq2SeqEncoder(src.length(), s.getEmbedSize(), s.getNumHiddens(),
                        s.getNumLayers(), s.getDropout()),
                new Seq2SeqDecoder(tgt.length(), s.getEmbedSize(), s.getNumHiddens(),
                        s.getNumLayers(), s.getDropout()));
    }

    /**
     * Wraps an initialized model and the data the caller made (as in the Java text) in a session
     * that trains them with Adam at {@code lr}; closing it frees nothing of the caller's.
     *
     * @param net the model ({@link Seq2Seq#initialize}d)
     * @param dataset the data of {@link NMT#loadDataNMT}
     * @param srcVocab the source vocabulary (null: the session only trains, it cannot translate)
     * @param tgtVocab the target vocabulary
     * @param lr the learning rate
     * @param numSteps the time steps (for predictions)
     * @param manager the manager holding the parameters; its device is used
     * @return the session
     */
    public static TrainingSession wrap(EncoderDecoder net, ArrayDataset dataset, Vocab srcVocab,
            Vocab tgtVocab, float lr, int numSteps, NDManager manager) {
        Seq2SeqTask task = new Seq2SeqTask(null, manager, dataset, srcVocab, tgtVocab, net, lr,
                numSteps);
        return TrainingSession.wrap(task, manager.getDevice(), manager, null);
    }

    /**
     * One line of the report: a translation and its BLEU, as the book prints it.
     *
     * @param translation the translation
     * @param bleu its BLEU
     * @return e.g. "va !, bleu 1.000"
     */
    public static String reportLine(String translation, double bleu) {
        return String.format(Locale.ROOT, "%s, bleu %.3f", translation, bleu);
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
                ? "seq2seq encoder-decoder with " + tgtVocab.length() + " target tokens"
                : settings.describeModel(srcVocab.length(), tgtVocab.length());
    }

    /** {@inheritDoc} */
    @Override
    public NDList getParameters() {
        NDList params = new NDList();
        for (Parameter p : net.getParameters().values()) {
            params.add(p.getArray());
        }
        return params;
    }

    /**
     * The parameters in DJL's block format of the {@link EncoderDecoder} (NPZ cannot hold them:
     * encoder and decoder both name an array "embedding").
     */
    @Override
    public byte[] encodeParameters(NDList values) {
        return ParameterFiles.encode(net, getParameters(), values);
    }

    /** {@inheritDoc} */
    @Override
    public void loadParameters(byte[] bytes, String source) throws IOException {
        ParameterFiles.load(net, getParameters(), bytes, source, describeModel(), manager);
    }

    /** {@inheritDoc} */
    @Override
    public boolean canTrain() {
        return dataset != null;
    }

    /** One epoch of {@link Seq2Seq#trainEpochSeq2Seq}: (loss, target tokens per second). */
    @Override
    public EpochResult trainEpoch(StepCheck step) throws IOException, TranslateException {
        return Seq2Seq.trainEpochSeq2Seq(net, dataset, optimizer, new MaskedSoftmaxCELoss(),
                tgtVocab, manager, step);
    }

    /** Draws one epoch's permutation of the data (its batches are made and dropped). */
    @Override
    public void skipEpoch() {
        try (NDManager m = manager.newSubManager()) {
            for (Batch b : dataset.getData(m)) {
                b.close();
            }
        } catch (IOException | TranslateException e) {
            throw new IllegalStateException("the data could not be read again: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The greedy translation of {@code input} (at most the settings' time steps; {@code length}
     * is not used: the text translates up to {@code numSteps} tokens).
     */
    @Override
    public String predict(String input, int length, StepCheck step) {
        if (srcVocab == null) {
            throw new IllegalStateException("this session was given no source vocabulary");
        }
        step.check();
        return Seq2Seq.predictSeq2Seq(net, input, srcVocab, tgtVocab, numSteps, manager);
    }

    /** The text's four translations, each with its BLEU ({@link #reportLine}). */
    @Override
    public Map<String, String> reportPredictions(BiFunction<String, Integer, String> predict) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < SOURCES.size(); i++) {
            String translation = predict.apply(SOURCES.get(i), numSteps);
            out.put(SOURCES.get(i), reportLine(translation,
                    Seq2Seq.bleu(translation, REFERENCES.get(i), BLEU_K)));
        }
        return out;
    }

    /**
     * Returns the source vocabulary, index to token.
     *
     * @return the tokens
     */
    public List<String> getSrcIdxToToken() {
        return new ArrayList<>(srcVocab.getIdxToToken());
    }

    /**
     * Returns the target vocabulary, index to token.
     *
     * @return the tokens
     */
    public List<String> getTgtIdxToToken() {
        return new ArrayList<>(tgtVocab.getIdxToToken());
    }

    /**
     * Returns the time steps translations are made with.
     *
     * @return the steps
     */
    public int getNumSteps() {
        return numSteps;
    }

    /**
     * Returns the model being trained.
     *
     * @return the model
     */
    public EncoderDecoder getModel() {
        return net;
    }

    /** The model's arrays live on the session's (or the caller's) manager: nothing to free. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "Seq2SeqTask[" + describeModel() + "]";
    }
}
