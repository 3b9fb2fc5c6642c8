package djlbridge.training;

/**
 * Ends the training when an epoch's measure is not finite (most often: the learning rate is too
 * large), with a {@link DivergedException} naming the epoch, the last finite value and the fix;
 * or, for a perplexity, impossible (below 1: an engine that computes wrongly, e.g. MXNet's
 * reference RNN kernels under {@code MXNET_MKLDNN_ENABLED=0} printed 0.000), naming the
 * environment. Added first to every {@link TrainingSession}, so a diverged epoch never reaches
 * the other listeners (nor the last-good parameters).
 */
public final class DivergenceCheck implements SessionListener {

    /** Below this an epoch's perplexity is impossible (1, less float32 rounding). */
    static final double MIN_PERPLEXITY = 1.0 - 1e-6;

    /** The name of the measure that can never be below 1 (exp of a mean cross-entropy). */
    static final String PERPLEXITY = "perplexity";

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        double value = record.getMeasure();
        if (PERPLEXITY.equals(record.getMeasureName()) && Double.isFinite(value)
                && value < MIN_PERPLEXITY) {
            // exp(mean cross-entropy) >= 1 for any model: the engine computed it wrongly
            throw new DivergedException(
                    record.getEpoch(),
                    String.format(
                            "the perplexity of epoch %d is %s, which no model can have (it is"
                                    + " at least 1): the engine computed it wrongly; unset the"
                                    + " MXNET_* and OpenMP variables of the environment, or run"
                                    + " djl-bridge doctor",
                            record.getEpoch(), value));
        }
        if (Double.isFinite(value)) {
            return;
        }
        double[] values = session.getMeasure();
        String last = values.length < 2 ? "none" : String.format("%.4g", values[values.length - 2]);
        String name = record.getMeasureName();
        throw new DivergedException(
                record.getEpoch(),
                String.format(
                        "training diverged at epoch %d: the %s is %s (last finite %s %s); lower"
                                + " the learning rate (--lr %s is too large)",
                        record.getEpoch(), name, record.getMeasure(), name, last,
                        session.getTask().getLearningRate()));
    }
}
