package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.util.Pair;

/**
 * A character-level recurrent language model, scratch or concise. It replaces the Java text's
 * {@code Object net} plus {@code instanceof}: {@link TimeMachine#trainCh8} and {@link
 * TimeMachine#predictCh8} only need these four members.
 */
public interface LanguageModel extends AutoCloseable {

    /**
     * Returns zero states for a batch: one array for GRU and RNN, (H, C) for LSTM.
     *
     * @param batchSize the batch size
     * @param device the device the states live on
     * @return the begin state
     */
    NDList beginState(int batchSize, Device device);

    /**
     * Runs the model over a batch of token indices.
     *
     * @param x token indices of shape (batch, steps)
     * @param state the state from {@link #beginState} or from the previous call
     * @param training whether this call is recorded for a backward pass
     * @return logits of shape (steps * batch, vocab), time-major, and the new state
     */
    Pair<NDArray, NDList> forward(NDArray x, NDList state, boolean training);

    /**
     * Returns the trainable arrays, each with its gradient attached, in a fixed order.
     *
     * @return the parameters
     */
    NDList getParams();

    /**
     * Returns the vocabulary size the model reads and predicts.
     *
     * @return the vocabulary size
     */
    int getVocabSize();

    /** Frees every array the model owns. */
    @Override
    void close();
}
