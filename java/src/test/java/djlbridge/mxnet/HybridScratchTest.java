package djlbridge.mxnet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.util.Pair;
import djlbridge.LanguageModel;
import djlbridge.ModelKind;
import djlbridge.RNNModelScratch;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import djlbridge.VocabTest;
import java.util.Arrays;
import org.junit.Test;

/**
 * The hybridized scratch cells against the op-by-op ones: with the same parameter values, the
 * same logits, states, loss and gradients over several batches (carried state, a batch size
 * change), the same parameters after SGD steps, the same greedy predictions, and no array left
 * behind.
 */
public class HybridScratchTest {

    private static final String[] KINDS = {"gru", "lstm", "rnn"};
    private static final int V = 28;
    private static final int H = 16;
    private static final int T = 7;

    /** max|a - e| / max|e| <= 1e-5, the acceptance criterion. */
    private static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(what + " shape", expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < e.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(e[i]));
            maxDiff = Math.max(maxDiff, Math.abs(e[i] - a[i]));
        }
        assertTrue(what + ": max|d| " + maxDiff + " vs max|ref| " + maxRef,
                maxDiff <= 1e-5 * Math.max(maxRef, 1e-6));
    }

    /** Copies the reference parameters into the hybrid model's own arrays, in place. */
    private static void copyParams(LanguageModel from, LanguageModel to) {
        for (int i = 0; i < from.getParams().size(); i++) {
            NDArray src = from.getParams().get(i);
            to.getParams().get(i).set(src.toByteBuffer());
        }
    }

    private static Pair<NDArray, NDList> step(
            LanguageModel net, NDArray x, NDArray labels, NDList state, NDManager bm,
            NDList grads) {
        SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
        Pair<NDArray, NDList> out;
        NDArray l;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = net.forward(x, state, true);
            l = loss.evaluate(new NDList(labels), new NDList(out.getKey())).mean();
            gc.backward(l);
        }
        for (NDArray p : net.getParams()) {
            NDArray g = p.getGradient().duplicate();
            g.attach(bm);
            grads.add(g);
        }
        TimeMachine.gradClipping(net, 1f, bm);
        TimeMachine.sgd(net.getParams(), 1f, 1, bm);
        NDList carried = new NDList();
        for (NDArray s : out.getValue()) {
            carried.add(s.stopGradient());
        }
        carried.attach(bm);
        return new Pair<>(l.reshape(1).concat(out.getKey().reshape(-1)), carried);
    }

    private static void checkTraining(String kind) {
        checkTraining(kind, 1);
    }

    private static void checkTraining(String kind, int layers) {
        Engine.getInstance().setRandomSeed(21);
        try (NDManager m = NDManager.newBaseManager();
                RNNModelScratch ref = RNNModelScratch.of(ModelKind.of(kind), V, H, layers, Device.cpu(), m, false);
                RNNModelScratch hyb = RNNModelScratch.of(ModelKind.of(kind), V, H, layers, Device.cpu(), m, true)) {
            assertTrue(hyb.isHybrid());
            assertFalse(ref.isHybrid());
            for (NDArray p : ref.getParams()) {
                // non-zero biases and larger weights so that every term matters
                p.addi(m.randomNormal(0f, 0.3f, p.getShape(), DataType.FLOAT32));
            }
            // build the graph first, then load the parameters in place as a checkpoint does:
            // the graph must read the arrays themselves, not copies taken when it was bound
            hyb.forward(m.zeros(new Shape(2, T), DataType.INT32), hyb.beginState(2, Device.cpu()),
                    false);
            copyParams(ref, hyb);
            NDList refState = null;
            NDList hybState = null;
            int[] batchSizes = {4, 4, 4, 3};
            for (int b = 0; b < batchSizes.length; b++) {
                int n = batchSizes[b];
                try (NDManager bm = m.newSubManager()) {
                    NDArray x = bm.randomInteger(0, V, new Shape(n, T), DataType.INT32);
                    NDArray y = bm.randomInteger(0, V, new Shape(n, T), DataType.INT32);
                    NDArray labels = y.transpose().reshape(-1);
                    if (refState == null || refState.get(0).getShape().get(0) != n) {
                        refState = ref.beginState(n, Device.cpu());
                        hybState = hyb.beginState(n, Device.cpu());
                        for (int i = 0; i < refState.size(); i++) {
                            NDArray s = bm.randomNormal(0f, 0.5f, refState.get(i).getShape(),
                                    DataType.FLOAT32);
                            refState.get(i).addi(s);
                            hybState.get(i).addi(s);
                        }
                    }
                    refState.attach(bm);
                    hybState.attach(bm);
                    NDList refGrads = new NDList();
                    NDList hybGrads = new NDList();
                    Pair<NDArray, NDList> r = step(ref, x, labels, refState, bm, refGrads);
                    Pair<NDArray, NDList> h = step(hyb, x, labels, hybState, bm, hybGrads);
                    String at = kind + " x" + layers + " batch " + b;
                    assertClose(r.getKey().get(0), h.getKey().get(0), at + " loss");
                    assertClose(r.getKey(), h.getKey(), at + " loss and logits");
                    for (int i = 0; i < refGrads.size(); i++) {
                        assertClose(refGrads.get(i), hybGrads.get(i), at + " grad " + i);
                    }
                    for (int i = 0; i < r.getValue().size(); i++) {
                        assertClose(r.getValue().get(i), h.getValue().get(i), at + " state " + i);
                    }
                    for (int i = 0; i < ref.getParams().size(); i++) {
                        assertClose(ref.getParams().get(i), hyb.getParams().get(i),
                                at + " param after SGD " + i);
                    }
                    refState = r.getValue();
                    hybState = h.getValue();
                    refState.attach(m);
                    hybState.attach(m);
                }
            }
        }
    }

    @Test
    public void gruTrainsAsTheOpByOpCells() {
        checkTraining("gru");
    }

    @Test
    public void lstmTrainsAsTheOpByOpCells() {
        checkTraining("lstm");
    }

    @Test
    public void rnnTrainsAsTheOpByOpCells() {
        checkTraining("rnn");
    }

    @Test
    public void twoLayerGruTrainsAsTheOpByOpCells() {
        checkTraining("gru", 2);
    }

    @Test
    public void twoLayerLstmTrainsAsTheOpByOpCells() {
        checkTraining("lstm", 2);
    }

    @Test
    public void threeLayerRnnTrainsAsTheOpByOpCells() {
        checkTraining("rnn", 3);
    }

    @Test
    public void predictionsMatchAndNothingPilesUp() throws Exception {
        checkPredictions(1);
    }

    @Test
    public void stackedPredictionsMatchAndNothingPilesUp() throws Exception {
        checkPredictions(2);
    }

    private static void checkPredictions(int layers) throws Exception {
        for (String kind : KINDS) {
            Engine.getInstance().setRandomSeed(5);
            try (NDManager m = NDManager.newBaseManager()) {
                // One dataset each: every epoch draws a new offset, so a shared one would give
                // the two models different batches.
                TimeMachineDataset d = TimeMachineDataset.builder()
                        .setManager(m).setMaxTokens(800).setSampling(4, false).setSteps(6)
                        .setDataPath(VocabTest.corpus()).optSeed(1).build();
                d.prepare();
                TimeMachineDataset d2 = TimeMachineDataset.builder()
                        .setManager(m).setMaxTokens(800).setSampling(4, false).setSteps(6)
                        .setDataPath(VocabTest.corpus()).optSeed(1).build();
                d2.prepare();
                int vocab = d.getVocab().length();
                try (RNNModelScratch ref = RNNModelScratch.of(ModelKind.of(kind), vocab, 8, layers, Device.cpu(), m, false);
                        RNNModelScratch hyb = RNNModelScratch.of(ModelKind.of(kind), vocab, 8, layers, Device.cpu(), m, true)) {
                    copyParams(ref, hyb);
                    SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
                    double refPpl = 0;
                    double hybPpl = 0;
                    for (int e = 0; e < 3; e++) {
                        refPpl = TimeMachine.trainEpochCh8(
                                ref, d, loss, 1f, 1f, Device.cpu(), e == 1, m).getKey();
                        hybPpl = TimeMachine.trainEpochCh8(
                                hyb, d2, loss, 1f, 1f, Device.cpu(), e == 1, m).getKey();
                    }
                    assertEquals(kind + " perplexity", refPpl, hybPpl, 1e-4 * refPpl);
                    String refText = TimeMachine.predictCh8("time ", 30, ref, d.getVocab(), Device.cpu(), m);
                    String hybText = TimeMachine.predictCh8("time ", 30, hyb, d.getVocab(), Device.cpu(), m);
                    assertEquals(kind + " prediction", refText, hybText);
                    // both graphs exist now (6 steps and 1 step): from here on, nothing may pile up
                    // the model's manager: the one its parameters were created on
                    NDManager own = hyb.getParams().head().getManager();
                    int modelArrays = count(own);
                    int parentArrays = count(m);
                    for (int e = 0; e < 3; e++) {
                        TimeMachine.trainEpochCh8(hyb, d, loss, 1f, 1f, Device.cpu(), e == 1, m);
                        TimeMachine.predictCh8("time", 5, hyb, d.getVocab(), Device.cpu(), m);
                    }
                    assertEquals(kind + " model manager", modelArrays, count(own));
                    assertEquals(kind + " parent manager", parentArrays, count(m));
                }
            }
        }
    }

    private static int count(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    @Test
    public void graphNamesTheVersionAndRefusesBadSizes() {
        String json = ScratchGraph.json(ModelKind.GRU, V, H, T);
        assertTrue(json, json.contains("\"mxnet_version\":[\"int\",10900]"));
        assertEquals(Arrays.asList("x", "h0", "c0"), ScratchGraph.inputNames(ModelKind.LSTM));
        assertEquals(Arrays.asList("x", "h0"), ScratchGraph.inputNames(ModelKind.GRU));
        assertEquals(Arrays.asList("x", "h0", "c0", "h0_l1", "c0_l1"),
                ScratchGraph.inputNames(ModelKind.LSTM, 2));
        String deep = ScratchGraph.json(ModelKind.RNN, 2, V, H, T);
        assertTrue(deep, deep.contains("\"W_xh_l1\"") && deep.contains("\"h0_l1\""));
        try {
            ScratchGraph.json(ModelKind.GRU, V, H, 0);
            throw new AssertionError("expected a bad step count to be refused");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("numSteps"));
        }
    }
}
