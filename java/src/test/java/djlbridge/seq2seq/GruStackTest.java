package djlbridge.seq2seq;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * {@link GruStack}: the book's {@code nn.GRU(num_layers, dropout)} as one-layer GRUs with dropout
 * between them (docs/seq2seq.md, departure 4). These hold with the default oneDNN RNN kernel
 * (and with MXNET_USE_MKLDNN_RNN=0: one-layer GRUs are right on both).
 */
public class GruStackTest {

    private static final int T = 4;
    private static final int B = 2;
    private static final int IN = 3;
    private static final int H = 6;

    /** Gaussian values in every parameter (biases non-zero), marked for gradients. */
    private static void randomize(AbstractBlock block, Random rng) {
        for (Parameter p : block.getParameters().values()) {
            float[] v = new float[(int) p.getArray().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextGaussian() * 0.5);
            }
            p.getArray().set(v);
            p.getArray().setRequiresGradient(true);
        }
    }

    private static NDArray gaussian(NDManager m, Random rng, Shape shape) {
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return m.create(v, shape);
    }

    /**
     * A training forward of the encoder with dropout 0.5: two seeds give different outputs (the
     * dropout acts, on the default oneDNN kernel too), the same seed the same; an inference
     * forward is the same every time. The dropout is between layers only: layer 0's final state
     * and the last layer's own final step are not dropped.
     */
    @Test
    public void encoderDropoutActsWhileTrainingOnlyAndBetweenLayersOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            EncoderDecoder net = Seq2SeqModelTest.net(10, 10, 0.5f);
            Seq2SeqEncoder enc = (Seq2SeqEncoder) net.getEncoder();
            Seq2Seq.initialize(net, m, 5, 0);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.create(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 1}, new Shape(2, 5));
            NDList inf1 = enc.forward(ps, new NDList(x), false);
            NDList inf2 = enc.forward(ps, new NDList(x), false);
            assertArrayEquals(inf1.head().toFloatArray(), inf2.head().toFloatArray(), 0f);
            NDList s1 = trainingForward(enc, ps, x, 1);
            NDList s1again = trainingForward(enc, ps, x, 1);
            NDList s2 = trainingForward(enc, ps, x, 2);
            assertArrayEquals(s1.head().toFloatArray(), s1again.head().toFloatArray(), 0f);
            double d12 = maxAbsDiff(s1.head(), s2.head());
            double dInf = maxAbsDiff(s1.head(), inf1.head());
            assertTrue("seeds 1 and 2 differ by " + d12, d12 > 1e-3);
            assertTrue("training and inference differ by " + dInf, dInf > 1e-3);
            // layer 0's state is computed before any dropout
            NDIndex layer0 = new NDIndex(0);
            assertEquals(0, maxAbsDiff(s1.get(1).get(layer0), inf1.get(1).get(layer0)), 1e-6);
            // no dropout after the last layer: its output at the last step is its final state
            NDArray lastStep = s1.head().get(new NDIndex(-1));
            assertEquals(0, maxAbsDiff(lastStep, s1.get(1).get(new NDIndex(-1))), 0);
            assertEquals(new Shape(2, 2, 16), s1.get(1).getShape());
        }
    }

    private static NDList trainingForward(
            Seq2SeqEncoder enc, ParameterStore ps, NDArray x, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList out = enc.forward(ps, new NDList(x), true);
            return new NDList(out.get(0).duplicate(), out.get(1).duplicate());
        }
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    /**
     * With dropout 0, the stack computes what DJL's {@code GRU.builder().setNumLayers(n)} does
     * with the same weights (copied into MXNet's joined layout: all weights, then all biases),
     * with and without an initial state, 2 and 3 layers.
     */
    @Test
    public void withoutDropoutEqualsDjlsStackedGru() {
        for (int layers : new int[] {2, 3}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Random rng = new Random(layers);
                GruStack stack = new GruStack(H, layers, 0f);
                stack.initialize(m, DataType.FLOAT32, new Shape(T, B, IN));
                randomize(stack, rng);
                GRU gru =
                        GRU.builder()
                                .setNumLayers(layers)
                                .setStateSize(H)
                                .optReturnState(true)
                                .optBatchFirst(false)
                                .build();
                gru.initialize(m, DataType.FLOAT32, new Shape(T, B, IN));
                copyIntoStackedLayout(stack, gru);
                NDArray x = gaussian(m, rng, new Shape(T, B, IN));
                NDArray h0 = gaussian(m, rng, new Shape(layers, B, H));
                ParameterStore ps = new ParameterStore(m, false);
                for (NDList in : new NDList[] {new NDList(x), new NDList(x, h0)}) {
                    NDList a = stack.forward(ps, in, false);
                    NDList b = gru.forward(ps, in, false);
                    assertEquals(b.get(1).getShape(), a.get(1).getShape());
                    assertEquals(0, maxAbsDiff(a.get(0), b.get(0)), 1e-5);
                    assertEquals(0, maxAbsDiff(a.get(1), b.get(1)), 1e-5);
                }
            }
        }
    }

    /** The stack's arrays written into a DJL stacked GRU as MXNet reads its joined vector. */
    private static void copyIntoStackedLayout(GruStack stack, GRU gru) {
        List<float[]> weights = new ArrayList<>();
        List<float[]> biases = new ArrayList<>();
        for (GRU layer : stack.getLayers()) {
            for (Parameter p : layer.getParameters().values()) {
                (p.getType() == Parameter.Type.WEIGHT ? weights : biases)
                        .add(p.getArray().toFloatArray());
            }
        }
        List<Float> flat = new ArrayList<>();
        for (List<float[]> part : List.of(weights, biases)) {
            for (float[] a : part) {
                for (float f : a) {
                    flat.add(f);
                }
            }
        }
        int off = 0;
        for (Parameter p : gru.getParameters().values()) {
            float[] v = new float[(int) p.getArray().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = flat.get(off++);
            }
            p.getArray().set(v);
        }
        assertEquals(flat.size(), off);
    }

    /**
     * The gradients of every layer against central finite differences of the stack's own
     * training forward: with dropout 0, and with dropout 0.3 whose mask is frozen by seeding the
     * engine before every forward. Fails with DJL's stacked GRU on MXNet's own RNN (the kernel
     * that applies dropout): see {@code Seq2SeqModelTest}.
     */
    @Test
    public void gradientsOfEveryLayerMatchFiniteDifferences() {
        for (float rate : new float[] {0f, 0.3f}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Random rng = new Random(5);
                GruStack stack = new GruStack(H, 2, rate);
                stack.initialize(m, DataType.FLOAT32, new Shape(T, B, IN));
                randomize(stack, rng);
                NDArray x = gaussian(m, rng, new Shape(T, B, IN));
                NDArray h0 = gaussian(m, rng, new Shape(2, B, H));
                NDArray r = gaussian(m, rng, new Shape(T, B, H));
                NDArray rs = gaussian(m, rng, new Shape(2, B, H));
                ParameterStore ps = new ParameterStore(m, false);
                double noMask = weightedSum(stack, ps, x, h0, r, rs, false, 8);
                weightedSum(stack, ps, x, h0, r, rs, true, 7);
                double masked = weightedSum(stack, ps, x, h0, r, rs, false, 7);
                // the mask acts (or not) as the rate says
                assertEquals(rate > 0, Math.abs(masked - noMask) > 1e-4);
                int layer = 0;
                for (GRU gru : stack.getLayers()) {
                    double worst = 0;
                    double largest = 0;
                    for (Parameter p : gru.getParameters().values()) {
                        NDArray w = p.getArray();
                        float[] grad = w.getGradient().toFloatArray();
                        float[] v = w.toFloatArray();
                        for (int i = 0; i < v.length; i += 3) {
                            float[] moved = v.clone();
                            moved[i] += 1e-2f;
                            w.set(moved);
                            double plus = weightedSum(stack, ps, x, h0, r, rs, false, 7);
                            moved[i] -= 2e-2f;
                            w.set(moved);
                            double minus = weightedSum(stack, ps, x, h0, r, rs, false, 7);
                            w.set(v);
                            double fd = (plus - minus) / 2e-2;
                            worst = Math.max(worst, Math.abs(fd - grad[i]));
                            largest = Math.max(largest, Math.abs(fd));
                        }
                    }
                    String what = "rate " + rate + ", layer " + layer++;
                    System.out.println(what + ": worst error " + worst + ", largest " + largest);
                    assertTrue(what + ": gradients about zero (" + largest + ")", largest > 0.05);
                    assertTrue(what + ": worst gradient error " + worst, worst < 2e-3);
                }
            }
        }
    }

    /**
     * An encoder-decoder saves its parameters in DJL's block format (the Dropout children have
     * input shapes to write) and a fresh model loads them and computes the same.
     */
    @Test
    public void parametersSaveAndLoadIntoAFreshModel() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            EncoderDecoder net = Seq2SeqModelTest.net(10, 12, 0.1f);
            Seq2Seq.initialize(net, m, 5, 3);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                net.saveParameters(out);
            }
            EncoderDecoder fresh = Seq2SeqModelTest.net(10, 12, 0.1f);
            Seq2Seq.initialize(fresh, m, 5, 4);
            try (DataInputStream in =
                    new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                fresh.loadParameters(m, in);
            }
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.create(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 1}, new Shape(2, 5));
            NDArray a = net.forward(ps, new NDList(x, x), false).head();
            NDArray b = fresh.forward(ps, new NDList(x, x), false).head();
            assertEquals(0, maxAbsDiff(a, b), 0);
        }
    }

    /** sum(outputs * r) + sum(state * rs) of a training forward, the engine seeded first. */
    private static double weightedSum(
            GruStack stack,
            ParameterStore ps,
            NDArray x,
            NDArray h0,
            NDArray r,
            NDArray rs,
            boolean backward,
            int seed) {
        Engine.getInstance().setRandomSeed(seed);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList out = stack.forward(ps, new NDList(x, h0), true);
            NDArray l = out.get(0).mul(r).sum().add(out.get(1).mul(rs).sum());
            if (backward) {
                gc.backward(l);
            }
            return l.getFloat();
        }
    }
}
