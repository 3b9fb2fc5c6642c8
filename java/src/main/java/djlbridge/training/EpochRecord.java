package djlbridge.training;

/** The numbers of one finished epoch: perplexity, speed and the epoch's own wall time. */
public final class EpochRecord {

    private final int epoch;
    private final double perplexity;
    private final double tokensPerSec;
    private final double seconds;

    /**
     * Creates a record.
     *
     * @param epoch the epoch, counted from 1 over resumes
     * @param perplexity the training perplexity of the epoch
     * @param tokensPerSec tokens trained per second in the epoch
     * @param seconds the epoch's wall time (NaN for an epoch read back from a checkpoint)
     */
    public EpochRecord(int epoch, double perplexity, double tokensPerSec, double seconds) {
        this.epoch = epoch;
        this.perplexity = perplexity;
        this.tokensPerSec = tokensPerSec;
        this.seconds = seconds;
    }

    /** @return the epoch, counted from 1 over resumes */
    public int getEpoch() {
        return epoch;
    }

    /** @return the training perplexity */
    public double getPerplexity() {
        return perplexity;
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
        return String.format("epoch %d perplexity %.4f tokens/s %.1f", epoch, perplexity, tokensPerSec);
    }
}
