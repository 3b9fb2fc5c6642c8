package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import org.junit.Test;

/**
 * The scratch cells (input and output products of all steps at once) against the texts' equations
 * written step by step, as the Java text and the MXNet notebooks print them: same outputs, same
 * states, same gradients; and the stacked cells (one layer after the other) against D2L 9.3's
 * equations written step by step (at each step, every layer in turn, layer l's new state being
 * layer l + 1's input).
 */
public class ScratchCellsTest {

    private static final int V = 28;
    private static final int H = 12;
    private static final int N = 3;
    private static final int T = 5;

    private static Pair<NDArray, NDList> textGru(NDArray inputs, NDList state, NDList p) {
        NDArray h = state.get(0);
        NDList outputs = new NDList();
        for (int i = 0; i < inputs.size(0); i++) {
            NDArray x = inputs.get(i);
            NDArray z = Activation.sigmoid(x.dot(p.get(0)).add(h.dot(p.get(1)).add(p.get(2))));
            NDArray r = Activation.sigmoid(x.dot(p.get(3)).add(h.dot(p.get(4)).add(p.get(5))));
            NDArray ht = Activation.tanh(x.dot(p.get(6)).add(r.mul(h).dot(p.get(7)).add(p.get(8))));
            h = z.mul(h).add(z.mul(-1).add(1).mul(ht));
            outputs.add(h.dot(p.get(9)).add(p.get(10)));
        }
        return new Pair<>(NDArrays.concat(outputs), new NDList(h));
    }

    private static Pair<NDArray, NDList> textLstm(NDArray inputs, NDList state, NDList p) {
        NDArray h = state.get(0);
        NDArray c = state.get(1);
        NDList outputs = new NDList();
        for (int t = 0; t < inputs.size(0); t++) {
            NDArray x = inputs.get(t);
            NDArray i = Activation.sigmoid(x.dot(p.get(0)).add(h.dot(p.get(1))).add(p.get(2)));
            NDArray f = Activation.sigmoid(x.dot(p.get(3)).add(h.dot(p.get(4))).add(p.get(5)));
            NDArray o = Activation.sigmoid(x.dot(p.get(6)).add(h.dot(p.get(7))).add(p.get(8)));
            NDArray ct = Activation.tanh(x.dot(p.get(9)).add(h.dot(p.get(10))).add(p.get(11)));
            c = f.mul(c).add(i.mul(ct));
            h = o.mul(c.tanh());
            outputs.add(h.dot(p.get(12)).add(p.get(13)));
        }
        return new Pair<>(NDArrays.concat(outputs), new NDList(h, c));
    }

    private static Pair<NDArray, NDList> textRnn(NDArray inputs, NDList state, NDList p) {
        NDArray h = state.get(0);
        NDList outputs = new NDList();
        for (int t = 0; t < inputs.size(0); t++) {
            NDArray x = inputs.get(t);
            h = Activation.tanh(x.dot(p.get(0)).add(h.dot(p.get(1))).add(p.get(2)));
            outputs.add(h.dot(p.get(3)).add(p.get(4)));
        }
        return new Pair<>(NDArrays.concat(outputs), new NDList(h));
    }

    private interface Cell {
        Pair<NDArray, NDList> apply(NDArray inputs, NDList state, NDList params);
    }

    /** One step of one layer of the text's cells: (x, state of the layer, its triples) to state. */
    private interface Step {
        NDList apply(NDArray x, NDList state, NDList p);
    }

    private static NDList gruStep(NDArray x, NDList state, NDList p) {
        NDArray h = state.get(0);
        NDArray z = Activation.sigmoid(x.dot(p.get(0)).add(h.dot(p.get(1))).add(p.get(2)));
        NDArray r = Activation.sigmoid(x.dot(p.get(3)).add(h.dot(p.get(4))).add(p.get(5)));
        NDArray ht = Activation.tanh(x.dot(p.get(6)).add(r.mul(h).dot(p.get(7))).add(p.get(8)));
        return new NDList(z.mul(h).add(z.mul(-1).add(1).mul(ht)));
    }

    private static NDList lstmStep(NDArray x, NDList state, NDList p) {
        NDArray h = state.get(0);
        NDArray i = Activation.sigmoid(x.dot(p.get(0)).add(h.dot(p.get(1))).add(p.get(2)));
        NDArray f = Activation.sigmoid(x.dot(p.get(3)).add(h.dot(p.get(4))).add(p.get(5)));
        NDArray o = Activation.sigmoid(x.dot(p.get(6)).add(h.dot(p.get(7))).add(p.get(8)));
        NDArray ct = Activation.tanh(x.dot(p.get(9)).add(h.dot(p.get(10))).add(p.get(11)));
        NDArray c = f.mul(state.get(1)).add(i.mul(ct));
        return new NDList(o.mul(c.tanh()), c);
    }

    private static NDList rnnStep(NDArray x, NDList state, NDList p) {
        NDArray h = state.get(0);
        return new NDList(Activation.tanh(x.dot(p.get(0)).add(h.dot(p.get(1))).add(p.get(2))));
    }

    /**
     * D2L 9.3's deep RNN written step by step: H_t^(l) from H_t^(l-1) (X_t for l = 0) and
     * H_(t-1)^(l), then O_t = H_t^(L) W_hq + b_q.
     */
    private static Cell deepText(ModelKind kind, Step step) {
        return (inputs, state, p) -> {
            int per = 3 * kind.getGates();
            int states = kind.getStates();
            int layers = (p.size() - 2) / per;
            NDList[] s = new NDList[layers];
            for (int l = 0; l < layers; l++) {
                s[l] = state.subNDList(l * states, (l + 1) * states);
            }
            NDList outputs = new NDList();
            for (int t = 0; t < inputs.size(0); t++) {
                NDArray x = inputs.get(t);
                for (int l = 0; l < layers; l++) {
                    s[l] = step.apply(x, s[l], p.subNDList(l * per, (l + 1) * per));
                    x = s[l].get(0);
                }
                outputs.add(x.dot(p.get(p.size() - 2)).add(p.get(p.size() - 1)));
            }
            NDList last = new NDList();
            for (NDList layerState : s) {
                last.addAll(layerState);
            }
            return new Pair<>(NDArrays.concat(outputs), last);
        };
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        assertEquals(what + " shape", expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double scale = 1e-6;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertTrue(what + " differs at " + i + ": " + e[i] + " vs " + a[i],
                    Math.abs(e[i] - a[i]) <= 1e-5 * scale);
        }
    }

    private static void check(String kind, Cell text) {
        check(kind, 1, text);
    }

    private static void check(String kind, int layers, Cell text) {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            RNNModelScratch model = RNNModelScratch.of(ModelKind.of(kind), V, H, layers, Device.cpu(), m, false);
            assertEquals(layers, model.getNumLayers());
            NDList params = model.getParams();
            for (NDArray p : params) {
                // non-zero biases and larger weights so every term matters
                p.addi(m.randomNormal(0f, 0.3f, p.getShape(), DataType.FLOAT32));
            }
            NDArray x = m.randomInteger(0, V, new Shape(N, T), DataType.INT32);
            NDList state = model.beginState(N, Device.cpu());
            assertEquals(layers * ModelKind.of(kind).getStates(), state.size());
            for (NDArray s : state) {
                s.addi(m.randomNormal(0f, 0.5f, s.getShape(), DataType.FLOAT32));
            }
            NDArray inputs = x.transpose().oneHot(V);
            NDArray y = m.randomInteger(0, V, new Shape(T * N), DataType.INT32);
            NDList expectedGrads = new NDList();
            Pair<NDArray, NDList> expected;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                expected = text.apply(inputs, state, params);
                NDArray l = expected.getKey().logSoftmax(1).mul(y.oneHot(V)).sum().neg();
                gc.backward(l);
            }
            for (NDArray p : params) {
                expectedGrads.add(p.getGradient().duplicate());
            }
            Pair<NDArray, NDList> actual;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                actual = model.forward(x, state, true);
                NDArray l = actual.getKey().logSoftmax(1).mul(y.oneHot(V)).sum().neg();
                gc.backward(l);
            }
            assertClose(expected.getKey(), actual.getKey(), kind + " outputs");
            for (int i = 0; i < state.size(); i++) {
                assertClose(expected.getValue().get(i), actual.getValue().get(i), kind + " state " + i);
            }
            for (int i = 0; i < params.size(); i++) {
                assertClose(expectedGrads.get(i), params.get(i).getGradient(), kind + " grad " + i);
            }
        }
    }

    @Test
    public void gruMatchesTheText() {
        check("gru", ScratchCellsTest::textGru);
    }

    @Test
    public void lstmMatchesTheText() {
        check("lstm", ScratchCellsTest::textLstm);
    }

    @Test
    public void rnnMatchesTheText() {
        check("rnn", ScratchCellsTest::textRnn);
    }

    @Test
    public void oneLayerOfTheStackIsTheTextsCell() {
        check("gru", 1, deepText(ModelKind.GRU, ScratchCellsTest::gruStep));
        check("lstm", 1, deepText(ModelKind.LSTM, ScratchCellsTest::lstmStep));
    }

    @Test
    public void threeStackedLayersMatchTheDeepRnnEquations() {
        check("gru", 3, deepText(ModelKind.GRU, ScratchCellsTest::gruStep));
        check("lstm", 3, deepText(ModelKind.LSTM, ScratchCellsTest::lstmStep));
        check("rnn", 3, deepText(ModelKind.RNN, ScratchCellsTest::rnnStep));
    }

    /**
     * The check is sharp: equations that feed layer 1 with layer 0's state of the previous step
     * instead of the same step's fail it.
     */
    @Test
    public void aWronglyWiredStackFails() {
        Cell previousStep = (inputs, state, p) -> {
            NDList s0 = state.subNDList(0, 1);
            NDList s1 = state.subNDList(1, 2);
            NDList outputs = new NDList();
            for (int t = 0; t < inputs.size(0); t++) {
                NDArray below = s0.get(0);
                s0 = rnnStep(inputs.get(t), s0, p.subNDList(0, 3));
                s1 = rnnStep(below, s1, p.subNDList(3, 6));
                outputs.add(s1.get(0).dot(p.get(6)).add(p.get(7)));
            }
            return new Pair<>(NDArrays.concat(outputs), new NDList(s0.get(0), s1.get(0)));
        };
        boolean failed = false;
        try {
            check("rnn", 2, previousStep);
        } catch (AssertionError expected) {
            failed = true;
        }
        assertTrue("layer 1 fed the previous step's state passed the check", failed);
    }

    @Test
    public void aParameterListOfNoWholeLayerIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            RNNModelScratch model = RNNModelScratch.of(ModelKind.RNN, V, H, 2, Device.cpu(), m, false);
            NDList params = model.getParams().subNDList(1);
            NDArray inputs = m.zeros(new Shape(T, N, V));
            try {
                ScratchCells.rnn(inputs, model.beginState(N, Device.cpu()), params);
                throw new IllegalStateException("6 parameters were taken for an RNN stack");
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("per layer"));
            }
            try {
                ScratchCells.rnn(inputs, model.beginState(N, Device.cpu()).subNDList(1),
                        model.getParams());
                throw new IllegalStateException("one state array was taken for two layers");
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("2 state arrays"));
            }
        }
    }
}
