package djlbridge;

/** Thrown when the training loss stops being finite (most often: the learning rate is too large). */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int epoch;

    /**
     * Creates the exception.
     *
     * @param epoch the epoch whose loss was not finite, counted from 1
     * @param message the message
     */
    public TrainingDivergedException(int epoch, String message) {
        super(message);
        this.epoch = epoch;
    }

    /**
     * Throws when an epoch's perplexity is not finite; the message names the epoch, the last
     * finite perplexity and the fix.
     *
     * @param epoch the epoch just trained, counted from 1
     * @param perplexity its perplexity
     * @param lastFinite the perplexity of the epoch before, or NaN when there is none
     * @param lr the learning rate used
     */
    public static void check(int epoch, double perplexity, double lastFinite, float lr) {
        if (Double.isFinite(perplexity)) {
            return;
        }
        String last = Double.isNaN(lastFinite) ? "none" : String.format("%.4g", lastFinite);
        throw new TrainingDivergedException(
                epoch,
                String.format(
                        "training diverged at epoch %d: the perplexity is %s (last finite"
                                + " perplexity %s); lower the learning rate (--lr %s is too large)",
                        epoch, perplexity, last, lr));
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
