package djlbridge.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import djlbridge.LanguageModel;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import djlbridge.Vocab;
import djlbridge.mxnet.NativeHeap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one epoch loop of djl_bridge. Every launcher trains through it: {@link TimeMachine#trainCh8}
 * (the text's signature), {@link Main} (plain {@code java}), Python's {@code djl_bridge.train} and
 * the parity checks.
 *
 * <p>Each epoch is {@link TimeMachine#trainEpochCh8}; what happens around it are {@link
 * SessionListener}s, called in order after the epoch is added to the history: first {@link
 * DivergenceCheck} (a non-finite perplexity ends the run and the epoch is taken back out
 * of the history: it never counted), then {@link LastGoodParameters} (copies of the parameters of
 * the last finite epoch, kept on the device so a stopped or diverged run can still save them),
 * then {@link MemoryRecorder}, then {@link ThreadPolicy} (the threads each epoch ended with), then
 * the listeners the caller added (Python's progress bar and checkpoints). A {@link
 * TrainingControl} is checked before every batch: a stop request ends the run within one batch
 * with a {@link StopRequestedException}, the epoch in progress dropped; while it trains each check
 * is also a step of the {@link ThreadPolicy}, which sets MXNet's OpenMP threads to the CPUs other
 * processes leave free (unless the user pinned them).
 *
 * <p>A session made by {@link #open} owns its manager, dataset and model and frees them on {@link
 * #close}; one made by {@link #wrap} trains the caller's and frees nothing of theirs. Either frees
 * its copies of the last good parameters on {@link #close}.
 */
public final class TrainingSession implements AutoCloseable {

    private final TrainSettings settings;
    private final Device device;
    private final NDManager manager;
    private final boolean owner;
    private final TimeMachineDataset dataset;
    private final Vocab vocab;
    private final LanguageModel net;
    private final float lr;
    private final float clipTheta;
    private final boolean randomIter;
    private final TrainingControl control;
    private final Loss loss = new SoftmaxCrossEntropyLoss();
    private final List<EpochRecord> history = new ArrayList<>();
    private final List<SessionListener> listeners = new ArrayList<>();
    private final DivergenceCheck divergence = new DivergenceCheck();
    private final LastGoodParameters lastGood;
    private final MemoryRecorder memory = new MemoryRecorder();
    private final ThreadPolicy threads;
    private int resumedFrom;
    private double wallSeconds;

    private TrainingSession(
            TrainSettings settings,
            Device device,
            NDManager manager,
            boolean owner,
            TimeMachineDataset dataset,
            Vocab vocab,
            LanguageModel net,
            float lr,
            float clipTheta,
            boolean randomIter,
            TrainingControl control) {
        this.settings = settings;
        this.device = device;
        this.manager = manager;
        this.owner = owner;
        this.dataset = dataset;
        this.vocab = vocab;
        this.net = net;
        this.lr = lr;
        this.clipTheta = clipTheta;
        this.randomIter = randomIter;
        this.control = control == null ? new TrainingControl() : control;
        this.lastGood = new LastGoodParameters(manager);
        this.threads = ThreadPolicy.forDevice(device);
        listeners.add(lastGood);
        listeners.add(memory);
        listeners.add(threads);
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
        checkStop(control); // a stop asked for while the JVM started: before any work
        NativeHeap.configure();
        Device device = DeviceChoice.pick(s.getDevice());
        Engine.getInstance().setRandomSeed((int) s.getSeed());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            TimeMachineDataset dataset = s.newDataset(manager);
            dataset.prepare();
            checkStop(control); // between the phases of the start: reading, building, the copy
            Vocab vocab = dataset.getVocab();
            LanguageModel net = s.newModel(vocab.length(), device, manager);
            checkStop(control);
            TrainingSession session =
                    new TrainingSession(s, device, manager, true, dataset, vocab, net, s.getLr(),
                            s.getClipTheta(), s.isRandomIter(), control);
            session.lastGood.keep(net, 0);
            return session;
        } catch (IOException | TranslateException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Throws {@link StopRequestedException} when {@code control} (may be null) asked to stop. */
    private static void checkStop(TrainingControl control) {
        if (control != null) {
            control.check();
        }
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
    public static TrainingSession wrap(
            LanguageModel net,
            TimeMachineDataset dataset,
            Vocab vocab,
            float lr,
            float clipTheta,
            Device device,
            boolean useRandomIter,
            NDManager manager) {
        TrainingSession session =
                new TrainingSession(null, device, manager, false, dataset, vocab, net, lr,
                        clipTheta, useRandomIter, null);
        session.lastGood.keep(net, 0);
        return session;
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
    public static TrainingSession forPrediction(
            TrainSettings s, List<String> idxToToken, byte[] params, String source,
            TrainingControl control) throws IOException {
        Vocab vocab = Vocab.ofIdxToToken(idxToToken);
        Device device = DeviceChoice.pick(s.getDevice());
        NDManager manager = NDManager.newBaseManager(device);
        try {
            LanguageModel net = s.newModel(vocab.length(), device, manager);
            TrainingSession session =
                    new TrainingSession(s, device, manager, true, null, vocab, net, s.getLr(),
                            s.getClipTheta(), s.isRandomIter(), control);
            ParameterFiles.load(net, params, source, s.describeModel(vocab.length()), manager);
            return session;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Adds a listener, called after the built-in ones for every epoch.
     *
     * @param listener the listener
     * @return this session
     */
    public TrainingSession addListener(SessionListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Continues from a checkpoint: loads its parameters and replays the dataset's random source
     * over the {@code done} epochs already trained, so the next batches are those of a run that
     * never stopped.
     *
     * @param params the parameter file of the checkpoint
     * @param done the epochs the checkpoint finished
     * @param perplexity their perplexities
     * @param tokensPerSec their speeds
     * @throws IOException if the file cannot be read or does not fit the model
     */
    public void resume(Path params, int done, double[] perplexity, double[] tokensPerSec)
            throws IOException {
        resume(Files.readAllBytes(params), params.toString(), done, perplexity, tokensPerSec);
    }

    /**
     * Continues from a checkpoint whose parameter file the caller read (and verified): as {@link
     * #resume(Path, int, double[], double[])}, from the file's bytes.
     *
     * @param params the whole parameter file of the checkpoint
     * @param source what the bytes are, for messages (the file's path)
     * @param done the epochs the checkpoint finished
     * @param perplexity their perplexities
     * @param tokensPerSec their speeds
     * @throws IOException if the bytes do not fit the model
     */
    public void resume(byte[] params, String source, int done, double[] perplexity,
            double[] tokensPerSec) throws IOException {
        if (!history.isEmpty()) {
            throw new IllegalStateException("resume() must come before any training");
        }
        if (dataset == null) {
            throw new IllegalStateException("this session only predicts");
        }
        if (perplexity.length != done || tokensPerSec.length != done) {
            throw new IllegalArgumentException(
                    "the checkpoint lists " + perplexity.length + " perplexities for " + done + " epochs");
        }
        ParameterFiles.load(net, params, source, describeModel(), manager);
        for (int i = 0; i < done; i++) {
            dataset.nextEpochBatches(); // each epoch's offset (and shuffle) draw, as it was trained
            history.add(new EpochRecord(i + 1, perplexity[i], tokensPerSec[i], Double.NaN));
        }
        resumedFrom = done;
        lastGood.keep(net, done);
    }

    /**
     * Trains until {@code untilEpoch} epochs are done (counted over resumes). A non-finite loss
     * throws {@link DivergedException}; a stop request throws {@link
     * StopRequestedException}; both leave the last good parameters for {@link
     * #writeLastGood}.
     *
     * @param untilEpoch the total number of epochs
     * @param callback receives (epoch, perplexity, tokens/s) after the session's listeners;
     *     false stops after this epoch; may be null
     * @return the epochs done
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public int train(int untilEpoch, EpochCallback callback) throws IOException, TranslateException {
        if (dataset == null) {
            throw new IllegalStateException("this session only predicts");
        }
        long start = System.nanoTime();
        try {
            threads.startTraining();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StopRequestedException("interrupted before training");
        }
        control.stepThreads(threads);
        try {
            while (history.size() < untilEpoch) {
                long t0 = System.nanoTime();
                Pair<Double, Double> r =
                        TimeMachine.trainEpochCh8(
                                net, dataset, loss, lr, clipTheta, device, randomIter, manager, control);
                EpochRecord record =
                        new EpochRecord(history.size() + 1, r.getKey(), r.getValue(),
                                (System.nanoTime() - t0) / 1e9);
                accept(record);
                if (callback != null
                        && !callback.onEpoch(record.getEpoch(), record.getPerplexity(),
                                record.getTokensPerSec())) {
                    break;
                }
            }
        } finally {
            control.stepThreads(null);
            threads.stopTraining();
            wallSeconds += (System.nanoTime() - start) / 1e9;
        }
        return history.size();
    }

    private void accept(EpochRecord record) {
        history.add(record);
        try {
            divergence.onEpoch(this, record);
        } catch (RuntimeException e) {
            history.remove(history.size() - 1); // a diverged epoch never counts
            throw e;
        }
        for (SessionListener l : listeners) {
            l.onEpoch(this, record);
        }
    }

    /**
     * Returns the result of the run so far: the history, the speed, the memory, and the text's
     * predictions from {@link TimeMachine#PREFIXES} (those whose characters are all in the
     * vocabulary).
     *
     * @return the result
     */
    public RunReport result() {
        Map<String, String> predictions = new LinkedHashMap<>();
        List<String> known = vocab.getIdxToToken();
        for (String prefix : TimeMachine.PREFIXES) {
            // a prefix with characters the corpus lacks would read as <unk>s: left out, as the
            // predict command refuses such a prefix
            if (prefix.chars().allMatch(c -> known.contains(String.valueOf((char) c)))) {
                predictions.put(prefix, predict(prefix, TimeMachine.PREDICT_LENGTH));
            }
        }
        return new RunReport(history, resumedFrom, device.toString(), wallSeconds, predictions,
                memory.getRssMb(), ProcessMemory.peakResidentMb(), threads);
    }

    /**
     * Writes the parameters of the last finished epoch (or of the start) to {@code file}.
     *
     * @param file the file to create or replace
     * @return the epoch those parameters belong to (0: untrained)
     * @throws IOException if the file cannot be written
     */
    public int writeLastGood(Path file) throws IOException {
        return lastGood.write(file);
    }

    /**
     * Encodes the parameters of the last finished epoch (or of the start) as the bytes of the
     * model's parameter file, for a caller that writes the file itself ({@link
     * #getLastGoodEpoch} is their epoch).
     *
     * @return the file's bytes
     */
    public byte[] encodeLastGood() {
        return lastGood.encode();
    }

    /**
     * Returns the epoch of the parameters {@link #writeLastGood} writes ({@link #encodeLastGood}
     * encodes).
     *
     * @return the epoch, 0 before training
     */
    public int getLastGoodEpoch() {
        return lastGood.getEpoch();
    }

    /**
     * Generates text greedily after {@code prefix}, as {@link TimeMachine#predictCh8}; a stop
     * request ends it between two characters.
     *
     * @param prefix the prefix (its characters must be in the vocabulary)
     * @param numPreds the number of characters to generate
     * @return the prefix followed by the generated characters
     */
    public String predict(String prefix, int numPreds) {
        threads.beginInference(); // one OpenMP thread: see ThreadPolicy
        try {
            return TimeMachine.predictCh8(prefix, numPreds, net, vocab, device, manager, control);
        } finally {
            threads.endInference();
        }
    }

    /**
     * Returns how this session sets MXNet's threads, and the count each epoch ended with.
     *
     * @return the policy
     */
    public ThreadPolicy getThreadPolicy() {
        return threads;
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
        return history.size();
    }

    /**
     * Returns the perplexity of every finished epoch, counted over resumes.
     *
     * @return one value per epoch
     */
    public double[] getPerplexity() {
        return history.stream().mapToDouble(EpochRecord::getPerplexity).toArray();
    }

    /**
     * Returns the speed of every finished epoch, counted over resumes.
     *
     * @return tokens per second, one value per epoch
     */
    public double[] getEpochTokensPerSec() {
        return history.stream().mapToDouble(EpochRecord::getTokensPerSec).toArray();
    }

    /**
     * Returns the learning rate.
     *
     * @return the learning rate
     */
    public float getLr() {
        return lr;
    }

    /**
     * Returns the model being trained.
     *
     * @return the model
     */
    public LanguageModel getModel() {
        return net;
    }

    private String describeModel() {
        return settings == null
                ? net.getClass().getSimpleName() + " with " + net.getVocabSize() + " tokens"
                : settings.describeModel(vocab.length());
    }

    /**
     * Frees the kept last good parameters, and the model and every array of a session made by
     * {@link #open}/{@link #forPrediction}.
     */
    @Override
    public void close() {
        threads.close();
        lastGood.close();
        if (owner) {
            net.close();
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "TrainingSession"
                + Arrays.asList(settings == null ? "wrapped" : settings.getModel(),
                        settings == null ? "" : settings.getImpl(), history.size());
    }
}
