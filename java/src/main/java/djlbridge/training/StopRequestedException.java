package djlbridge.training;

/**
 * Thrown between two batches when a {@link TrainingControl} asked the training to stop. The epoch
 * in progress is abandoned; the parameters of the last finished epoch stay available from {@link
 * TrainingSession#writeLastGood}.
 */
public final class StopRequestedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the message
     */
    public StopRequestedException(String message) {
        super(message);
    }
}
