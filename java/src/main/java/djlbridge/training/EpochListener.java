package djlbridge.training;

/**
 * The per-epoch hook of a {@link SessionListener} alone: what the text's {@code trainCh8} takes
 * (a lambda, or from Python a plain function such as {@code djl_bridge.PerplexityPlot}, the
 * text's {@code Animator}). It has no default method, so JPype can stand a Python function in
 * for it (JPype's proxy of a functional interface cannot call an interface's default methods:
 * {@code SessionListener.onRunEnd} failed with {@code NoSuchMethodError}). The session runs it
 * as a {@link SessionListener} ({@link #asSessionListener}): still the one listener mechanism.
 */
@FunctionalInterface
public interface EpochListener {

    /**
     * Called after each epoch.
     *
     * @param session the session, with the epoch already in its history
     * @param record the epoch's numbers
     */
    void onEpoch(TrainingSession session, EpochRecord record);

    /**
     * Returns {@code listener} as a session listener (itself when it is one), or null.
     *
     * @param listener the hook, or null
     * @return the listener the session runs, or null
     */
    static SessionListener asSessionListener(EpochListener listener) {
        if (listener == null || listener instanceof SessionListener) {
            return (SessionListener) listener;
        }
        return listener::onEpoch;
    }
}
