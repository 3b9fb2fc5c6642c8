package djlbridge.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import djlbridge.mxnet.NativeHeap;
import djlbridge.threads.ThreadPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one epoch loop of djl_bridge, for any {@link TrainingTask}. Every launcher trains through
 * it: the text's {@code trainCh8}, the plain {@code java} launcher, Python's {@code
 * djl_bridge.train} and the parity checks (each through the language model's task).
 *
 * <p>Each epoch is the task's {@link TrainingTask#trainEpoch}; what happens around it are {@link
 * SessionListener}s, called in order after the epoch is added to the history: first {@link
 * DivergenceCheck} (a non-finite measure ends the run and the epoch is taken back out of the
 * history: it never counted), then {@link LastGoodParameters} (copies of the parameters of the
 * last finite epoch, kept on the device so a stopped or diverged run can still save them), then
 * {@link MemoryRecorder}, then the {@link ThreadPolicy} (the threads each epoch ended with), then
 * the listeners the caller added (Python's progress bar and checkpoints). Before every batch the
 * task calls the session's {@link StepCheck}: the {@link TrainingControl}'s stop flag (a request
 * ends the run within one batch with a {@link StopRequestedException}, the epoch in progress
 * dropped), then a step of the {@link ThreadPolicy}, which sets MXNet's OpenMP threads to the CPUs
 * other processes leave free (unless the user pinned them).
 *
 * <p>A session made by {@link #open} or {@link #forPrediction} owns its manager and task and frees
 * them on {@link #close}; one made by {@link #wrap} trains the caller's task and frees nothing of
 * theirs. Either frees its copies of the last good parameters on {@link #close}.
 */
public final class TrainingSession implements AutoCloseable {

    private final TrainingTask task;
    private final Device device;
    private final NDManager manager;
    private final boolean owner;
    private final TrainingControl control;
    private final List<EpochRecord> history = new ArrayList<>();
    private final List<SessionListener> listeners = new ArrayList<>();
    private final DivergenceCheck divergence = new DivergenceCheck();
    private final LastGoodParameters lastGood;
    private final MemoryRecorder memory = new MemoryRecorder();
    private final ThreadPolicy threads;
    private int resumedFrom;
    private double wallSeconds;
    private boolean stopAfterEpoch;

    private TrainingSession(TrainingTask task, Device device, NDManager manager, boolean owner,
            TrainingControl control) {
        this.task = task;
        this.device = device;
        this.manager = manager;
        this.owner = owner;
        this.control = control == null ? new TrainingControl() : control;
        this.lastGood = new LastGoodParameters(manager);
        this.threads = ThreadPolicy.forDevice(device);
        listeners.add(lastGood);
        listeners.add(memory);
        listeners.add((session, record) -> threads.epochEnded());
    }

    /**
     * Opens a session for training: picks the device, seeds DJL, and has {@code factory} make the
     * task (read its data, build its model) on the session's manager.
     *
     * @param device "auto", "cpu" or "gpu"
     * @param seed the seed of DJL's engine
     * @param factory makes the task
     * @param control the stop flag checked before every batch, or null
     * @return the session (close it)
     * @throws IOException if the task's data cannot be read
     * @throws TranslateException if the task's data cannot be prepared
     */
    public static TrainingSession open(String device, long seed, TaskFactory factory,
            TrainingControl control) throws IOException, TranslateException {
        checkStop(control); // a stop asked for while the JVM started: before any work
        NativeHeap.configure();
        Device d = DeviceChoice.pick(device);
        Engine.getInstance().setRandomSeed((int) seed);
        NDManager manager = NDManager.newBaseManager(d);
        TrainingTask task = null;
        try {
            task = factory.create(d, manager);
            checkStop(control); // after reading the data and building the model
            TrainingSession session = new TrainingSession(task, d, manager, true, control);
            session.lastGood.keep(task, 0);
            return session;
        } catch (IOException | TranslateException | RuntimeException e) {
            if (task != null) {
                task.close();
            }
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
     * Wraps a task the caller made (as the text's {@code trainCh8} does) in a session that trains
     * it; closing the session frees nothing of the caller's.
     *
     * @param task the task
     * @param device the device
     * @param manager the manager the task's arrays come from
     * @param control the stop flag, or null
     * @return the session
     */
    public static TrainingSession wrap(TrainingTask task, Device device, NDManager manager,
            TrainingControl control) {
        TrainingSession session = new TrainingSession(task, device, manager, false, control);
        session.lastGood.keep(task, 0);
        return session;
    }

    /**
     * Opens a session that only predicts: the task {@code factory} makes (with no data to train
     * on), with the parameters of a checkpoint's parameter file, whose bytes the caller read (and
     * verified: nothing is opened by name here).
     *
     * @param device "auto", "cpu" or "gpu"
     * @param factory makes the task
     * @param params the whole parameter file
     * @param source what the bytes are, for messages (the file's path)
     * @param control the stop flag checked before every generated token, or null
     * @return the session (close it)
     * @throws IOException if the parameters do not fit the model
     */
    public static TrainingSession forPrediction(String device, TaskFactory factory, byte[] params,
            String source, TrainingControl control) throws IOException {
        Device d = DeviceChoice.pick(device);
        NDManager manager = NDManager.newBaseManager(d);
        try {
            TrainingTask task = factory.create(d, manager);
            TrainingSession session = new TrainingSession(task, d, manager, true, control);
            task.loadParameters(params, source);
            return session;
        } catch (TranslateException e) {
            manager.close();
            throw new IOException("the model could not be made: " + e.getMessage(), e);
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
     * Continues from a checkpoint whose parameter file the caller read (and verified): loads its
     * parameters and replays the task's random draws over the {@code done} epochs already
     * trained, so the next batches are those of a run that never stopped.
     *
     * @param params the whole parameter file of the checkpoint
     * @param source what the bytes are, for messages (the file's path)
     * @param done the epochs the checkpoint finished
     * @param measure their measures (the task's: perplexities for the language model)
     * @param tokensPerSec their speeds
     * @throws IOException if the bytes do not fit the model
     */
    public void resume(byte[] params, String source, int done, double[] measure,
            double[] tokensPerSec) throws IOException {
        if (!history.isEmpty()) {
            throw new IllegalStateException("resume() must come before any training");
        }
        if (!task.canTrain()) {
            throw new IllegalStateException("this session only predicts");
        }
        String name = task.getMeasureName();
        if (measure.length != done || tokensPerSec.length != done) {
            throw new IllegalArgumentException("the checkpoint lists " + measure.length + " "
                    + name + " values for " + done + " epochs");
        }
        task.loadParameters(params, source);
        for (int i = 0; i < done; i++) {
            task.skipEpoch(); // each epoch's random draws, as it was trained
            history.add(new EpochRecord(i + 1, name, measure[i], tokensPerSec[i], Double.NaN));
        }
        resumedFrom = done;
        lastGood.keep(task, done);
    }

    /**
     * Trains until {@code untilEpoch} epochs are done (counted over resumes). A non-finite
     * measure throws {@link DivergedException}; a stop request throws {@link
     * StopRequestedException}; both leave the last good parameters for {@link #writeLastGood}.
     *
     * @param untilEpoch the total number of epochs
     * @param listener called after the session's listeners, for this call only; may be null
     * @return the epochs done
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     */
    public int train(int untilEpoch, SessionListener listener)
            throws IOException, TranslateException {
        if (!task.canTrain()) {
            throw new IllegalStateException("this session only predicts");
        }
        List<SessionListener> all = new ArrayList<>(listeners);
        if (listener != null) {
            all.add(listener);
        }
        long start = System.nanoTime();
        try {
            threads.startTraining();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StopRequestedException("interrupted before training");
        }
        StepCheck step = () -> {
            control.check();
            threads.step();
        };
        stopAfterEpoch = false;
        try {
            for (SessionListener l : all) {
                l.onRunStart(this);
            }
            while (history.size() < untilEpoch && !stopAfterEpoch) {
                long t0 = System.nanoTime();
                EpochResult r = task.trainEpoch(step);
                accept(new EpochRecord(history.size() + 1, task.getMeasureName(), r.getMeasure(),
                        r.getTokensPerSec(), (System.nanoTime() - t0) / 1e9), all);
            }
        } finally {
            threads.stopTraining();
            wallSeconds += (System.nanoTime() - start) / 1e9;
            for (SessionListener l : all) {
                l.onRunEnd(this);
            }
        }
        return history.size();
    }

    private void accept(EpochRecord record, List<SessionListener> all) {
        history.add(record);
        try {
            divergence.onEpoch(this, record);
        } catch (RuntimeException e) {
            history.remove(history.size() - 1); // a diverged epoch never counts
            throw e;
        }
        for (SessionListener l : all) {
            l.onEpoch(this, record);
        }
    }

    /**
     * Ends the current train call after the epoch in progress (its listeners all run); for a
     * listener that decides to stop (Python's callback returning false).
     */
    public void stopAfterEpoch() {
        stopAfterEpoch = true;
    }

    /**
     * Returns the result of the run so far: the history, the speed, the memory, and the task's
     * predictions.
     *
     * @return the result
     */
    public RunReport result() {
        return new RunReport(task.getMeasureName(), history, resumedFrom, device.toString(),
                wallSeconds, task.reportPredictions(this::predict), memory.getRssMb(),
                ProcessMemory.peakResidentMb(), threads);
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
     * task's parameter file, for a caller that writes the file itself ({@link #getLastGoodEpoch}
     * is their epoch).
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
     * Predicts from {@code input} with the task (the language model: greedy text after a
     * prefix), on the thread policy's inference count; a stop request ends it between two tokens.
     *
     * @param input the prefix (its characters must be in the vocabulary), the source sentence
     * @param length the number of tokens to generate (at most)
     * @return the prediction
     */
    public String predict(String input, int length) {
        threads.beginInference(); // one OpenMP thread: see ThreadPolicy
        try {
            return task.predict(input, length, control);
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
     * Returns the task this session trains.
     *
     * @return the task
     */
    public TrainingTask getTask() {
        return task;
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
     * Returns what the measure is, as the task names it.
     *
     * @return e.g. "perplexity" or "loss"
     */
    public String getMeasureName() {
        return task.getMeasureName();
    }

    /**
     * Returns the measure of every finished epoch, counted over resumes.
     *
     * @return one value per epoch
     */
    public double[] getMeasure() {
        return history.stream().mapToDouble(EpochRecord::getMeasure).toArray();
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
     * Frees the kept last good parameters, and the task and every array of a session made by
     * {@link #open}/{@link #forPrediction}.
     */
    @Override
    public void close() {
        threads.close();
        lastGood.close();
        if (owner) {
            task.close();
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "TrainingSession[" + task.describeModel() + ", " + history.size() + " epochs]";
    }
}
