package djlbridge.seq2seq;

/**
 * What one epoch of {@link Seq2Seq#trainEpochSeq2Seq} measured: the summed loss of its sentences,
 * its target tokens, its wall time.
 */
public final class EpochResult {

    private final double lossSum;
    private final long tokens;
    private final double seconds;

    /**
     * Makes a result.
     *
     * @param lossSum the sum over sentences of the masked per-sentence loss
     * @param tokens the number of target tokens (the sum of the valid lengths)
     * @param seconds the wall time
     */
    public EpochResult(double lossSum, long tokens, double seconds) {
        this.lossSum = lossSum;
        this.tokens = tokens;
        this.seconds = seconds;
    }

    /**
     * Returns the summed loss.
     *
     * @return the sum over sentences of the per-sentence loss
     */
    public double getLossSum() {
        return lossSum;
    }

    /**
     * Returns the number of target tokens.
     *
     * @return the token count
     */
    public long getTokens() {
        return tokens;
    }

    /**
     * Returns the wall time.
     *
     * @return seconds
     */
    public double getSeconds() {
        return seconds;
    }

    /**
     * The book's plotted loss: the summed loss divided by the number of tokens.
     *
     * @return the loss
     */
    public double loss() {
        return lossSum / tokens;
    }

    /**
     * The book's speed: target tokens per second.
     *
     * @return tokens per second
     */
    public double tokensPerSecond() {
        return tokens / seconds;
    }

    @Override
    public String toString() {
        return String.format(
                java.util.Locale.ROOT, "loss %.4f, %d tokens, %.2f s", loss(), tokens, seconds);
    }
}
