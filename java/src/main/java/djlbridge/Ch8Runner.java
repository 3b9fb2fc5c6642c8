package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One call from settings to result: a {@link TrainingSession} (seeded DJL, the dataset and the
 * model the settings name) trained for all epochs, then the text's two predictions; everything is
 * freed before returning. {@link Main} runs this and Python runs the same session, so the two
 * launchers train with the same code.
 */
public final class Ch8Runner {

    private Ch8Runner() {}

    /**
     * Runs one training.
     *
     * @param s the settings
     * @param listener receives each epoch, or null
     * @return the result
     * @throws IOException if the corpus cannot be read
     * @throws TranslateException if batching fails
     */
    public static TrainingResult run(TrainSettings s, EpochListener listener)
            throws IOException, TranslateException {
        try (TrainingSession session = TrainingSession.open(s, null)) {
            long start = System.nanoTime();
            session.train(s.getNumEpochs(), listener);
            double wall = (System.nanoTime() - start) / 1e9;
            Map<String, String> predictions = new LinkedHashMap<>();
            for (String prefix : TimeMachine.PREFIXES) {
                predictions.put(prefix, session.predict(prefix, 50));
            }
            return new TrainingResult(
                    session.getPerplexity(), session.getEpochTokensPerSec(), session.getDeviceName(),
                    wall, predictions);
        }
    }

    /**
     * Creates the model the settings name.
     *
     * @param s the settings
     * @param vocabSize the vocabulary size
     * @param device the device
     * @param manager the parent manager
     * @return the model, initialized
     */
    public static LanguageModel newModel(
            TrainSettings s, int vocabSize, Device device, NDManager manager) {
        if ("concise".equals(s.getImpl())) {
            return RNNModel.of(s.getModel(), vocabSize, s.getNumHiddens()).initialize(manager, device);
        }
        return RNNModelScratch.of(s.getModel(), vocabSize, s.getNumHiddens(), device, manager);
    }
}
