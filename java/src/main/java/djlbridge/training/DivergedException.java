package djlbridge.training;

import ai.djl.TrainingDivergedException;

/**
 * Thrown when the training loss stops being finite (most often: the learning rate is too large):
 * DJL's {@link TrainingDivergedException}, with the epoch it happened in.
 */
public final class DivergedException extends TrainingDivergedException {

    private static final long serialVersionUID = 1L;

    private final int epoch;

    /**
     * Creates the exception.
     *
     * @param epoch the epoch whose loss was not finite, counted from 1
     * @param message the message
     */
    public DivergedException(int epoch, String message) {
        super(message);
        this.epoch = epoch;
    }

    /**
     * Returns the epoch whose loss was not finite.
     *
     * @return the epoch, counted from 1
     */
    public int getEpoch() {
        return epoch;
    }
}
