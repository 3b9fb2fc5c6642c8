package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.fail;

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
            assertEquals("unknown model 'LSTM' (--model): use one of gru, lstm, rnn", e.getMessage());
        }
    }

    @Test
    public void layersAndDirectionsAreModelSettings() {
        TrainSettings plain = TrainSettings.builder().setDataPath("x").build();
        assertEquals(1, plain.getNumLayers());
        assertEquals(false, plain.isBidirectional());
        assertEquals("scratch gru with 256 hidden units and 28 tokens", plain.describeModel(28));
        TrainSettings deep = TrainSettings.builder().setDataPath("x").setModel("lstm")
                .setImpl("concise").setNumLayers(2).setBidirectional(true).build();
        assertEquals("concise lstm with 2 bidirectional layers of 256 hidden units and 28 tokens",
                deep.describeModel(28));
        assertEquals(2, deep.toJsonObject().get("layers").getAsInt());
        assertEquals(true, deep.toJsonObject().get("bidirectional").getAsBoolean());
        try {
            TrainSettings.builder().setDataPath("x").setNumLayers(0).build();
            fail("0 layers were accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("--layers must be a whole number > 0, got 0", e.getMessage());
        }
        try {
            TrainSettings.builder().setDataPath("x").setBidirectional(true).build();
            fail("a bidirectional scratch model was accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("--bidirectional needs --impl concise: the scratch cells run one direction",
                    e.getMessage());
        }
    }
}
