package djlbridge.seq2seq;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.loss.Loss;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

public class Seq2SeqModelTest {

    static EncoderDecoder net(int src, int tgt, float dropout) {
        return new EncoderDecoder(
                new Seq2SeqEncoder(src, 8, 16, 2, dropout),
                new Seq2SeqDecoder(tgt, 8, 16, 2, dropout));
    }

    @Test
    public void shapesAsTheBook() {
        try (NDManager m = NDManager.newBaseManager()) {
            EncoderDecoder net = net(10, 10, 0);
            Seq2Seq.initialize(net, m, 7, 0);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.zeros(new Shape(4, 7), DataType.INT32);
            NDList enc = net.getEncoder().forward(ps, new NDList(x), false);
            assertEquals(new Shape(7, 4, 16), enc.get(0).getShape());
            assertEquals(new Shape(2, 4, 16), enc.get(1).getShape());
            NDList state = net.getDecoder().initState(enc);
            NDList dec = net.getDecoder().forward(ps, new NDList(x).addAll(state), false);
            assertEquals(new Shape(4, 7, 10), dec.get(0).getShape());
            assertEquals(new Shape(2, 4, 16), dec.get(1).getShape());
            NDArray y = net.forward(ps, new NDList(x, x), false).head();
            assertEquals(new Shape(4, 7, 10), y.getShape());
        }
    }

    /** The joined GRU vector cut as MXNet reads it: weights first, then biases. */
    static float[][] mxnetParts(GRU gru) {
        List<Float> all = new ArrayList<>();
        long weights = 0;
        for (Parameter p : gru.getParameters().values()) {
            for (float f : p.getArray().toFloatArray()) {
                all.add(f);
            }
            if (p.getName().contains("WEIGHT")) {
                weights += p.getArray().size();
            }
        }
        float[] w = new float[(int) weights];
        float[] b = new float[all.size() - (int) weights];
        for (int i = 0; i < all.size(); i++) {
            if (i < weights) {
                w[i] = all.get(i);
            } else {
                b[i - (int) weights] = all.get(i);
            }
        }
        return new float[][] {w, b};
    }

    /**
     * DJL's stacked GRU: initialising by names leaves random values where MXNet reads biases;
     * {@link XavierByRole#gru(GRU, Random)} fills the joined vector by role. The models' layers
     * are one-layer GRUs ({@link GruStack}): every layer's weights Xavier, biases zero.
     */
    @Test
    public void weightsXavierBiasesZeroAsMxnetReadsThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            GRU stacked = GRU.builder().setNumLayers(2).setStateSize(16).build();
            // DJL's own initialisation, by names (biases zero by name)
            stacked.initialize(m, DataType.FLOAT32, new Shape(5, 1, 24));
            float[][] byName = mxnetParts(stacked);
            int nonZeroBias = 0;
            for (float f : byName[1]) {
                nonZeroBias += f != 0 ? 1 : 0;
            }
            assertTrue("by name, MXNet's biases get random values", nonZeroBias > 0);
            XavierByRole.gru(stacked, new Random(1));
            assertXavierBiasesZero(stacked);

            EncoderDecoder net = net(10, 12, 0);
            Seq2SeqEncoder enc = (Seq2SeqEncoder) net.getEncoder();
            Seq2SeqDecoder dec = (Seq2SeqDecoder) net.getDecoder();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 5), new Shape(1, 5));
            XavierByRole.apply(net, new Random(1));
            for (GruStack stack : new GruStack[] {enc.getRnn(), dec.getRnn()}) {
                assertEquals(2, stack.getNumLayers());
                for (GRU gru : stack.getLayers()) {
                    assertXavierBiasesZero(gru);
                }
            }
            // layer 0 of the decoder: i2h (48, 8 + 16): bound sqrt(6 / (48 + 24))
            float bound = (float) Math.sqrt(6.0 / 72);
            float max = 0;
            NDArray i2h =
                    dec.getRnn().getLayers().get(0).getParameters().get(0).getValue().getArray();
            for (float f : i2h.toFloatArray()) {
                max = Math.max(max, Math.abs(f));
            }
            assertTrue(max <= bound && max > 0.9 * bound);
            // the same numbers in the same roles as the stacked GRU of the same shapes
            XavierByRole.gru(dec.getRnn(), new Random(1));
            List<Float> layerWeights = new ArrayList<>();
            for (GRU gru : dec.getRnn().getLayers()) {
                for (float f : mxnetParts(gru)[0]) {
                    layerWeights.add(f);
                }
            }
            float[] stackedWeights = mxnetParts(stacked)[0];
            assertEquals(stackedWeights.length, layerWeights.size());
            for (int i = 0; i < stackedWeights.length; i++) {
                assertEquals(stackedWeights[i], layerWeights.get(i), 0f);
            }
        }
    }

    private static void assertXavierBiasesZero(GRU gru) {
        float[][] parts = mxnetParts(gru);
        for (float f : parts[1]) {
            assertEquals(0f, f, 0f);
        }
        int zeros = 0;
        for (float f : parts[0]) {
            zeros += f == 0 ? 1 : 0;
        }
        assertEquals(0, zeros);
    }

    /**
     * Departure of the Java text: {@code optInitializer(new XavierInitializer(), "")} selects the
     * parameters whose name equals "" -- none -- so DJL's defaults initialize the text's model.
     */
    @Test
    public void theJavaTextsInitializerSelectsNoParameter() {
        try (NDManager m = NDManager.newBaseManager()) {
            EncoderDecoder net = net(10, 12, 0);
            net.initialize(m, DataType.FLOAT32, new Shape(1, 5), new Shape(1, 5));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss())
                            .optInitializer(new XavierInitializer(), "");
            int matched = 0;
            int total = 0;
            for (Parameter p : net.getParameters().values()) {
                total++;
                matched += config.getInitializers().get(0).getValue().test(p) ? 1 : 0;
            }
            assertTrue(total > 10);
            assertEquals(0, matched);
        }
    }

    /**
     * Departure (of the engine, so of the Java text on a CPU): MXNet 1.9.1's oneDNN RNN, which
     * the CPU build uses by default, ignores the dropout DJL's stacked GRU hands it; with
     * MXNET_USE_MKLDNN_RNN=0 set before the engine starts, MXNet's own RNN applies it. The
     * models therefore use {@link GruStack} ({@code GruStackTest}).
     */
    @Test
    public void stackedGruDropoutOnlyWithoutOneDnnRnn() {
        try (NDManager m = NDManager.newBaseManager()) {
            GRU gru =
                    GRU.builder()
                            .setNumLayers(2)
                            .setStateSize(16)
                            .optReturnState(true)
                            .optDropRate(0.5f)
                            .build();
            gru.initialize(m, DataType.FLOAT32, new Shape(5, 2, 8));
            XavierByRole.gru(gru, new Random(0));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(5, 2, 8));
            float[] a = gru.forward(ps, new NDList(x), false).head().toFloatArray();
            float[] b = gru.forward(ps, new NDList(x), false).head().toFloatArray();
            assertArrayEquals(a, b, 0f);
            float[] c;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                c = gru.forward(ps, new NDList(x), true).head().toFloatArray();
            }
            boolean differs = false;
            for (int i = 0; i < a.length; i++) {
                differs |= Math.abs(a[i] - c[i]) > 1e-6;
            }
            boolean oneDnn = !"0".equals(System.getenv("MXNET_USE_MKLDNN_RNN"));
            boolean gpu = m.getDevice().isGpu();
            assertEquals(
                    "dropout applied while training (oneDNN RNN: " + oneDnn + ")",
                    gpu || !oneDnn,
                    differs);
            assertFalse(Float.isNaN(c[0]));
        }
    }

    /**
     * Departure (of the engine): with MXNET_USE_MKLDNN_RNN=0, the setting under which MXNet applies
     * dropout on the CPU, MXNet 1.9.1's own RNN computes wrong gradients for every layer of a
     * stack but the last (a one-layer GRU is right); the default oneDNN RNN's gradients match
     * finite differences. So the CPU trains the book's 2-layer GRU either without dropout or with
     * wrong gradients (docs/seq2seq.md).
     */
    @Test
    public void stackedGruGradientsMatchFiniteDifferencesOnlyWithOneDnnRnn() {
        try (NDManager m = NDManager.newBaseManager()) {
            GRU gru =
                    GRU.builder().setNumLayers(2).setStateSize(6).optReturnState(true).build();
            gru.initialize(m, DataType.FLOAT32, new Shape(4, 2, 3));
            Random rng = new Random(3);
            for (Parameter p : gru.getParameters().values()) {
                float[] v = new float[(int) p.getArray().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (rng.nextGaussian() * 0.5);
                }
                p.getArray().set(v);
                p.getArray().setRequiresGradient(true);
            }
            float[] xs = new float[4 * 2 * 3];
            float[] rs = new float[4 * 2 * 6];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < rs.length; i++) {
                rs[i] = (float) rng.nextGaussian();
            }
            NDArray x = m.create(xs, new Shape(4, 2, 3));
            NDArray r = m.create(rs, new Shape(4, 2, 6));
            ParameterStore ps = new ParameterStore(m, false);
            weightedSum(gru, ps, x, r, true);
            double worst = 0;
            for (Parameter p : gru.getParameters().values()) {
                NDArray w = p.getArray();
                float[] grad = w.getGradient().toFloatArray();
                float[] v = w.toFloatArray();
                for (int i = 0; i < v.length; i += 7) {
                    float[] moved = v.clone();
                    moved[i] += 1e-2f;
                    w.set(moved);
                    double plus = weightedSum(gru, ps, x, r, false);
                    moved[i] -= 2e-2f;
                    w.set(moved);
                    double minus = weightedSum(gru, ps, x, r, false);
                    w.set(v);
                    worst = Math.max(worst, Math.abs((plus - minus) / 2e-2 - grad[i]));
                }
            }
            boolean oneDnn = !"0".equals(System.getenv("MXNET_USE_MKLDNN_RNN"));
            assertEquals("worst gradient error " + worst, oneDnn, worst < 1e-3);
        }
    }

    private static double weightedSum(
            GRU gru, ParameterStore ps, NDArray x, NDArray r, boolean backward) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = gru.forward(ps, new NDList(x), true).head().mul(r).sum();
            if (backward) {
                gc.backward(l);
            }
            return l.getFloat();
        }
    }
}
