package djlbridge.training;

import djlbridge.TimeMachine;

/**
 * Receives the numbers of each epoch from {@link TrainingSession#train} and {@link
 * TimeMachine#trainCh8}, after every {@link SessionListener}. Python implements it with a JPype
 * proxy to draw a progress bar, plot, checkpoint or stop, which is why it gets plain numbers.
 */
@FunctionalInterface
public interface EpochCallback {

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
