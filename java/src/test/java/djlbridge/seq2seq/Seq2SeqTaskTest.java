package djlbridge.seq2seq;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import djlbridge.training.EpochRecord;
import djlbridge.training.EpochResult;
import djlbridge.training.RunReport;
import djlbridge.training.SessionListener;
import djlbridge.training.StopRequestedException;
import djlbridge.training.TrainingControl;
import djlbridge.training.TrainingSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@link Seq2SeqTask} trained by the one {@link TrainingSession}, on a tiny file. */
public class Seq2SeqTaskTest {

    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    private Seq2SeqSettings tiny(int epochs) throws Exception {
        Path file = tmp.newFile("fra.txt").toPath();
        Files.write(file, (NMTTest.TINY + NMTTest.TINY).getBytes(StandardCharsets.UTF_8));
        return Seq2SeqSettings.builder().setDataPath(file.toString()).setEmbedSize(16)
                .setNumHiddens(32).setDropout(0f).setBatchSize(4).setNumSteps(6)
                .setNumExamples(1000).setLr(0.01f).setNumEpochs(epochs).setDevice("cpu").build();
    }

    @Test
    public void trainsThroughTheSessionWithAFallingFiniteLoss() throws Exception {
        List<EpochRecord> seen = new ArrayList<>();
        SessionListener collect = new SessionListener() {
            @Override
            public void onEpoch(TrainingSession session, EpochRecord record) {
                seen.add(record);
            }
        };
        try (TrainingSession s = Seq2SeqTask.open(tiny(12), null)) {
            assertEquals(12, s.train(12, collect));
            assertEquals(12, seen.size());
            assertEquals("loss", seen.get(0).getMeasureName());
            double[] loss = s.getMeasure();
            for (double l : loss) {
                assertTrue("loss " + l, Double.isFinite(l) && l > 0);
            }
            assertTrue("loss " + loss[0] + " -> " + loss[11], loss[11] < 0.7 * loss[0]);
            RunReport r = s.result();
            Map<String, String> p = r.getPredictions();
            assertEquals(Seq2SeqTask.SOURCES, new ArrayList<>(p.keySet()));
            for (String line : p.values()) {
                assertTrue(line, line.matches(".*, bleu [01]\\.\\d{3}"));
            }
            assertTrue(r.toJson(), r.toJson().contains("\"loss\""));
        }
    }

    @Test
    public void aStopRequestIsHonouredBeforeTheNextBatch() throws Exception {
        TrainingControl control = new TrainingControl();
        try (TrainingSession s = Seq2SeqTask.open(tiny(5), control)) {
            s.train(1, null);
            control.requestStop();
            try {
                s.train(5, null);
                fail("trained on after a stop request");
            } catch (StopRequestedException expected) {
                assertEquals(1, s.getEpochsDone());
            }
        }
    }

    @Test
    public void encodedParametersLoadIntoAFreshModelAndTranslateTheSame() throws Exception {
        Seq2SeqSettings settings = tiny(6);
        List<String> before = new ArrayList<>();
        byte[] params;
        try (TrainingSession s = Seq2SeqTask.open(settings, null)) {
            s.train(6, null);
            params = s.encodeLastGood();
            for (String src : Seq2SeqTask.SOURCES) {
                before.add(s.predict(src, 6));
            }
        }
        Seq2SeqSettings other = Seq2SeqSettings.builder().setDataPath(
                settings.getDataPath().toString()).setEmbedSize(16).setNumHiddens(32)
                .setDropout(0f).setBatchSize(4).setNumSteps(6).setNumExamples(1000)
                .setSeed(7).setDevice("cpu").build();
        try (TrainingSession s = Seq2SeqTask.open(other, null)) {
            s.getTask().loadParameters(params, "params.npz");
            List<String> after = new ArrayList<>();
            for (String src : Seq2SeqTask.SOURCES) {
                after.add(s.predict(src, 6));
            }
            assertEquals(before, after);
        }
    }

    @Test
    public void theTextsTrainSeq2SeqRunsTheSession() throws Exception {
        // the same epochs through trainSeq2Seq (wrap) and through open: the same losses
        Seq2SeqSettings s = tiny(3);
        double[] opened;
        try (TrainingSession session = Seq2SeqTask.open(s, null)) {
            session.train(3, null);
            opened = session.getMeasure();
        }
        Engine.getInstance().setRandomSeed(0);
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> d =
                    NMT.loadDataNMT(s.getDataPath(), 4, 6, 1000, m);
            EncoderDecoder net = new EncoderDecoder(
                    new Seq2SeqEncoder(d.getValue().getKey().length(), 16, 32, 2, 0f),
                    new Seq2SeqDecoder(d.getValue().getValue().length(), 16, 32, 2, 0f));
            Seq2Seq.initialize(net, m, 6, 0);
            List<EpochResult> r =
                    Seq2Seq.trainSeq2Seq(net, d.getKey(), 0.01f, 3, d.getValue().getValue(), m);
            for (int e = 0; e < 3; e++) {
                assertEquals(opened[e], r.get(e).getMeasure(), 1e-6);
            }
        }
    }

    @Test
    public void aPredictionSessionFromACheckpointsBytesTranslatesAsTheTrainedModel()
            throws Exception {
        Seq2SeqSettings settings = tiny(4);
        byte[] data = Files.readAllBytes(settings.getDataPath());
        List<String> before = new ArrayList<>();
        List<String> src;
        List<String> tgt;
        byte[] params;
        try (TrainingSession s = Seq2SeqTask.open(settings, data, "fra.txt", null)) {
            s.train(4, null);
            params = s.encodeLastGood();
            Seq2SeqTask task = (Seq2SeqTask) s.getTask();
            src = task.getSrcIdxToToken();
            tgt = task.getTgtIdxToToken();
            for (String sentence : Seq2SeqTask.SOURCES) {
                before.add(s.predict(sentence, 6));
            }
        }
        Files.delete(settings.getDataPath()); // the prediction session reads no data
        try (TrainingSession s = Seq2SeqTask.forPrediction(settings, src, tgt, params,
                "model.params", null)) {
            List<String> after = new ArrayList<>();
            for (String sentence : Seq2SeqTask.SOURCES) {
                after.add(s.predict(sentence, 6));
            }
            assertEquals(before, after);
        }
        byte[] cut = java.util.Arrays.copyOf(params, params.length / 2);
        try (TrainingSession s = Seq2SeqTask.forPrediction(settings, src, tgt, cut,
                "model.params", null)) {
            fail("a cut parameter file was loaded");
        } catch (java.io.IOException | RuntimeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("model.params"));
        }
    }
}
