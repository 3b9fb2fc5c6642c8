package djlbridge.mxnet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import djlbridge.ModelKind;
import djlbridge.RNNModel;
import org.junit.Test;

/** {@link RnnOperator} against the DJL layer it stands in for. */
public class RnnOperatorTest {

    /**
     * RNNModel runs its recurrent layer as one {@code _npx_rnn} call on parameters it joins
     * itself ({@link RnnOperator}): the output, the states and the parameter gradients equal those
     * of DJL's layer.
     */
    @Test
    public void matchesTheDjlLayer() {
        check(1, false);
    }

    /** The same for a stack of layers (D2L 9.3) and for both directions (D2L 9.4). */
    @Test
    public void matchesTheDjlLayerStackedAndBidirectional() {
        check(2, false);
        check(1, true);
        check(3, true);
    }

    private static void check(int layers, boolean bidirectional) {
        int rows = layers * (bidirectional ? 2 : 1);
        for (ModelKind kind : ModelKind.values()) {
            int states = kind.getStates();
            try (NDManager m = NDManager.newBaseManager();
                    RNNModel c = RNNModel.of(kind, 28, 16, layers, bidirectional)
                            .initialize(m, Device.cpu())) {
                NDList in = new NDList(m.randomInteger(0, 28, new Shape(5, 3), DataType.INT32)
                        .oneHot(28));
                for (int i = 0; i < states; i++) {
                    in.add(m.randomNormal(new Shape(rows, 3, 16)));
                }
                // every parameter non-zero, biases too, so that each one's place matters
                for (NDArray p : c.getParams()) {
                    p.addi(m.randomNormal(0f, 0.1f, p.getShape(), DataType.FLOAT32));
                }
                NDList[] results = new NDList[2];
                for (int run = 0; run < 2; run++) {
                    ParameterStore ps = new ParameterStore(m, false);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList out = run == 0
                                ? c.getRnnLayer().forward(ps, in, true)
                                : new RnnOperator(c.getRnnLayer(), 16, layers, bidirectional)
                                        .forward(ps, in, true);
                        assertEquals(1 + states, out.size());
                        NDArray loss = out.get(0).square().sum();
                        for (int i = 1; i < out.size(); i++) {
                            loss = loss.add(out.get(i).mul(i + 1).sum());
                        }
                        gc.backward(loss);
                        results[run] = new NDList();
                        for (NDArray o : out) {
                            results[run].add(o.duplicate());
                        }
                        for (int i = 0; i < 4 * rows; i++) {
                            results[run].add(c.getParams().get(i).getGradient().duplicate());
                        }
                    }
                }
                assertEquals(1 + states + 4 * rows, results[0].size());
                assertEquals(new Shape(5, 3, 16 * rows / layers), results[0].get(0).getShape());
                for (int i = 0; i < results[0].size(); i++) {
                    assertTrue(kind + " x" + layers + (bidirectional ? " bidirectional" : "")
                                    + " array " + i,
                            results[0].get(i).allClose(results[1].get(i), 1e-5, 1e-7, false));
                }
            }
        }
    }
}
