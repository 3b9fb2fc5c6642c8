package djlbridge.mxnet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import djlbridge.LanguageModel;
import djlbridge.RNNModel;
import djlbridge.RNNModelScratch;
import djlbridge.TimeMachine;
import org.junit.Test;

/**
 * {@link ClipSgd#step} against the text's {@link TimeMachine#gradClipping} then {@link
 * TimeMachine#sgd}: after the same backward pass, the same parameters, whether the clipping
 * scales the gradients (threshold below their norm) or not (above), for a scratch and a concise
 * model ({@code text} updated by the text's two functions, {@code multi} by {@link ClipSgd#step});
 * and nothing left on the caller's manager but what it attached.
 */
public class ClipSgdTest {

    private static final int V = 28;
    private static final int H = 16;
    private static final int T = 7;
    private static final int N = 4;

    /** The joint gradient norm after one backward of {@code net} on the batch. */
    private static double backward(LanguageModel net, NDArray x, NDArray labels, NDManager bm) {
        NDList state = net.beginState(N, Device.cpu());
        state.attach(bm);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = net.forward(x, state, true).getKey();
            NDArray l = new SoftmaxCrossEntropyLoss()
                    .evaluate(new NDList(labels), new NDList(logits)).mean();
            gc.backward(l);
        }
        double sq = 0;
        for (NDArray p : net.getParams()) {
            NDArray g = p.getGradient();
            g.attach(bm);
            for (float v : g.toFloatArray()) {
                sq += (double) v * v;
            }
        }
        return Math.sqrt(sq);
    }

    private static void check(String what, LanguageModel text, LanguageModel multi, NDManager m) {
        for (int i = 0; i < text.getParams().size(); i++) {
            NDArray p = text.getParams().get(i);
            // non-zero biases and larger weights, so that every gradient matters
            p.addi(m.randomNormal(0f, 0.3f, p.getShape(), DataType.FLOAT32));
            multi.getParams().get(i).set(p.toByteBuffer());
        }
        float lr = 0.7f;
        // a threshold below the gradients' norm (they are scaled) and one above (they are not)
        for (double factor : new double[] {0.25, 4}) {
            float theta;
            try (NDManager bm = m.newSubManager()) {
                NDArray x = bm.randomInteger(0, V, new Shape(N, T), DataType.INT32);
                NDArray labels = bm.randomInteger(0, V, new Shape(N * T), DataType.INT32);
                double norm = backward(text, x, labels, bm);
                assertEquals(norm, backward(multi, x, labels, bm), 1e-5 * norm);
                theta = (float) (norm * factor);
                TimeMachine.gradClipping(text, theta, bm);
                TimeMachine.sgd(text.getParams(), lr, 1, bm);
                long before = bm.getManagedArrays().size();
                ClipSgd.step(multi.getParams(), theta, lr, bm);
                assertTrue(what + ": temporaries go to the given manager",
                        bm.getManagedArrays().size() > before);
            }
            for (int i = 0; i < text.getParams().size(); i++) {
                float[] e = text.getParams().get(i).toFloatArray();
                float[] a = multi.getParams().get(i).toFloatArray();
                double maxRef = 0;
                double maxDiff = 0;
                for (int k = 0; k < e.length; k++) {
                    maxRef = Math.max(maxRef, Math.abs(e[k]));
                    maxDiff = Math.max(maxDiff, Math.abs(e[k] - a[k]));
                }
                assertTrue(what + " theta " + theta + " param " + i + ": max|d| " + maxDiff
                                + " vs max|ref| " + maxRef,
                        maxDiff <= 1e-6 * Math.max(maxRef, 1e-6));
            }
        }
    }

    /** The scratch GRU (11 parameters). */
    @Test
    public void scratchGruMatchesTheText() {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager m = NDManager.newBaseManager();
                RNNModelScratch text = RNNModelScratch.of("gru", V, H, Device.cpu(), m);
                RNNModelScratch multi = RNNModelScratch.of("gru", V, H, Device.cpu(), m, true)) {
            check("scratch gru", text, multi, m);
        }
    }

    /** The concise LSTM (DJL's LSTM block and a dense layer). */
    @Test
    public void conciseLstmMatchesTheText() {
        Engine.getInstance().setRandomSeed(6);
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel text = RNNModel.of("lstm", V, H).initialize(m, Device.cpu());
                LanguageModel multi = RNNModel.of("lstm", V, H).initialize(m, Device.cpu())) {
            check("concise lstm", text, multi, m);
        }
    }

    /** A threshold that is not positive is refused before anything changes. */
    @Test
    public void refusesAThresholdThatIsNotPositive() {
        try (NDManager m = NDManager.newBaseManager();
                RNNModelScratch net = RNNModelScratch.of("rnn", V, H, Device.cpu(), m)) {
            for (float theta : new float[] {0f, -1f, Float.NaN}) {
                try {
                    ClipSgd.step(net.getParams(), theta, 1f, m);
                    fail("theta " + theta + " was accepted");
                } catch (IllegalArgumentException expected) {
                    assertTrue(expected.getMessage().contains("threshold"));
                }
            }
        }
    }
}
