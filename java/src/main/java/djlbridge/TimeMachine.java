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
import djlbridge.training.EpochCallback;
import djlbridge.training.RunReport;
import djlbridge.training.StopRequestedException;
import djlbridge.training.TrainingControl;
import djlbridge.training.TrainingSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The Java text's {@code TimeMachine}: reading and tokenizing the corpus, and the chapter 8
 * trainer ({@link #trainCh8}, {@link #trainEpochCh8}, {@link #predictCh8}, {@link #gradClipping}).
 *
 * <p>Fixes over the text: one {@link LanguageModel} interface instead of {@code Object net}; a
 * float learning rate and clipping threshold; a {@link RunReport} instead of printing; an
 * {@link EpochCallback}; every array of a batch is freed with the batch; the loss sum and the
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
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        boolean[] afterCr = {false};
        streamUtf8(path, chars -> {
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c == '\n' && afterCr[0]) {
                    afterCr[0] = false; // the \n of \r\n: the \r ended the line
                    continue;
                }
                afterCr[0] = c == '\r';
                if (c == '\n' || c == '\r') {
                    lines.add(clean(line));
                    line.setLength(0);
                } else {
                    line.append(c);
                }
            }
        });
        if (line.length() > 0) {
            lines.add(clean(line));
        }
        return lines;
    }

    /**
     * Reduces one line as the text's {@code replaceAll("[^A-Za-z]+", " ").strip().toLowerCase()}:
     * every run of non-letters becomes one space, none at either end, letters in lower case.
     */
    private static String clean(CharSequence raw) {
        StringBuilder out = new StringBuilder(raw.length());
        boolean gap = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (isAsciiLetter(c)) {
                if (gap && out.length() > 0) {
                    out.append(' ');
                }
                out.append(toLower(c));
                gap = false;
            } else {
                gap = true;
            }
        }
        return out.toString();
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static char toLower(char c) {
        return c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    /**
     * Splits lines into tokens.
     *
     * @param lines the lines
     * @param token "char" or "word"
     * @return the tokens, one array per line
     */
    public static String[][] tokenize(List<String> lines, String token) {
        String[][] out = new String[lines.size()][];
        for (int i = 0; i < out.length; i++) {
            String line = lines.get(i);
            if ("char".equals(token)) {
                out[i] = new String[line.length()];
                for (int j = 0; j < line.length(); j++) {
                    out[i][j] = String.valueOf(line.charAt(j));
                }
            } else if ("word".equals(token)) {
                out[i] = line.isEmpty() ? new String[0] : line.split(" ");
            } else {
                throw new IllegalArgumentException("unknown token type '" + token + "': use char or word");
            }
        }
        return out;
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
        int[] counts = new int[Character.MAX_VALUE + 1];
        StringBuilder firstSeen = new StringBuilder(); // the characters in order of first appearance
        StringBuilder kept = new StringBuilder(maxTokens > 0 ? Math.min(maxTokens, 1 << 20) : 1 << 16);
        // The state of the line being read: lines are joined without a separator, and a run of
        // non-letters is one space, except at either end of a line.
        boolean[] state = {false, false}; // {the line has a letter, a gap follows it}
        streamUtf8(path, chars -> {
            while (chars.hasRemaining()) {
                char c = chars.get();
                if (c == '\n' || c == '\r') {
                    state[0] = false;
                    state[1] = false;
                } else if (isAsciiLetter(c)) {
                    if (state[1]) {
                        emit(' ', counts, firstSeen, kept, maxTokens);
                    }
                    emit(toLower(c), counts, firstSeen, kept, maxTokens);
                    state[0] = true;
                    state[1] = false;
                } else if (state[0]) {
                    state[1] = true;
                }
            }
        });
        LinkedHashMap<String, Integer> counter = new LinkedHashMap<>();
        for (int i = 0; i < firstSeen.length(); i++) {
            char c = firstSeen.charAt(i);
            counter.put(String.valueOf(c), counts[c]);
        }
        Vocab vocab = Vocab.fromCounts(counter, 0, new String[0]);
        List<Integer> corpus = new ArrayList<>(kept.length());
        for (int i = 0; i < kept.length(); i++) {
            corpus.add(vocab.getIdx(String.valueOf(kept.charAt(i))));
        }
        return new Pair<>(corpus, vocab);
    }

    private static void emit(char c, int[] counts, StringBuilder firstSeen, StringBuilder kept,
            int maxTokens) {
        if (counts[c] == Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "the corpus has more than 2147483647 '" + c + "' characters: pass a smaller text");
        }
        if (counts[c]++ == 0) {
            firstSeen.append(c);
        }
        if (maxTokens <= 0 || kept.length() < maxTokens) {
            kept.append(c);
        }
    }

    /** Receives the characters of a file, one decoded chunk at a time. */
    private interface CharChunks {
        void accept(CharBuffer chars);
    }

    /**
     * Decodes a file as strict UTF-8 in chunks of 64 KiB (memory O(1)), handing each chunk to
     * {@code sink}. A byte that is not UTF-8 is an {@link IOException} naming the byte and its
     * offset, the message djl-bridge shows (Python checks the same before the JVM starts).
     */
    private static void streamUtf8(Path path, CharChunks sink) throws IOException {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        CharBuffer out = CharBuffer.allocate(1 << 16);
        long consumed = 0; // the file offset of in's index 0
        InputStream stream;
        try {
            stream = Files.newInputStream(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(
                    path.toString(), null, "corpus file not found: pass --data PATH or set DJL_BRIDGE_DATA");
        }
        try (InputStream is = stream) {
            boolean eof = false;
            while (true) {
                int n = is.read(in.array(), in.position(), in.remaining());
                if (n < 0) {
                    eof = true;
                } else {
                    in.position(in.position() + n);
                }
                in.flip();
                CoderResult r;
                do {
                    r = decoder.decode(in, out, eof);
                    if (r.isError()) {
                        throw notUtf8(path, in.get(in.position()), consumed + in.position());
                    }
                    out.flip();
                    sink.accept(out);
                    out.clear();
                } while (r.isOverflow());
                consumed += in.position();
                in.compact();
                if (eof) {
                    decoder.flush(out); // UTF-8 keeps no state to flush; for form's sake
                    out.flip();
                    sink.accept(out);
                    return;
                }
            }
        }
    }

    private static IOException notUtf8(Path path, byte bad, long offset) {
        return new IOException(
                String.format(
                        "%s is not UTF-8 text (invalid byte 0x%02x at offset %d): save it as UTF-8,"
                                + " or pass the D2L timemachine.txt",
                        path, bad & 0xff, offset));
    }

    /**
     * Picks the device: "auto" (a GPU when DJL sees one, else the CPU), "cpu" or "gpu".
     *
     * @param name the device name
     * @return the device
     */
    public static Device pickDevice(String name) {
        int gpus = Engine.getInstance().getGpuCount();
        switch (name) {
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalStateException(
                            "--device gpu: DJL's MXNet engine sees no GPU: run `djl-bridge doctor`;"
                                    + " pip install 'djl-bridge[cuda11]' on a GPU of compute capability"
                                    + " 5.0-8.x, or use --device cpu");
                }
                return Device.gpu();
            default:
                throw new IllegalArgumentException("unknown device '" + name + "': use auto, cpu or gpu");
        }
    }

    /**
     * Trains a model, as the text's {@code trainCh8} (clipping at 1, no listener).
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
     * {@link TrainingSession}, the one epoch loop.
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
            EpochCallback listener)
            throws IOException, TranslateException {
        try (TrainingSession session =
                TrainingSession.wrap(net, dataset, vocab, lr, clipTheta, device, useRandomIter, manager)) {
            session.train(numEpochs, listener);
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
     * Trains one epoch, checking {@code control} before every batch.
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
            TrainingControl control)
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
            TrainingControl control) {
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
