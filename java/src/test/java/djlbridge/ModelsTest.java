package djlbridge;

import static org.junit.Assert.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import org.junit.Test;

/** The scratch and concise models of every kind: the shapes of their outputs, states and parameters. */
public class ModelsTest {

    private static void checkForward(LanguageModel net, int states, NDManager m) {
        checkForward(net, states, m, 16);
    }

    /** {@code stateSize}: the elements of the first state array per batch row. */
    private static void checkForward(LanguageModel net, int states, NDManager m, int stateSize) {
        int batch = 3;
        int steps = 4;
        NDArray x = m.randomInteger(0, 28, new Shape(batch, steps), ai.djl.ndarray.types.DataType.INT32);
        NDList state = net.beginState(batch, Device.cpu());
        state.attach(m);
        assertEquals(states, state.size());
        Pair<NDArray, NDList> out = net.forward(x, state, false);
        assertEquals(new Shape(steps * batch, 28), out.getKey().getShape());
        assertEquals(states, out.getValue().size());
        assertEquals(batch * stateSize, out.getValue().get(0).size());
        assertEquals(state.get(0).getShape(), out.getValue().get(0).getShape());
    }

    @Test
    public void scratchAndConciseShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelKind kind : ModelKind.values()) {
                int states = kind.getStates();
                try (LanguageModel s = RNNModelScratch.of(kind, 28, 16, Device.cpu(), m);
                        LanguageModel c = RNNModel.of(kind, 28, 16).initialize(m, Device.cpu())) {
                    checkForward(s, states, m);
                    checkForward(c, states, m);
                    assertEquals(3 * kind.getGates() + 2, s.getParams().size());
                    assertEquals(6, c.getParams().size());
                }
                try (LanguageModel s = RNNModelScratch.of(kind, 28, 16, 2, Device.cpu(), m, true);
                        LanguageModel c = RNNModel.of(kind, 28, 16, 2, false).initialize(m, Device.cpu())) {
                    checkForward(s, 2 * states, m, 16);
                    checkForward(c, states, m, 2 * 16);
                    assertEquals(2 * 3 * kind.getGates() + 2, s.getParams().size());
                    assertEquals(10, c.getParams().size());
                }
                try (LanguageModel c = RNNModel.of(kind, 28, 16, 1, true).initialize(m, Device.cpu())) {
                    checkForward(c, states, m, 2 * 16);
                }
            }
        }
    }
}
