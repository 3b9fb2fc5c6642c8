package djlbridge.training;

/**
 * Ends the training when an epoch's perplexity is not finite (most often: the learning rate is too
 * large), with a {@link DivergedException} naming the epoch, the last finite perplexity
 * and the fix; or impossible (below 1: an engine that computes wrongly, e.g. MXNet's reference
 * RNN kernels under {@code MXNET_MKLDNN_ENABLED=0} printed 0.000), naming the environment. Added first to every {@link TrainingSession}, so a diverged epoch never reaches the
 * other listeners (nor the last-good parameters).
 */
public final class DivergenceCheck implements SessionListener {

    /** Below this an epoch's perplexity is impossible (1, less float32 rounding). */
    static final double MIN_PERPLEXITY = 1.0 - 1e-6;

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        double perplexity = record.getPerplexity();
        if (Double.isFinite(perplexity) && perplexity < MIN_PERPLEXITY) {
            // exp(mean cross-entropy) >= 1 for any model: the engine computed it wrongly
            throw new DivergedException(
                    record.getEpoch(),
                    String.format(
                            "the perplexity of epoch %d is %s, which no model can have (it is"
                                    + " at least 1): the engine computed it wrongly; unset the"
                                    + " MXNET_* and OpenMP variables of the environment, or run"
                                    + " djl-bridge doctor",
                            record.getEpoch(), perplexity));
        }
        if (Double.isFinite(perplexity)) {
            return;
        }
        double[] ppl = session.getPerplexity();
        String last = ppl.length < 2 ? "none" : String.format("%.4g", ppl[ppl.length - 2]);
        throw new DivergedException(
                record.getEpoch(),
                String.format(
                        "training diverged at epoch %d: the perplexity is %s (last finite"
                                + " perplexity %s); lower the learning rate (--lr %s is too large)",
                        record.getEpoch(), record.getPerplexity(), last, session.getLr()));
    }
}
