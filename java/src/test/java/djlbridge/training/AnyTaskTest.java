package djlbridge.training;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Collections;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.Test;

/**
 * The session runs a task that is not the language model: a measure named "loss", its own
 * parameter (one real array, moved by each epoch), its own predictions. The loop, divergence,
 * last-good parameters, resume and the report work for it as for the language model.
 */
public final class AnyTaskTest {

    /** One parameter w; each epoch w += 1 and the loss is the next of {@code losses}. */
    private static final class CountingTask implements TrainingTask {
        private final NDArray w;
        private final double[] losses;
        private int epochs;
        private int skipped;

        CountingTask(NDManager manager, double... losses) {
            w = manager.zeros(new ai.djl.ndarray.types.Shape(2));
            w.setName("w");
            this.losses = losses;
        }

        @Override
        public String getMeasureName() {
            return "loss";
        }

        @Override
        public float getLearningRate() {
            return 0.005f;
        }

        @Override
        public String describeModel() {
            return "a counter";
        }

        @Override
        public NDList getParameters() {
            return new NDList(w);
        }

        @Override
        public byte[] encodeParameters(NDList values) {
            return ParameterFiles.encode(null, getParameters(), values);
        }

        @Override
        public void loadParameters(byte[] bytes, String source) throws java.io.IOException {
            ParameterFiles.load(null, getParameters(), bytes, source, describeModel(),
                    w.getManager());
        }

        @Override
        public boolean canTrain() {
            return true;
        }

        @Override
        public EpochResult trainEpoch(StepCheck step) {
            step.check();
            w.addi(1f);
            return new EpochResult(losses[epochs++], 100.0);
        }

        @Override
        public void skipEpoch() {
            skipped++;
            epochs++;
        }

        @Override
        public String predict(String input, int length, StepCheck step) {
            step.check();
            return input + " -> " + (int) w.getFloat(0);
        }

        @Override
        public Map<String, String> reportPredictions(BiFunction<String, Integer, String> predict) {
            return Collections.singletonMap("go .", predict.apply("go .", 10));
        }

        @Override
        public void close() {}
    }

    @Test
    public void aLossTaskTrainsReportsAndResumes() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            byte[] afterTwo;
            try (TrainingSession s = TrainingSession.wrap(new CountingTask(m, 3.0, 2.0, 1.5),
                    Device.cpu(), m, null)) {
                s.train(2, null);
                assertArrayEquals(new double[] {3.0, 2.0}, s.getMeasure(), 0.0);
                afterTwo = s.encodeLastGood();
                JsonObject r = JsonParser.parseString(s.result().toJson()).getAsJsonObject();
                assertEquals(2, r.getAsJsonArray("loss").size());
                assertEquals(2.0, r.get("final_loss").getAsDouble(), 0.0);
                assertTrue(r.toString(), !r.has("perplexity"));
                assertEquals("go . -> 2", r.getAsJsonObject("predictions").get("go .").getAsString());
            }
            CountingTask again = new CountingTask(m, 3.0, 2.0, 1.5);
            try (TrainingSession s = TrainingSession.wrap(again, Device.cpu(), m, null)) {
                s.resume(afterTwo, "memory", 2, new double[] {3.0, 2.0}, new double[] {1, 1});
                assertEquals(2, again.skipped);
                assertEquals("w loaded", 2f, again.w.getFloat(0), 0f);
                s.train(3, null);
                assertArrayEquals(new double[] {3.0, 2.0, 1.5}, s.getMeasure(), 0.0);
                assertEquals(3, s.getLastGoodEpoch());
            }
        }
    }

    @Test
    public void aNonFiniteLossDivergesNamingTheLoss() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                TrainingSession s = TrainingSession.wrap(
                        new CountingTask(m, 4.0, Double.NaN, 1.0), Device.cpu(), m, null)) {
            try {
                s.train(3, null);
                fail("expected a DivergedException");
            } catch (DivergedException e) {
                assertEquals("training diverged at epoch 2: the loss is NaN (last finite loss 4.000);"
                        + " lower the learning rate (--lr 0.005 is too large)", e.getMessage());
                assertEquals(1, s.getEpochsDone());
                assertEquals(1, s.getLastGoodEpoch());
            }
        }
    }
}
