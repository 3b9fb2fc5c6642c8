package djlbridge;

import com.google.gson.JsonObject;

/**
 * {@link TrainSettings} in words and as JSON: the model described for messages, the settings with
 * the names of Python's {@code TrainConfig}.
 */
final class TrainSettingsText {

    private TrainSettingsText() {}

    /**
     * Describes the model of {@code s} in words (see {@link TrainSettings#describeModel}).
     *
     * @param s the settings
     * @param vocabSize the vocabulary size
     * @return e.g. "scratch gru with 256 hidden units and 28 tokens"
     */
    static String describeModel(TrainSettings s, int vocabSize) {
        int numLayers = s.getNumLayers();
        boolean bidirectional = s.isBidirectional();
        String units = s.getNumHiddens() + " hidden units";
        String layers = numLayers == 1 && !bidirectional ? units
                : numLayers + (bidirectional ? " bidirectional" : "")
                        + (numLayers == 1 ? " layer" : " layers") + " of " + units;
        return s.getImpl() + " " + s.getModelKind().getName() + " with " + layers + " and "
                + vocabSize + " tokens";
    }

    /**
     * Returns {@code s} as JSON (see {@link TrainSettings#toJsonObject}).
     *
     * @param s the settings
     * @return the JSON object
     */
    static JsonObject toJsonObject(TrainSettings s) {
        JsonObject o = new JsonObject();
        o.addProperty("model", s.getModelKind().getName());
        o.addProperty("impl", s.getImpl());
        o.addProperty("epochs", s.getNumEpochs());
        o.addProperty("lr", s.getLr());
        o.addProperty("clip", s.getClipTheta());
        o.addProperty("hidden", s.getNumHiddens());
        o.addProperty("layers", s.getNumLayers());
        o.addProperty("bidirectional", s.isBidirectional());
        o.addProperty("batch_size", s.getBatchSize());
        o.addProperty("num_steps", s.getNumSteps());
        o.addProperty("max_tokens", s.getMaxTokens());
        o.addProperty("random_iter", s.isRandomIter());
        o.addProperty("data", s.getDataPath() == null ? null : s.getDataPath().toString());
        o.addProperty("seed", s.getSeed());
        o.addProperty("device", s.getDevice());
        o.addProperty("hybridize", s.isHybridize());
        return o;
    }
}
