package djlbridge;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import djlbridge.mxnet.ClipSgd;
import djlbridge.training.RunReport;
import djlbridge.training.EpochListener;
import djlbridge.training.StepCheck;
import djlbridge.training.StopRequestedException;
import djlbridge.training.TrainingSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java text's {@code TimeMachine}: reading and tokenizing the corpus (the streaming reader
 * behind these functions is a package-private helper), and the chapter 8 trainer ({@link
 * #trainCh8}, {@link #trainEpochCh8}, {@link #predictCh8}, {@link #gradClipping}, {@link #sgd}).
 *
 * <p>Fixes over the text: one {@link LanguageModel} interface instead of {@code Object net}; a
 * float learning rate and clipping threshold; a {@link RunReport} instead of printing; a
 * {@link EpochListener} per epoch; every array of a batch is freed with the batch; the loss sum and the
 * clipping norm stay on the device (one host read per epoch).
 */
public final class TimeMachine {

    /** The two prefixes the text predicts from after training. */
    public static final String[] PREFIXES = {"time traveller", "traveller"};

    /** The number of characters the text generates after each prefix. */
    public static final int PREDICT_LENGTH = 50;

    private TimeMachine() {}

    /**
     * Reads the corpus: each line reduced to lower-case letters and single spaces. Lines end at
     * {@code \n}, {@code \r} or {@code \r\n}, as {@code Files.readAllLines}.
     *
     * @param path the path of timemachine.txt
     * @return the cleaned lines
     * @throws IOException if the file cannot be read or is not UTF-8 text
     */
    public static List<String> readTimeMachine(Path path) throws IOException {
        return CorpusReader.readLines(path);
    }

    /**
     * Splits lines into tokens.
     *
     * @param lines the lines
     * @param token "char" or "word"
     * @return the tokens, one array per line
     */
    public static String[][] tokenize(List<String> lines, String token) {
        return CorpusReader.tokenize(lines, token);
    }

    /**
     * Loads the corpus as character indices and its vocabulary (built from the whole text, as the
     * text does), in one streaming pass: the vocabulary needs only the count of each character,
     * and only the first {@code maxTokens} characters are kept, so memory is O(maxTokens +
     * vocabulary) whatever the size of the file. The result is the text's: {@code tokenize(
     * readTimeMachine(path), "char")}, a {@link Vocab} of it, its indices, the first maxTokens.
     *
     * @param path the path of timemachine.txt
     * @param maxTokens keep only this many tokens (all when &lt;= 0)
     * @return the corpus indices and the vocabulary
     * @throws IOException if the file cannot be read or is not UTF-8 text
     */
    public static Pair<List<Integer>, Vocab> loadCorpusTimeMachine(Path path, int maxTokens)
            throws IOException {
        return CorpusReader.load(path, maxTokens);
    }

    /**
     * Trains a model, as the text's {@code trainCh8} (clipping at 1, no callback).
     *
     * @param net the model
     * @param dataset the prepared dataset
     * @param vocab the vocabulary
     * @param lr the learning rate
     * @param numEpochs the number of epochs
     * @param device the device
     * @param useRandomIter whether batches are random (a fresh state per batch)
     * @param manager the manager for the training arrays
     * @return the result
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public static RunReport trainCh8(
            LanguageModel net,
            TimeMachineDataset dataset,
            Vocab vocab,
            float lr,
            int numEpochs,
            Device device,
            boolean useRandomIter,
            NDManager manager)
            throws IOException, TranslateException {
        return trainCh8(net, dataset, vocab, lr, 1f, numEpochs, device, useRandomIter, manager, null);
    }

    /**
     * Trains a model and predicts from the two prefixes of the text: the text's signature over
     * {@link TrainingSession}, the one epoch loop, with the model as a {@link LanguageModelTask}.
     *
     * @param net the model
     * @param dataset the prepared dataset
     * @param vocab the vocabulary the predictions are decoded with
     * @param lr the learning rate
     * @param clipTheta the gradient clipping threshold
     * @param numEpochs the number of epochs
     * @param device the device
     * @param useRandomIter whether batches are random (a fresh state per batch)
     * @param manager the manager for the training arrays
     * @param listener receives each epoch, or null
     * @return the result
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public static RunReport trainCh8(
            LanguageModel net,
            TimeMachineDataset dataset,
            Vocab vocab,
            float lr,
            float clipTheta,
            int numEpochs,
            Device device,
            boolean useRandomIter,
            NDManager manager,
            EpochListener listener)
            throws IOException, TranslateException {
        try (TrainingSession session = LanguageModelTask.wrap(
                net, dataset, vocab, lr, clipTheta, device, useRandomIter, manager)) {
            session.train(numEpochs, EpochListener.asSessionListener(listener));
            return session.result();
        }
    }

    /**
     * Trains one epoch, as the text's {@code trainEpochCh8}.
     *
     * @param net the model
     * @param dataset the prepared dataset
     * @param loss the loss (softmax cross-entropy)
     * @param lr the learning rate
     * @param clipTheta the gradient clipping threshold
     * @param device the device
     * @param useRandomIter whether each batch starts from a fresh state
     * @param manager the parent manager; everything the epoch creates is freed before returning
     * @return (perplexity, tokens per second)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public static Pair<Double, Double> trainEpochCh8(
            LanguageModel net,
            TimeMachineDataset dataset,
            Loss loss,
            float lr,
            float clipTheta,
            Device device,
            boolean useRandomIter,
            NDManager manager)
            throws IOException, TranslateException {
        return trainEpochCh8(net, dataset, loss, lr, clipTheta, device, useRandomIter, manager, null);
    }

    /**
     * Trains one epoch, calling {@code control} before every batch (a session's: the stop flag and
     * the thread policy; or a {@code TrainingControl}).
     *
     * @param net the model
     * @param dataset the prepared dataset
     * @param loss the loss (softmax cross-entropy)
     * @param lr the learning rate
     * @param clipTheta the gradient clipping threshold
     * @param device the device
     * @param useRandomIter whether each batch starts from a fresh state
     * @param manager the parent manager; everything the epoch creates is freed before returning
     * @param control the stop flag, or null
     * @return (perplexity, tokens per second)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     * @throws StopRequestedException when a stop was requested (the epoch is dropped)
     */
    public static Pair<Double, Double> trainEpochCh8(
            LanguageModel net,
            TimeMachineDataset dataset,
            Loss loss,
            float lr,
            float clipTheta,
            Device device,
            boolean useRandomIter,
            NDManager manager,
            StepCheck control)
            throws IOException, TranslateException {
        long start = System.nanoTime();
        long tokens = 0;
        try (NDManager epochManager = manager.newSubManager(device)) {
            NDArray lossSum = epochManager.zeros(new Shape(), DataType.FLOAT32);
            NDList carried = null;
            // The batch before this one, closed only after this batch's work is queued: closing
            // a DJL array waits for the operators that use it, so closing each batch at its end
            // would idle MXNet's engine while Java prepares the next batch.
            Batch previous = null;
            try {
                for (Batch b : dataset.getData(epochManager)) {
                    try {
                        if (control != null) {
                            control.check();
                        }
                        carried = trainBatch(net, b, carried, loss, lr, clipTheta, device,
                                useRandomIter, lossSum, epochManager);
                    } catch (Throwable e) {
                        b.close();
                        throw e;
                    }
                    tokens += b.getLabels().head().size();
                    if (previous != null) {
                        previous.close();
                    }
                    previous = b;
                }
            } finally {
                if (previous != null) {
                    previous.close();
                }
            }
            double meanLoss = lossSum.getFloat() / tokens;
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pair<>(Math.exp(meanLoss), tokens / seconds);
        }
    }

    /**
     * One batch of {@link #trainEpochCh8}: forward, loss, backward, clipping and SGD, all queued
     * on the engine. Returns the detached state to carry (on the epoch's manager).
     */
    private static NDList trainBatch(
            LanguageModel net,
            Batch b,
            NDList carried,
            Loss loss,
            float lr,
            float clipTheta,
            Device device,
            boolean useRandomIter,
            NDArray lossSum,
            NDManager epochManager) {
        NDManager bm = b.getManager();
        NDArray x = b.getData().head().toDevice(device, false);
        NDArray y = b.getLabels().head().toDevice(device, false);
        x.attach(bm);
        y.attach(bm);
        int batchSize = (int) x.getShape().get(0);
        NDList state;
        if (carried == null || useRandomIter) {
            if (carried != null) {
                carried.close();
            }
            state = net.beginState(batchSize, device);
        } else {
            state = carried;
        }
        state.attach(bm);
        NDArray labels = y.transpose().reshape(-1);
        NDList newState;
        NDArray l;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Pair<NDArray, NDList> out = net.forward(x, state, true);
            l = loss.evaluate(new NDList(labels), new NDList(out.getKey())).mean();
            gc.backward(l);
            newState = out.getValue();
        }
        lossSum.addi(l.mul(labels.size()));
        NDList next = new NDList();
        for (NDArray s : newState) {
            NDArray d = s.stopGradient();
            d.attach(epochManager);
            next.add(d);
        }
        // gradClipping then sgd, as one multi-tensor update (ClipSgd)
        ClipSgd.step(net.getParams(), clipTheta, lr, bm);
        return next;
    }

    /**
     * Rescales all gradients together so that their joint L2 norm is at most {@code theta}. The
     * norm stays on the device: the scale is {@code theta / max(norm, theta)}.
     *
     * @param net the model
     * @param theta the threshold
     * @param manager the manager the temporary arrays go to
     */
    public static void gradClipping(LanguageModel net, float theta, NDManager manager) {
        NDList grads = new NDList();
        NDArray sq = null;
        for (NDArray p : net.getParams()) {
            NDArray g = p.getGradient();
            g.attach(manager);
            grads.add(g);
            NDArray s = g.square().sum();
            sq = sq == null ? s : sq.add(s);
        }
        if (sq == null) {
            return;
        }
        NDArray norm = sq.sqrt();
        NDArray scale = norm.maximum(theta).pow(-1).mul(theta);
        for (NDArray g : grads) {
            g.muli(scale);
        }
    }

    /**
     * Minibatch SGD, as the text's {@code Training.sgd}: {@code p -= lr * grad / batchSize}.
     *
     * @param params the parameters
     * @param lr the learning rate
     * @param batchSize the divisor (1 when the loss is already a mean)
     * @param manager the manager the temporary arrays go to
     */
    public static void sgd(NDList params, float lr, int batchSize, NDManager manager) {
        for (NDArray p : params) {
            NDArray g = p.getGradient();
            g.attach(manager);
            p.subi(g.mul(lr / batchSize));
        }
    }

    /**
     * Generates {@code numPreds} characters after {@code prefix}, greedily, as the text's {@code
     * predictCh8}.
     *
     * @param prefix the prefix
     * @param numPreds the number of characters to generate
     * @param net the model
     * @param vocab the vocabulary
     * @param device the device
     * @param manager the parent manager; nothing is left on it
     * @return the prefix followed by the generated characters
     */
    public static String predictCh8(
            String prefix, int numPreds, LanguageModel net, Vocab vocab, Device device, NDManager manager) {
        return predictCh8(prefix, numPreds, net, vocab, device, manager, null);
    }

    /**
     * Generates text as {@link #predictCh8(String, int, LanguageModel, Vocab, Device, NDManager)},
     * checking {@code control} before every character.
     *
     * @param prefix the prefix
     * @param numPreds the number of characters to generate
     * @param net the model
     * @param vocab the vocabulary
     * @param device the device
     * @param manager the parent manager; nothing is left on it
     * @param control the stop flag, or null
     * @return the prefix followed by the generated characters
     * @throws StopRequestedException when a stop was requested
     */
    public static String predictCh8(
            String prefix,
            int numPreds,
            LanguageModel net,
            Vocab vocab,
            Device device,
            NDManager manager,
            StepCheck control) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix must not be empty");
        }
        List<Integer> outputs = new ArrayList<>();
        outputs.add(vocab.getIdx(String.valueOf(prefix.charAt(0))));
        try (NDManager m = manager.newSubManager(device)) {
            NDList state = net.beginState(1, device);
            state.attach(m);
            for (int i = 1; i < prefix.length() + numPreds; i++) {
                if (control != null) {
                    control.check();
                }
                NDArray input = m.create(new int[] {outputs.get(outputs.size() - 1)}, new Shape(1, 1));
                Pair<NDArray, NDList> out = net.forward(input, state, false);
                state = out.getValue();
                if (i < prefix.length()) {
                    outputs.add(vocab.getIdx(String.valueOf(prefix.charAt(i))));
                } else {
                    outputs.add((int) out.getKey().argMax(1).getLong(0));
                }
            }
        }
        return String.join("", vocab.toTokens(outputs));
    }
}
