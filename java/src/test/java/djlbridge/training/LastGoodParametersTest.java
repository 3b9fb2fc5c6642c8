package djlbridge.training;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import djlbridge.LanguageModel;
import djlbridge.LanguageModelTask;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import djlbridge.TrainSettings;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.Test;

/**
 * {@link LastGoodParameters} keeps copies, not views, of the parameters and writes from them the
 * file {@link LanguageModelTask#encode(LanguageModel)} gave when they were kept; it frees the copies
 * of the epoch before and all of them when the session closes.
 */
public final class LastGoodParametersTest {

    private static final String[] IMPLS = {"scratch", "concise"};

    private static TrainSettings settings(String impl) {
        return TrainingSessionTest.tiny(impl).build();
    }

    private static TimeMachineDataset dataset(TrainSettings s, NDManager m) throws Exception {
        TimeMachineDataset d = s.newDataset(m);
        d.prepare();
        return d;
    }

    private static TrainingSession wrap(TrainSettings s, LanguageModel net, TimeMachineDataset d,
            NDManager m) {
        return LanguageModelTask.wrap(net, d, d.getVocab(), s.getLr(), s.getClipTheta(), Device.cpu(),
                s.isRandomIter(), m);
    }

    private static int count(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    /**
     * Writes the last good parameters and checks they are byte for byte what encoding the model
     * gives now. An NPZ file dates its entries (2 s steps): the write is compared with two
     * encodings around it that carry the same date.
     */
    private static byte[] assertWriteIsEncode(TrainingSession t, Path file) throws Exception {
        for (int attempt = 0; attempt < 5; attempt++) {
            byte[] before = LanguageModelTask.encode(((LanguageModelTask) t.getTask()).getModel());
            t.writeLastGood(file);
            byte[] after = LanguageModelTask.encode(((LanguageModelTask) t.getTask()).getModel());
            if (Arrays.equals(before, after)) {
                assertArrayEquals(before, Files.readAllBytes(file));
                return before;
            }
        }
        fail("the model's encoding kept changing");
        return null;
    }

    /** Zeroes the modification date and time of every entry of a ZIP (NPZ) file. */
    private static byte[] withoutZipTimes(byte[] bytes) {
        byte[] out = bytes.clone();
        if (out.length < 22 || out[0] != 'P' || out[1] != 'K') {
            return out; // DJL's block format carries no dates
        }
        ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int end = out.length - 22; // the end record; DJL writes no archive comment
        assertEquals(0x06054b50, bb.getInt(end));
        int entries = bb.getShort(end + 10) & 0xffff;
        int central = bb.getInt(end + 16);
        for (int i = 0; i < entries; i++) {
            assertEquals(0x02014b50, bb.getInt(central));
            bb.putInt(central + 12, 0);
            int local = bb.getInt(central + 42);
            assertEquals(0x04034b50, bb.getInt(local));
            bb.putInt(local + 10, 0);
            central += 46 + (bb.getShort(central + 28) & 0xffff)
                    + (bb.getShort(central + 30) & 0xffff) + (bb.getShort(central + 32) & 0xffff);
        }
        return out;
    }

    @Test
    public void writesTheKeptEpochNotTheModelsLaterValues() throws Exception {
        for (String impl : IMPLS) {
            TrainSettings s = settings(impl);
            Engine.getInstance().setRandomSeed((int) s.getSeed());
            Path file = Files.createTempDirectory("lastgood").resolve(ParameterFiles.fileName(impl));
            try (NDManager m = NDManager.newBaseManager()) {
                TimeMachineDataset d = dataset(s, m);
                try (LanguageModel net = s.newModel(d.getVocab().length(), Device.cpu(), m);
                        TrainingSession t = wrap(s, net, d, m)) {
                    t.train(2, null);
                    byte[] atTwo = assertWriteIsEncode(t, file);
                    // Train on without the session's listeners: nothing is kept, the model moves on.
                    SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
                    for (int e = 0; e < 3; e++) {
                        TimeMachine.trainEpochCh8(net, d, loss, s.getLr(), s.getClipTheta(),
                                Device.cpu(), s.isRandomIter(), m);
                    }
                    assertFalse(impl + ": the model should have changed", Arrays.equals(
                            withoutZipTimes(atTwo), withoutZipTimes(LanguageModelTask.encode(net))));
                    assertEquals(2, t.writeLastGood(file));
                    assertArrayEquals(impl, withoutZipTimes(atTwo),
                            withoutZipTimes(Files.readAllBytes(file)));
                    // The next accepted epoch replaces them.
                    t.train(3, null);
                    assertEquals(3, t.getLastGoodEpoch());
                    assertWriteIsEncode(t, file);
                }
            }
        }
    }

    @Test
    public void oneSetOfCopiesAtATimeFreedOnClose() throws Exception {
        for (String impl : IMPLS) {
            TrainSettings s = settings(impl);
            Engine.getInstance().setRandomSeed((int) s.getSeed());
            try (NDManager m = NDManager.newBaseManager()) {
                TimeMachineDataset d = dataset(s, m);
                try (LanguageModel net = s.newModel(d.getVocab().length(), Device.cpu(), m)) {
                    int params = net.getParams().size();
                    int base = count(m);
                    TrainingSession t = wrap(s, net, d, m);
                    assertEquals(impl + " after the first keep", base + params, count(m));
                    t.train(1, null);
                    int afterOne = count(m);
                    t.train(12, null);
                    assertEquals(impl + " after 12 epochs", afterOne, count(m));
                    t.close();
                    assertEquals(impl + " after close", afterOne - params, count(m));
                    try {
                        t.writeLastGood(Files.createTempFile("lastgood", ".params"));
                        fail("expected an IllegalStateException after close");
                    } catch (IllegalStateException e) {
                        assertTrue(e.getMessage(), e.getMessage().contains("closed"));
                    }

                    // On its own: each keep frees the copies of the one before.
                    LastGoodParameters keeper = new LastGoodParameters(m);
                    for (int i = 0; i < 20; i++) {
                        keeper.keep(t.getTask(), i);
                        assertEquals(params, count(keeper.getManager()));
                    }
                    assertEquals(19, keeper.getEpoch());
                    keeper.close();
                    assertEquals(afterOne - params, count(m));
                }
            }
        }
    }
}
