package djlbridge.training;

/**
 * What one epoch of a {@link TrainingTask} measured: the task's measure (the language model's
 * perplexity, sequence to sequence's loss) and its speed. The session adds the epoch's number and
 * wall time to make the {@link EpochRecord}.
 */
public final class EpochResult {

    private final double measure;
    private final double tokensPerSec;

    /**
     * Creates a result.
     *
     * @param measure the epoch's measure, as {@link TrainingTask#getMeasureName} names it; a
     *     non-finite value means the training diverged
     * @param tokensPerSec tokens trained per second in the epoch
     */
    public EpochResult(double measure, double tokensPerSec) {
        this.measure = measure;
        this.tokensPerSec = tokensPerSec;
    }

    /** @return the epoch's measure */
    public double getMeasure() {
        return measure;
    }

    /** @return tokens per second */
    public double getTokensPerSec() {
        return tokensPerSec;
    }
}
