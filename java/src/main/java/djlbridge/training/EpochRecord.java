package djlbridge.training;

/**
 * The numbers of one finished epoch: the task's named measure (the language model's
 * "perplexity", sequence to sequence's "loss"), the speed and the epoch's own wall time.
 */
public final class EpochRecord {

    private final int epoch;
    private final String measureName;
    private final double measure;
    private final double tokensPerSec;
    private final double seconds;

    /**
     * Creates a record.
     *
     * @param epoch the epoch, counted from 1 over resumes
     * @param measureName what {@code measure} is ("perplexity", "loss")
     * @param measure the epoch's measure
     * @param tokensPerSec tokens trained per second in the epoch
     * @param seconds the epoch's wall time (NaN for an epoch read back from a checkpoint)
     */
    public EpochRecord(int epoch, String measureName, double measure, double tokensPerSec,
            double seconds) {
        this.epoch = epoch;
        this.measureName = measureName;
        this.measure = measure;
        this.tokensPerSec = tokensPerSec;
        this.seconds = seconds;
    }

    /** @return the epoch, counted from 1 over resumes */
    public int getEpoch() {
        return epoch;
    }

    /** @return what the measure is: "perplexity", "loss" */
    public String getMeasureName() {
        return measureName;
    }

    /** @return the epoch's measure */
    public double getMeasure() {
        return measure;
    }

    /** @return tokens per second */
    public double getTokensPerSec() {
        return tokensPerSec;
    }

    /** @return the epoch's wall seconds (NaN when read back from a checkpoint) */
    public double getSeconds() {
        return seconds;
    }

    @Override
    public String toString() {
        return String.format("epoch %d %s %.4f tokens/s %.1f", epoch, measureName, measure,
                tokensPerSec);
    }
}
