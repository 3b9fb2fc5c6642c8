package djlbridge.training;

/**
 * Something that reacts to each finished epoch of a {@link TrainingSession}, in the style of DJL's
 * {@code ai.djl.training.listener.TrainingListener} (which listens to DJL's {@code Trainer}, not to
 * this session, hence another name): the divergence check, the last-good parameters and the
 * memory record are session listeners; Python's progress/checkpoint callback is an {@link
 * EpochCallback}, called after them.
 *
 * <p>A listener runs after the epoch is added to the session's history, in the order the
 * listeners were added; an exception ends {@link TrainingSession#train}. Only the divergence
 * check, which runs first, takes the epoch back out of the history (a non-finite epoch never
 * counts); any later listener sees an epoch that counted.
 */
public interface SessionListener {

    /**
     * Called after each epoch.
     *
     * @param session the session, with the epoch already in its history
     * @param record the epoch's numbers
     */
    void onEpoch(TrainingSession session, EpochRecord record);
}
