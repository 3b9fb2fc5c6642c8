package djlbridge.training;

/**
 * A stop flag shared between the thread that trains and the one that asks it to stop (Python's
 * Ctrl-C and SIGTERM handlers). A task checks it before every batch and every generated token
 * (through the session's {@link StepCheck}), so a request ends the run within one batch with a
 * {@link StopRequestedException}. It only checks the flag: the thread policy's steps are the
 * session's business.
 */
public final class TrainingControl implements StepCheck {

    private volatile boolean stopRequested;

    /** Asks the training to stop before its next batch. Safe to call from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Throws if a stop was requested.
     *
     * @throws StopRequestedException after {@link #requestStop()}
     */
    @Override
    public void check() {
        if (stopRequested) {
            throw new StopRequestedException("training stopped on request");
        }
    }
}
