package djlbridge.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the parameters of the last epoch every earlier listener accepted, so that a run stopped
 * mid-epoch (Ctrl-C, SIGTERM) or diverging can still save the parameters of its last finished
 * epoch. Added after {@link DivergenceCheck}: a diverged epoch is never kept.
 *
 * <p>After each epoch only copies of the parameter arrays are taken, on the device, on a manager
 * of this object's own (the previous epoch's copies are freed then); the parameter file is
 * encoded from them only when {@link #encode} or {@link #write} asks for it. Close it to free the copies.
 */
public final class LastGoodParameters implements SessionListener, AutoCloseable {

    private final NDManager manager;
    private NDManager kept;
    private NDList values;
    private TrainingTask task;
    private int epoch = -1;
    private boolean closed;

    /**
     * Creates an empty keeper whose copies live on a sub-manager of {@code parent}.
     *
     * @param parent the manager the copies' manager is created under (the session's)
     */
    public LastGoodParameters(NDManager parent) {
        manager = parent.newSubManager();
    }

    /**
     * Takes the model's parameters now as the last good ones: copies of its arrays, which later
     * training does not change.
     *
     * @param task the task whose parameters to copy
     * @param epochsDone the epochs those parameters finished
     */
    public synchronized void keep(TrainingTask task, int epochsDone) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        NDManager next = manager.newSubManager();
        NDList copies = new NDList();
        try {
            for (NDArray p : task.getParameters()) {
                NDArray copy = p.duplicate();
                copy.attach(next);
                copies.add(copy);
            }
        } catch (RuntimeException e) {
            next.close();
            throw e;
        }
        if (kept != null) {
            kept.close();
        }
        kept = next;
        values = copies;
        this.task = task;
        epoch = epochsDone;
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        keep(session.getTask(), record.getEpoch());
    }

    /**
     * Encodes the kept parameters as the bytes of the model's parameter file ({@link
     * ParameterFiles}): the bytes the task's {@link TrainingTask#encodeParameters} gave when they were
     * kept (an NPZ file's entries are dated now, not then). Call it while the model is not
     * training on another thread.
     *
     * @return the file's bytes
     */
    public synchronized byte[] encode() {
        if (values == null) {
            throw new IllegalStateException(closed ? "closed" : "no parameters kept yet");
        }
        return task.encodeParameters(values);
    }

    /**
     * Writes the kept parameters as the model's parameter file: the bytes of {@link #encode()}.
     *
     * @param file the file to create or replace
     * @return the epoch those parameters belong to (0: untrained)
     * @throws IOException if the file cannot be written
     */
    public synchronized int write(Path file) throws IOException {
        Files.write(file, encode());
        return epoch;
    }

    /**
     * Returns the epoch of the kept parameters.
     *
     * @return the epoch, 0 before training, -1 before anything was kept
     */
    public synchronized int getEpoch() {
        return epoch;
    }

    /** The manager the copies live on (for tests that count its arrays). */
    NDManager getManager() {
        return manager;
    }

    /** Frees the kept copies; nothing can be written afterwards. */
    @Override
    public synchronized void close() {
        closed = true;
        manager.close();
        kept = null;
        values = null;
        task = null;
    }
}
