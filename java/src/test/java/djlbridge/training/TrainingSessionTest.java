package djlbridge.training;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import djlbridge.LanguageModel;
import djlbridge.LanguageModelTask;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import djlbridge.TrainSettings;
import djlbridge.VocabTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Test;

/**
 * Training, stop flag, save/load, resume and divergence of {@link TrainingSession}, on the real
 * engine.
 */
public final class TrainingSessionTest {

    /** A tiny GRU configuration on the test corpus (also used by other tests of the package). */
    public static TrainSettings.Builder tiny(String impl) {
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
            try (TrainingSession a = LanguageModelTask.open(s, null)) {
                a.train(3, null);
                full = a.getMeasure();
            }
            Path dir = Files.createTempDirectory("ckpt");
            Path params = dir.resolve(ParameterFiles.fileName(impl));
            double[] first;
            double[] speed;
            try (TrainingSession b = LanguageModelTask.open(s, null)) {
                b.train(1, null);
                assertEquals(1, b.writeLastGood(params));
                first = b.getMeasure();
                speed = b.getEpochTokensPerSec();
            }
            try (TrainingSession c = LanguageModelTask.open(s, null)) {
                c.resume(Files.readAllBytes(params), params.toString(), 1, first, speed);
                c.train(3, null);
                assertArrayEquals(impl, full, c.getMeasure(), 0.0);
            }
        }
    }

    @Test
    public void stopRequestEndsTheEpochAndKeepsTheLastGood() throws Exception {
        TrainingControl control = new TrainingControl();
        try (TrainingSession s = LanguageModelTask.open(tiny("scratch").build(), control)) {
            s.train(1, null);
            control.requestStop();
            try {
                s.train(5, null);
                fail("expected a StopRequestedException");
            } catch (StopRequestedException e) {
                assertEquals(1, s.getEpochsDone());
                assertEquals(1, s.getLastGoodEpoch());
            }
        }
    }

    @Test
    public void savedParametersPredictTheSame() throws Exception {
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = tiny(impl).build();
            Path params = Files.createTempDirectory("ckpt").resolve(ParameterFiles.fileName(impl));
            String expected;
            List<String> vocab;
            try (TrainingSession t = LanguageModelTask.open(s, null)) {
                t.train(2, null);
                t.writeLastGood(params);
                expected = t.predict("time traveller", 20);
                vocab = ((LanguageModelTask) t.getTask()).getIdxToToken();
            }
            try (TrainingSession p = LanguageModelTask.forPrediction(s, vocab, params, null)) {
                assertEquals(impl, expected, p.predict("time traveller", 20));
            }
        }
    }

    @Test
    public void parametersGoInAndOutAsBytesNamedByTheirSource() throws Exception {
        // Python reads (and verifies) a checkpoint's files and writes them: Java gets and gives
        // bytes, and names the file it was told in messages, without opening it.
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = tiny(impl).build();
            Path params = Files.createTempDirectory("ckpt").resolve(ParameterFiles.fileName(impl));
            byte[] bytes;
            String expected;
            List<String> vocab;
            try (TrainingSession t = LanguageModelTask.open(s, null)) {
                t.train(1, null);
                bytes = t.encodeLastGood();
                assertEquals(1, t.writeLastGood(params));
                expected = t.predict("time traveller", 20);
                vocab = ((LanguageModelTask) t.getTask()).getIdxToToken();
            }
            assertArrayEquals(impl, Files.readAllBytes(params), bytes);
            String source = "/nowhere/dätä/" + ParameterFiles.fileName(impl);
            TrainSettings noCorpus = tiny(impl).setDataPath(null).build();
            try (TrainingSession p = LanguageModelTask.forPrediction(noCorpus, vocab, bytes, source, null)) {
                assertEquals(impl, expected, p.predict("time traveller", 20));
            }
            byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length / 2);
            try (TrainingSession p = LanguageModelTask.forPrediction(s, vocab, cut, source, null)) {
                fail("expected an IOException, got " + p);
            } catch (java.io.IOException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith(source + " "));
            }
            try (TrainingSession c = LanguageModelTask.open(s, null)) {
                c.resume(bytes, source, 1, new double[] {9.0}, new double[] {1.0});
                assertEquals(1, c.getEpochsDone());
            }
        }
    }

    @Test
    public void divergenceNamesTheEpochAndKeepsTheLastGood() throws Exception {
        TrainSettings s = TrainSettings.builder()
                .setImpl("scratch").setModel("rnn").setNumHiddens(16).setBatchSize(4).setNumSteps(5)
                .setMaxTokens(500).setLr(400f).setSeed(42).setDevice("cpu")
                .setDataPath(System.getProperty("djlbridge.corpus")).build();
        try (TrainingSession t = LanguageModelTask.open(s, null)) {
            try {
                t.train(8, null);
                fail("expected a DivergedException");
            } catch (DivergedException e) {
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
        try (TrainingSession t = LanguageModelTask.open(small, null)) {
            t.writeLastGood(params);
            vocab = ((LanguageModelTask) t.getTask()).getIdxToToken();
        }
        TrainSettings bigger = tiny("scratch").setNumHiddens(32).build();
        try (TrainingSession p = LanguageModelTask.forPrediction(bigger, vocab, params, null)) {
            fail("expected an IOException, got " + p);
        } catch (java.io.IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("does not hold the parameters"));
        }
    }

    @Test
    public void listenersSeeEachAcceptedEpochInOrder() throws Exception {
        List<Integer> seen = new java.util.ArrayList<>();
        try (TrainingSession t = LanguageModelTask.open(tiny("scratch").build(), null)) {
            t.addListener((session, record) -> {
                // The epoch is already in the history and its parameters are the last good ones.
                assertEquals(record.getEpoch(), session.getEpochsDone());
                assertEquals(record.getEpoch(), session.getLastGoodEpoch());
                seen.add(record.getEpoch());
            });
            List<String> calls = new java.util.ArrayList<>();
            t.train(3, new SessionListener() {
                @Override
                public void onRunStart(TrainingSession session) {
                    calls.add("start");
                }

                @Override
                public void onEpoch(TrainingSession session, EpochRecord record) {
                    calls.add("perplexity".equals(record.getMeasureName()) ? "epoch" : "?");
                    if (record.getEpoch() == 2) {
                        session.stopAfterEpoch(); // the run ends there
                    }
                }

                @Override
                public void onRunEnd(TrainingSession session) {
                    calls.add("end");
                }
            });
            assertEquals(java.util.Arrays.asList(1, 2), seen);
            assertEquals(java.util.Arrays.asList("start", "epoch", "epoch", "end"), calls);
            RunReport r = t.result();
            assertEquals(2, r.getEpochsDone());
            assertEquals(2, r.getRssMb().length);
            assertEquals(2, r.getEpochSeconds().length);
            // tokens/s: the median without the first epoch, i.e. the second epoch's speed here.
            assertEquals(r.getEpochTokensPerSec()[1], r.getTokensPerSec(), 0.0);
            assertTrue(r.toJson(), r.toJson().contains("\"predictions\":{\"time traveller\":\"time traveller"));
        }
    }

    @Test
    public void theTextsTrainCh8RunsTheSameLoop() throws Exception {
        TrainSettings s = tiny("scratch").build();
        double[] viaSession;
        try (TrainingSession t = LanguageModelTask.open(s, null)) {
            t.train(2, null);
            viaSession = t.getMeasure();
        }
        // The text's way: its own manager, dataset and model, then trainCh8.
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) s.getSeed());
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            TimeMachineDataset dataset = TimeMachineDataset.builder().setManager(manager)
                    .setMaxTokens(s.getMaxTokens()).setSampling(s.getBatchSize(), s.isRandomIter())
                    .setSteps(s.getNumSteps()).setDataPath(s.getDataPath()).optSeed(s.getSeed()).build();
            dataset.prepare();
            LanguageModel net = s.newModel(dataset.getVocab().length(), ai.djl.Device.cpu(), manager);
            RunReport r = TimeMachine.trainCh8(net, dataset, dataset.getVocab(), s.getLr(),
                    s.getClipTheta(), 2, ai.djl.Device.cpu(), s.isRandomIter(), manager, null);
            assertArrayEquals(viaSession, r.getMeasure(), 0.0);
            assertTrue(r.getPredictions().get("traveller").startsWith("traveller"));
        }
    }

    @Test
    public void predictionStopsOnRequest() throws Exception {
        TrainingControl control = new TrainingControl();
        try (TrainingSession t = LanguageModelTask.open(tiny("concise").build(), control)) {
            control.requestStop();
            try {
                t.predict("time traveller", 1_000_000);
                fail("expected a StopRequestedException");
            } catch (StopRequestedException e) {
                assertTrue(e.getMessage().contains("stopped on request"));
            }
        }
    }

    @Test
    public void bothImplsLearnAndPredict() throws Exception {
        for (String impl : new String[] {"scratch", "concise"}) {
            TrainSettings s = TrainSettings.builder()
                    .setImpl(impl).setModel("gru").setNumEpochs(6).setNumHiddens(32)
                    .setBatchSize(8).setNumSteps(10).setMaxTokens(2000).setSeed(5)
                    .setDataPath(VocabTest.corpus().toString()).setDevice("cpu").build();
            RunReport r;
            try (TrainingSession session = LanguageModelTask.open(s, null)) {
                session.train(s.getNumEpochs(), null);
                r = session.result();
            }
            double[] ppl = r.getMeasure();
            assertEquals(6, ppl.length);
            assertTrue(impl + " " + java.util.Arrays.toString(ppl), ppl[5] < ppl[0] * 0.9);
            assertTrue(r.getPredictions().get("time traveller").startsWith("time traveller"));
            assertEquals("cpu()", r.getDevice());
        }
    }

    @Test
    public void divergingLossStopsWithAClearError() throws Exception {
        TrainSettings s = TrainSettings.builder()
                .setNumEpochs(20).setNumHiddens(16).setBatchSize(8).setNumSteps(10)
                .setMaxTokens(1000).setLr(1e30f).setClipTheta(1e30f).setSeed(1)
                .setDataPath(VocabTest.corpus().toString()).setDevice("cpu").build();
        try (TrainingSession session = LanguageModelTask.open(s, null)) {
            try {
                session.train(s.getNumEpochs(), null);
                throw new AssertionError("expected divergence");
            } catch (DivergedException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("lower the learning rate"));
                // The diverged epoch never counted: history and last good end at the epoch before.
                assertEquals(e.getEpoch() - 1, session.getEpochsDone());
                assertEquals(e.getEpoch() - 1, session.getLastGoodEpoch());
                for (double p : session.getMeasure()) {
                    assertTrue(Double.isFinite(p));
                }
            }
        }
    }
}
