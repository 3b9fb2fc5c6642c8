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
 * states, same gradients.
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
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            RNNModelScratch model = RNNModelScratch.of(kind, V, H, Device.cpu(), m);
            NDList params = model.getParams();
            for (NDArray p : params) {
                // non-zero biases and larger weights so every term matters
                p.addi(m.randomNormal(0f, 0.3f, p.getShape(), DataType.FLOAT32));
            }
            NDArray x = m.randomInteger(0, V, new Shape(N, T), DataType.INT32);
            NDList state = model.beginState(N, Device.cpu());
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
}
