package djlbridge.training;

/**
 * Ends the training when an epoch's measure is not finite (most often: the learning rate is too
 * large), with a {@link DivergedException} naming the epoch, the last finite value and the fix.
 * Added first to every {@link TrainingSession}, so a diverged epoch never reaches the other
 * listeners (nor the last-good parameters).
 */
public final class DivergenceCheck implements SessionListener {

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        if (Double.isFinite(record.getMeasure())) {
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
