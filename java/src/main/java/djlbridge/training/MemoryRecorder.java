package djlbridge.training;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the resident set size of the process after every epoch (see {@link ProcessMemory}); the
 * numbers go into {@link RunReport#getRssMb()}.
 */
public final class MemoryRecorder implements SessionListener {

    private final List<Double> rssMb = new ArrayList<>();

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        rssMb.add(ProcessMemory.residentMb());
    }

    /**
     * Returns the resident set size after each epoch of this run.
     *
     * @return MiB, one value per epoch trained in this process
     */
    public double[] getRssMb() {
        return rssMb.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
