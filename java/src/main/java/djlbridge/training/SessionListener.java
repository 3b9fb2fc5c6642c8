package djlbridge.training;

/**
 * Something that reacts to a {@link TrainingSession}'s run, in the style of DJL's {@code
 * ai.djl.training.listener.TrainingListener} (which listens to DJL's {@code Trainer}, not to this
 * session, hence another name): the divergence check, the last-good parameters and the memory
 * record are session listeners, and so is the caller's per-epoch callback (Python's progress,
 * checkpoints and plot: a JPype proxy of this interface). The one per-epoch mechanism.
 *
 * <p>{@link #onEpoch} runs after the epoch is added to the session's history, in the order the
 * listeners were added (the built-in ones first, then {@link TrainingSession#addListener}'s, then
 * the one given to {@link TrainingSession#train}); an exception ends the train call. Only the
 * divergence check, which runs first, takes the epoch back out of the history (a non-finite epoch
 * never counts); any later listener sees an epoch that counted. A listener ends the run after the
 * current epoch with {@link TrainingSession#stopAfterEpoch}.
 */
@FunctionalInterface
public interface SessionListener extends EpochListener {

    /**
     * Called when a train call starts, before its first batch.
     *
     * @param session the session
     */
    default void onRunStart(TrainingSession session) {}

    /**
     * Called after each epoch.
     *
     * @param session the session, with the epoch already in its history
     * @param record the epoch's numbers
     */
    @Override
    void onEpoch(TrainingSession session, EpochRecord record);

    /**
     * Called when a train call ends, normally or not (a stop request, a divergence).
     *
     * @param session the session
     */
    default void onRunEnd(TrainingSession session) {}
}
