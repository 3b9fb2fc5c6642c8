package djlbridge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps, in memory, the parameter file of the last epoch every earlier listener accepted, so that a
 * run stopped mid-epoch (Ctrl-C, SIGTERM) or diverging can still save the parameters of its last
 * finished epoch. Added after {@link DivergenceCheckListener}: a diverged epoch is never kept.
 */
public final class LastGoodParameters implements TrainingListener {

    private byte[] bytes;
    private int epoch = -1;

    /**
     * Takes the model's parameters now as the last good ones.
     *
     * @param net the model
     * @param epochsDone the epochs those parameters finished
     */
    public void keep(LanguageModel net, int epochsDone) {
        bytes = ParameterFiles.encode(net);
        epoch = epochsDone;
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(TrainingSession session, EpochRecord record) {
        keep(session.getModel(), record.getEpoch());
    }

    /**
     * Writes the kept parameter file.
     *
     * @param file the file to create or replace
     * @return the epoch those parameters belong to (0: untrained)
     * @throws IOException if the file cannot be written
     */
    public int write(Path file) throws IOException {
        if (bytes == null) {
            throw new IllegalStateException("no parameters kept yet");
        }
        Files.write(file, bytes);
        return epoch;
    }

    /**
     * Returns the epoch of the kept parameters.
     *
     * @return the epoch, 0 before training, -1 before anything was kept
     */
    public int getEpoch() {
        return epoch;
    }
}
