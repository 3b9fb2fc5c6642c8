package djlbridge;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/** Stop flag, save/load, resume and divergence of {@link TrainingSession}, on the real engine. */
public final class TrainingSessionTest {

    private static TrainSettings.Builder tiny(String impl) {
        return TrainSettings.builder()
                .setImpl(impl)
                .setModel("gru")
                .setNumHiddens(16)
                .setBatchSize(4)
                .setNumSteps(5)
                .setMaxTokens(600)
                .setRandomIter(true)
                .setSeed(3)
                .setDevice("cpu")
                .setDataPath(System.getProperty("djlbridge.corpus"));
    }

    @Test
    public void resumeGivesTheSamePerplexities() throws Exception {
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = tiny(impl).setNumEpochs(3).build();
            double[] full;
            try (TrainingSession a = TrainingSession.open(s, null)) {
                a.train(3, null);
                full = a.getPerplexity();
            }
            Path dir = Files.createTempDirectory("ckpt");
            Path params = dir.resolve(TrainingSession.paramsFileName(impl));
            double[] first;
            double[] speed;
            try (TrainingSession b = TrainingSession.open(s, null)) {
                b.train(1, null);
                assertEquals(1, b.writeLastGood(params));
                first = b.getPerplexity();
                speed = b.getEpochTokensPerSec();
            }
            try (TrainingSession c = TrainingSession.open(s, null)) {
                c.resume(params, 1, first, speed);
                c.train(3, null);
                assertArrayEquals(impl, full, c.getPerplexity(), 0.0);
            }
        }
    }

    @Test
    public void stopRequestEndsTheEpochAndKeepsTheLastGood() throws Exception {
        TrainingControl control = new TrainingControl();
        try (TrainingSession s = TrainingSession.open(tiny("scratch").build(), control)) {
            s.train(1, null);
            control.requestStop();
            try {
                s.train(5, null);
                fail("expected a TrainingInterruptedException");
            } catch (TrainingInterruptedException e) {
                assertEquals(1, s.getEpochsDone());
                assertEquals(1, s.getLastGoodEpoch());
            }
        }
    }

    @Test
    public void savedParametersPredictTheSame() throws Exception {
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = tiny(impl).build();
            Path params = Files.createTempDirectory("ckpt").resolve(TrainingSession.paramsFileName(impl));
            String expected;
            List<String> vocab;
            try (TrainingSession t = TrainingSession.open(s, null)) {
                t.train(2, null);
                t.writeLastGood(params);
                expected = t.predict("time traveller", 20);
                vocab = t.getIdxToToken();
            }
            try (TrainingSession p = TrainingSession.forPrediction(s, vocab, params)) {
                assertEquals(impl, expected, p.predict("time traveller", 20));
            }
        }
    }

    @Test
    public void divergenceNamesTheEpochAndKeepsTheLastGood() throws Exception {
        TrainSettings s = TrainSettings.builder()
                .setImpl("scratch").setModel("rnn").setNumHiddens(16).setBatchSize(4).setNumSteps(5)
                .setMaxTokens(500).setLr(400f).setSeed(42).setDevice("cpu")
                .setDataPath(System.getProperty("djlbridge.corpus")).build();
        try (TrainingSession t = TrainingSession.open(s, null)) {
            try {
                t.train(8, null);
                fail("expected a TrainingDivergedException");
            } catch (TrainingDivergedException e) {
                assertEquals(2, e.getEpoch());
                assertEquals(1, t.getLastGoodEpoch());
                assertTrue(e.getMessage(), e.getMessage().contains("lower the learning rate"));
            }
        }
    }

    @Test
    public void parametersOfAnotherModelAreRefused() throws Exception {
        TrainSettings small = tiny("scratch").build();
        Path params = Files.createTempDirectory("ckpt").resolve("params.npz");
        List<String> vocab;
        try (TrainingSession t = TrainingSession.open(small, null)) {
            t.writeLastGood(params);
            vocab = t.getIdxToToken();
        }
        TrainSettings bigger = tiny("scratch").setNumHiddens(32).build();
        try (TrainingSession p = TrainingSession.forPrediction(bigger, vocab, params)) {
            fail("expected an IOException, got " + p);
        } catch (java.io.IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("does not hold the parameters"));
        }
    }
}
