package djlbridge.seq2seq;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import djlbridge.Vocab;
import djlbridge.training.EpochResult;
import djlbridge.training.StepCheck;
import djlbridge.training.TrainingSession;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Training, prediction and BLEU of D2L 9.7 ({@code train_seq2seq}, {@code predict_seq2seq},
 * {@code bleu}), following the book where the Java text departs from it (docs/seq2seq.md).
 */
public final class Seq2Seq {

    /** The gradient clipping threshold of the book. */
    public static final float CLIP_THETA = 1f;

    private Seq2Seq() {}

    /**
     * Initialises the model's arrays in {@code manager} as the book does ({@link XavierByRole}) and
     * marks them for gradients.
     *
     * @param net the model
     * @param manager the manager that holds the parameters
     * @param numSteps the number of time steps (for the shapes)
     * @param seed the seed of the initial values
     */
    public static void initialize(EncoderDecoder net, NDManager manager, int numSteps, long seed) {
        net.initialize(manager, DataType.FLOAT32, new Shape(1, numSteps), new Shape(1, numSteps));
        XavierByRole.apply(net, new Random(seed));
        for (Parameter p : net.getParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
    }

    /**
     * The gradients of every parameter, as handles attached to {@code manager} (closing them
     * leaves the gradients in place).
     *
     * @param net the model
     * @param manager the manager the handles go to
     * @return the gradients in {@code getParameters()} order
     */
    public static NDList gradients(EncoderDecoder net, NDManager manager) {
        NDList grads = new NDList();
        for (Parameter p : net.getParameters().values()) {
            NDArray g = p.getArray().getGradient();
            g.attach(manager);
            grads.add(g);
        }
        return grads;
    }

    /**
     * The book's {@code grad_clipping}: all gradients rescaled together, in place, so that their
     * joint L2 norm is at most {@code theta}.
     *
     * @param grads the gradients (from {@link #gradients})
     * @param theta the threshold
     */
    public static void gradClipping(NDList grads, float theta) {
        NDArray sq = null;
        for (NDArray g : grads) {
            NDArray s = g.square().sum();
            sq = sq == null ? s : sq.add(s);
        }
        if (sq == null) {
            return;
        }
        NDArray scale = sq.sqrt().maximum(theta).pow(-1).mul(theta);
        for (NDArray g : grads) {
            g.muli(scale);
        }
    }

    /**
     * The decoder's input under teacher forcing: {@code <bos>} then the target without its last
     * token.
     *
     * @param y the targets (batch, steps)
     * @param bos the index of {@code <bos>}
     * @return (batch, steps)
     */
    public static NDArray decoderInput(NDArray y, int bos) {
        NDArray col = y.getManager().full(new Shape(y.getShape().get(0), 1), bos, y.getDataType());
        return NDArrays.concat(new NDList(col, y.get(new NDIndex(":, :-1"))), 1);
    }

    /**
     * One epoch of the book's {@code train_seq2seq}: per batch, the forward with teacher forcing,
     * the masked loss summed over sentences, backward, clipping at {@link #CLIP_THETA}, one step
     * of {@code optimizer}.
     *
     * @param net an initialized model ({@link #initialize})
     * @param dataset the data of {@link NMT#loadDataNMT}
     * @param optimizer the optimizer (keeps its state between epochs)
     * @param tgtVocab the target vocabulary
     * @param manager the manager holding the parameters
     * @return the book's loss (the summed loss over the target tokens) and tokens per second
     * @throws IOException when the data set cannot be read
     * @throws TranslateException when a batch cannot be made
     */
    public static EpochResult trainEpochSeq2Seq(
            EncoderDecoder net,
            ArrayDataset dataset,
            Optimizer optimizer,
            Vocab tgtVocab,
            NDManager manager)
            throws IOException, TranslateException {
        return trainEpochSeq2Seq(
                net, dataset, optimizer, new MaskedSoftmaxCELoss(), tgtVocab, manager, () -> {});
    }

    /**
     * {@link #trainEpochSeq2Seq(EncoderDecoder, ArrayDataset, Optimizer, Vocab, NDManager)} with
     * another loss (e.g. to measure the Java text's): labels (Y, Y_valid_len), predictions the
     * logits, one loss per sentence.
     *
     * @param net an initialized model ({@link #initialize})
     * @param dataset the data of {@link NMT#loadDataNMT}
     * @param optimizer the optimizer (keeps its state between epochs)
     * @param loss the loss per sentence
     * @param tgtVocab the target vocabulary
     * @param manager the manager holding the parameters
     * @param step called before every batch (a {@link TrainingSession}'s stop flag and threads)
     * @return the book's loss (the summed loss over the target tokens) and tokens per second
     * @throws IOException when the data set cannot be read
     * @throws TranslateException when a batch cannot be made
     */
    public static EpochResult trainEpochSeq2Seq(
            EncoderDecoder net,
            ArrayDataset dataset,
            Optimizer optimizer,
            Loss loss,
            Vocab tgtVocab,
            NDManager manager,
            StepCheck step)
            throws IOException, TranslateException {
        long start = System.nanoTime();
        ParameterStore ps = new ParameterStore(manager, false);
        int bos = tgtVocab.getIdx("<bos>");
        double lossSum = 0;
        long tokens = 0;
        try (NDManager epoch = manager.newSubManager()) {
            for (Batch next : dataset.getData(epoch)) {
                step.check();
                try (Batch batch = next;
                        NDManager bm = epoch.newSubManager()) {
                    NDArray x = batch.getData().get(0);
                    NDArray y = batch.getLabels().get(0);
                    NDArray lenY = batch.getLabels().get(1);
                    NDArray decInput = decoderInput(y, bos);
                    NDArray l;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray yHat = net.forward(ps, new NDList(x, decInput), true).head();
                        l = loss.evaluate(new NDList(y, lenY), new NDList(yHat)).sum();
                        gc.backward(l);
                    }
                    NDList grads = gradients(net, bm);
                    gradClipping(grads, CLIP_THETA);
                    int i = 0;
                    for (Parameter p : net.getParameters().values()) {
                        optimizer.update(p.getId(), p.getArray(), grads.get(i++));
                    }
                    lossSum += l.getFloat();
                    tokens += lenY.toType(DataType.INT64, false).sum().getLong();
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochResult(lossSum / tokens, tokens / seconds);
    }

    /**
     * The book's Adam at a fixed learning rate (DJL's {@code Optimizer.adam()}: beta1 0.9, beta2
     * 0.999, epsilon 1e-8, no gradient rescaling).
     *
     * @param lr the learning rate
     * @return the optimizer
     */
    public static Optimizer adam(float lr) {
        return Optimizer.adam().optLearningRateTracker(Tracker.fixed(lr)).build();
    }

    /**
     * The text's {@code trainSeq2Seq}: {@code numEpochs} epochs of Adam at {@code lr}, run by a
     * {@link TrainingSession} ({@link Seq2SeqTask#wrap}: the one epoch loop, its divergence
     * check and listeners); the model is initialized first (seed 0) if it is not yet. Prints the
     * last epoch as the book does.
     *
     * @param net the model
     * @param dataset the data
     * @param lr the learning rate
     * @param numEpochs the number of epochs
     * @param tgtVocab the target vocabulary
     * @param manager the manager that holds (or will hold) the parameters; its device is used
     * @return every epoch's result: the book's loss ({@link EpochResult#getMeasure}) and speed
     * @throws IOException when the data set cannot be read
     * @throws TranslateException when a batch cannot be made
     */
    public static List<EpochResult> trainSeq2Seq(
            EncoderDecoder net,
            ArrayDataset dataset,
            float lr,
            int numEpochs,
            Vocab tgtVocab,
            NDManager manager)
            throws IOException, TranslateException {
        int numSteps;
        try (NDManager m = manager.newSubManager()) {
            // one record, not a batch: a batch would draw a permutation from DJL's random stream
            numSteps = (int) dataset.get(m, 0).getData().get(0).getShape().get(0);
        }
        if (!net.isInitialized()) {
            initialize(net, manager, numSteps, 0);
        }
        List<EpochResult> out = new ArrayList<>();
        try (TrainingSession session =
                Seq2SeqTask.wrap(net, dataset, null, tgtVocab, lr, numSteps, manager)) {
            session.train(numEpochs, null);
            double[] loss = session.getMeasure();
            double[] speed = session.getEpochTokensPerSec();
            for (int e = 0; e < loss.length; e++) {
                out.add(new EpochResult(loss[e], speed[e]));
            }
        }
        if (!out.isEmpty()) {
            EpochResult last = out.get(out.size() - 1);
            System.out.format(
                    Locale.ROOT,
                    "loss %.3f, %.1f tokens/sec on %s%n",
                    last.getMeasure(),
                    last.getTokensPerSec(),
                    manager.getDevice());
        }
        return out;
    }

    /**
     * The book's {@code predict_seq2seq} (greedy): the source lower-cased, split on {@code ' '},
     * {@code <eos>} appended, truncated or padded to {@code numSteps}; then up to {@code numSteps}
     * decoder steps from {@code <bos>}, each fed the most likely token of the step before, until
     * {@code <eos>}. As d2l 0.17 and the Java text, every step after the first gets the decoder's
     * own state of the step before (its last layer is also the context); d2l 1.0 keeps the
     * encoder's context instead.
     *
     * @param net the trained model
     * @param srcSentence the source sentence, preprocessed (e.g. {@code "go ."})
     * @param srcVocab the source vocabulary
     * @param tgtVocab the target vocabulary
     * @param numSteps the number of time steps
     * @param manager a manager for the temporary arrays
     * @return the translation, tokens joined by spaces
     */
    public static String predictSeq2Seq(
            EncoderDecoder net,
            String srcSentence,
            Vocab srcVocab,
            Vocab tgtVocab,
            int numSteps,
            NDManager manager) {
        int[] src = srcVocab.getIdxs(srcSentence.toLowerCase(Locale.ROOT).split(" ", -1));
        int[] withEos = Arrays.copyOf(src, src.length + 1);
        withEos[src.length] = srcVocab.getIdx("<eos>");
        int[] padded = NMT.truncatePad(withEos, numSteps, srcVocab.getIdx("<pad>"));
        List<Integer> outputSeq = new ArrayList<>();
        int eos = tgtVocab.getIdx("<eos>");
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray encX = m.create(padded).reshape(1, numSteps);
            NDList encOutputs = net.getEncoder().forward(ps, new NDList(encX), false);
            NDList state = net.getDecoder().initState(encOutputs);
            NDArray decX = m.create(new int[] {tgtVocab.getIdx("<bos>")}).reshape(1, 1);
            for (int i = 0; i < numSteps; i++) {
                NDList out = net.getDecoder().forward(ps, new NDList(decX).addAll(state), false);
                state = out.subNDList(1);
                decX = out.head().argMax(2).toType(DataType.INT32, false);
                int pred = (int) decX.toType(DataType.INT64, false).getLong();
                if (pred == eos) {
                    break;
                }
                outputSeq.add(pred);
            }
        }
        return String.join(" ", tgtVocab.toTokens(outputSeq));
    }

    /**
     * The book's BLEU: {@code exp(min(0, 1 - lenLabel / lenPred)) * prod_n p_n ^ (1 / 2^n)} for n
     * = 1..k, with p_n the clipped n-gram precision, in floating point (the Java text divides the
     * lengths as integers). Tokens are split on {@code ' '} as Python's {@code split(' ')}.
     *
     * <p>A prediction with fewer than k tokens has no n-grams of the longer lengths, and the
     * book's formula divides by zero there (Python raises {@code ZeroDivisionError}); this method
     * returns 0 for it, the score of a prediction that matches none of the label's n-grams of
     * that length.
     *
     * @param predSeq the prediction
     * @param labelSeq the reference
     * @param k the longest n-gram
     * @return the score in [0, 1]
     */
    public static double bleu(String predSeq, String labelSeq, int k) {
        String[] pred = predSeq.split(" ", -1);
        String[] label = labelSeq.split(" ", -1);
        int lenPred = pred.length;
        int lenLabel = label.length;
        if (lenPred < k) {
            return 0;
        }
        double score = Math.exp(Math.min(0, 1 - (double) lenLabel / lenPred));
        for (int n = 1; n <= k; n++) {
            int numMatches = 0;
            Map<String, Integer> labelSubs = new HashMap<>();
            for (int i = 0; i < lenLabel - n + 1; i++) {
                String key = String.join(" ", Arrays.copyOfRange(label, i, i + n));
                labelSubs.merge(key, 1, Integer::sum);
            }
            for (int i = 0; i < lenPred - n + 1; i++) {
                String key = String.join(" ", Arrays.copyOfRange(pred, i, i + n));
                if (labelSubs.getOrDefault(key, 0) > 0) {
                    numMatches++;
                    labelSubs.merge(key, -1, Integer::sum);
                }
            }
            score *= Math.pow((double) numMatches / (lenPred - n + 1), Math.pow(0.5, n));
        }
        return score;
    }
}
