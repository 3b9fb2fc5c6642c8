package djlbridge.training;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.fail;

import djlbridge.ModelKind;
import org.junit.Test;

/** The model of {@link TrainSettings}: by name (as Python sets it) or by kind, and refused names. */
public class TrainSettingsTest {

    @Test
    public void theModelIsAKindByNameOrByKind() {
        assertSame(ModelKind.GRU, TrainSettings.builder().setDataPath("x").build().getModelKind());
        for (ModelKind kind : ModelKind.values()) {
            TrainSettings byName = TrainSettings.builder().setModel(kind.getName()).setDataPath("x").build();
            TrainSettings byKind = TrainSettings.builder().setModel(kind).setDataPath("x").build();
            assertSame(kind, byName.getModelKind());
            assertSame(kind, byKind.getModelKind());
            assertEquals(kind.getName(), byKind.getModel());
            assertEquals(kind.getName(), byKind.toJsonObject().get("model").getAsString());
        }
    }

    @Test
    public void anUnknownModelIsRefusedWhenBuilt() {
        try {
            TrainSettings.builder().setModel("LSTM").setDataPath("x").build();
            fail("an unknown model was accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("model must be gru, lstm or rnn, got 'LSTM'", e.getMessage());
        }
    }
}
