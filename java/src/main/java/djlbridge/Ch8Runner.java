package djlbridge;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/**
 * One call from settings to result: seeds DJL, builds the dataset and the model the settings name,
 * trains with {@link TimeMachine#trainCh8} and frees everything. Python and {@link Main} both go
 * through here, so the two launchers run the same code.
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
        Device device = TimeMachine.pickDevice(s.getDevice());
        Engine.getInstance().setRandomSeed((int) s.getSeed());
        try (NDManager manager = NDManager.newBaseManager(device)) {
            TimeMachineDataset dataset =
                    TimeMachineDataset.builder()
                            .setManager(manager)
                            .setMaxTokens(s.getMaxTokens())
                            .setSampling(s.getBatchSize(), s.isRandomIter())
                            .setSteps(s.getNumSteps())
                            .setDataPath(s.getDataPath())
                            .optSeed(s.getSeed())
                            .build();
            dataset.prepare();
            Vocab vocab = dataset.getVocab();
            try (LanguageModel net = newModel(s, vocab.length(), device, manager)) {
                return TimeMachine.trainCh8(
                        net, dataset, vocab, s.getLr(), s.getClipTheta(), s.getNumEpochs(), device,
                        s.isRandomIter(), manager, listener);
            }
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
