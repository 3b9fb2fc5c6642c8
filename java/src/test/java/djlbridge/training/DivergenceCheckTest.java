package djlbridge.training;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import djlbridge.LanguageModelTask;
import djlbridge.TrainSettings;
import org.junit.Test;

/** {@link DivergenceCheck}: a non-finite or impossible perplexity stops the run in one line. */
public class DivergenceCheckTest {

    private static String stopped(TrainingSession session, double perplexity) {
        try {
            new DivergenceCheck().onEpoch(session, new EpochRecord(1, "perplexity", perplexity, 100, 1));
        } catch (DivergedException e) {
            assertEquals(1, e.getEpoch());
            return e.getMessage();
        }
        return null;
    }

    @Test
    public void aPerplexityBelowOneIsImpossibleAndStopsTheRun() throws Exception {
        TrainSettings s = TrainingSessionTest.tiny("scratch").setNumEpochs(1).build();
        try (TrainingSession session = LanguageModelTask.open(s, null)) {
            String message = stopped(session, 0.0);
            if (message == null) {
                fail("a perplexity of 0 went on as a number");
            }
            assertTrue(message, message.startsWith(
                    "the perplexity of epoch 1 is 0.0, which no model can have (it is at least 1)"));
            assertTrue(stopped(session, 0.999).contains("no model can have"));
            assertTrue(stopped(session, Double.NaN).startsWith("training diverged at epoch 1"));
            assertEquals("1 is a perfect model's", null, stopped(session, 1.0));
            assertEquals(null, stopped(session, 1.0 - 1e-9)); // float32 rounding of 1
            assertEquals(null, stopped(session, 17.5));
        }
    }

    @Test
    public void aLossBelowOneIsNoDivergence() throws Exception {
        TrainSettings s = TrainingSessionTest.tiny("scratch").setNumEpochs(1).build();
        try (TrainingSession session = LanguageModelTask.open(s, null)) {
            new DivergenceCheck().onEpoch(session, new EpochRecord(1, "loss", 0.02, 100, 1));
        }
    }
}
