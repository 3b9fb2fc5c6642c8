package djlbridge.training;

/**
 * Ends the training when an epoch's perplexity is not finite (most often: the learning rate is too
 * large), with a {@link DivergedException} naming the epoch, the last finite perplexity
 * and the fix. Added first to every {@link TrainingSession}, so a diverged epoch never reaches the
 * other listeners (nor the last-good parameters).
 */
public final class DivergenceCheck implements SessionListener {

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        if (Double.isFinite(record.getPerplexity())) {
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
