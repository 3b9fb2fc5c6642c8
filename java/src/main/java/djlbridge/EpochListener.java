package djlbridge;

/**
 * Receives progress from {@link TimeMachine#trainCh8} once per epoch (Python implements it with a
 * JPype proxy to draw a progress bar, plot, checkpoint or stop).
 */
@FunctionalInterface
public interface EpochListener {

    /**
     * Called after each epoch.
     *
     * @param epoch the epoch just finished, counted from 1
     * @param perplexity the training perplexity of that epoch
     * @param tokensPerSec the speed of that epoch
     * @return true to go on, false to stop after this epoch
     */
    boolean onEpoch(int epoch, double perplexity, double tokensPerSec);
}
