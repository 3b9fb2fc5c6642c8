package djlbridge.training;

import djlbridge.TimeMachine;

/**
 * A stop flag shared between the thread that trains and the one that asks it to stop (Python's
 * Ctrl-C and SIGTERM handlers). {@link TimeMachine#trainEpochCh8} checks it before every batch and
 * {@link TimeMachine#predictCh8} before every character, so a request ends the
 * run within one batch with a {@link StopRequestedException}. While a session trains, each check
 * is also a step of its {@link ThreadPolicy}.
 */
public final class TrainingControl {

    private volatile boolean stopRequested;
    private ThreadPolicy threads;

    /** Asks the training to stop before its next batch. Safe to call from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Throws if a stop was requested.
     *
     * @throws StopRequestedException after {@link #requestStop()}
     */
    public void check() {
        if (stopRequested) {
            throw new StopRequestedException("training stopped on request");
        }
        if (threads != null) {
            threads.step();
        }
    }

    /**
     * Makes every {@link #check} a step of {@code policy} (null: none); set and cleared by the
     * thread that trains.
     */
    void stepThreads(ThreadPolicy policy) {
        threads = policy;
    }
}
