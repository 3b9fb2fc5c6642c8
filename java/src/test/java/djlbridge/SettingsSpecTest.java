package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import com.google.gson.JsonObject;
import java.util.Arrays;
import org.junit.Test;

/** The settings' defaults and checks come from the jar's settings.json, as Python's do. */
public class SettingsSpecTest {

    @Test
    public void theBuildersDefaultsAreTheSpecs() {
        SettingsSpec spec = SettingsSpec.get();
        JsonObject built = TrainSettings.builder().setDataPath("x").build().toJsonObject();
        for (String name : built.keySet()) {
            if (!"data".equals(name)) {
                assertEquals(name, spec.getDefault(name), built.get(name));
            }
        }
        assertEquals(Arrays.asList("gru", "lstm", "rnn"), spec.getChoices("model"));
        assertEquals(Arrays.asList("scratch", "concise"), spec.getChoices("impl"));
    }

    @Test
    public void eachCheckRefusesInTheFlagsWords() {
        assertRefused(TrainSettings.builder().setNumEpochs(0), "--epochs must be a whole number > 0, got 0");
        assertRefused(TrainSettings.builder().setBatchSize(-3), "--batch-size must be a whole number > 0, got -3");
        assertRefused(TrainSettings.builder().setLr(Float.NaN), "--lr must be a finite number > 0 (float32), got NaN");
        assertRefused(TrainSettings.builder().setClipTheta(0f), "--clip must be a finite number > 0 (float32), got 0.0");
        assertRefused(TrainSettings.builder().setImpl("Scratch"),
                "unknown impl 'Scratch' (--impl): use one of scratch, concise");
        assertRefused(TrainSettings.builder().setDevice("tpu"),
                "unknown device 'tpu' (--device): use one of auto, cpu, gpu");
    }

    private static void assertRefused(TrainSettings.Builder builder, String message) {
        try {
            builder.setDataPath("x").build();
            fail("accepted: " + message);
        } catch (IllegalArgumentException e) {
            assertEquals(message, e.getMessage());
        }
    }
}
