package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

/**
 * {@link ModelKind} against what the models really create: the scratch parameters in the order
 * and shapes its names say, the states, the gates of DJL's concise layer, and its names.
 */
public class ModelKindTest {

    private static final int V = 28;
    private static final int H = 8;

    /**
     * The shape a scratch parameter's name implies: W_x (V, H) in layer 0 and (H, H) above it,
     * W_h (H, H), b (H), output layer.
     */
    private static Shape expectedShape(String name) {
        if (name.startsWith("W_x") && name.contains("_l")) {
            return new Shape(H, H);
        }
        if (name.equals("W_hq")) {
            return new Shape(H, V);
        }
        if (name.equals("b_q")) {
            return new Shape(V);
        }
        if (name.startsWith("W_x")) {
            return new Shape(V, H);
        }
        if (name.startsWith("W_h")) {
            return new Shape(H, H);
        }
        return new Shape(H);
    }

    @Test
    public void namesAreTheTextsAndMatchTheScratchParameters() {
        assertEquals(Arrays.asList("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r", "W_xh", "W_hh",
                "b_h", "W_hq", "b_q"), ModelKind.GRU.getParamNames());
        assertEquals(Arrays.asList("W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f", "W_xo", "W_ho",
                "b_o", "W_xc", "W_hc", "b_c", "W_hq", "b_q"), ModelKind.LSTM.getParamNames());
        assertEquals(Arrays.asList("W_xh", "W_hh", "b_h", "W_hq", "b_q"),
                ModelKind.RNN.getParamNames());
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelKind kind : ModelKind.values()) {
                try (RNNModelScratch net = RNNModelScratch.of(kind, V, H, Device.cpu(), m)) {
                    NDList params = net.getParams();
                    List<String> names = kind.getParamNames();
                    assertEquals(kind.getName(), names.size(), params.size());
                    assertEquals(3 * kind.getGates() + 2, names.size());
                    for (int i = 0; i < names.size(); i++) {
                        assertEquals(kind.getName() + " " + names.get(i),
                                expectedShape(names.get(i)), params.get(i).getShape());
                    }
                    NDList state = net.beginState(2, Device.cpu());
                    state.attach(m);
                    assertEquals(kind.getStates(), state.size());
                }
            }
        }
    }

    @Test
    public void stackedNamesAreTheLayersTriplesThenTheOutputLayer() {
        assertEquals(ModelKind.GRU.getParamNames(), ModelKind.GRU.getParamNames(1));
        assertEquals(Arrays.asList("W_xh", "W_hh", "b_h", "W_xh_l1", "W_hh_l1", "b_h_l1",
                "W_xh_l2", "W_hh_l2", "b_h_l2", "W_hq", "b_q"), ModelKind.RNN.getParamNames(3));
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelKind kind : ModelKind.values()) {
                try (RNNModelScratch net = RNNModelScratch.of(kind, V, H, 2, Device.cpu(), m, false)) {
                    List<String> names = kind.getParamNames(2);
                    assertEquals(2 * kind.getParamsPerLayer() + 2, names.size());
                    assertEquals(2, kind.layersOf(names.size()));
                    for (int i = 0; i < names.size(); i++) {
                        assertEquals(kind.getName() + " " + names.get(i),
                                expectedShape(names.get(i)), net.getParams().get(i).getShape());
                    }
                    NDList state = net.beginState(2, Device.cpu());
                    state.attach(m);
                    assertEquals(2 * kind.getStates(), state.size());
                }
            }
        }
        try {
            ModelKind.LSTM.layersOf(15);
            fail("15 parameters were taken for LSTM layers");
        } catch (IllegalArgumentException e) {
            assertEquals("a scratch lstm has 12 parameters per layer and 2 in the output layer, "
                    + "got 15", e.getMessage());
        }
    }

    @Test
    public void theConciseLayerHasTheGatesAndStates() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (ModelKind kind : ModelKind.values()) {
                try (RNNModel net = RNNModel.of(kind, V, H).initialize(m, Device.cpu())) {
                    assertSame(kind, ModelKind.of(net.getRnnLayer()));
                    // DJL stacks the gates' input weights along the rows: (gates * H, V)
                    assertEquals(new Shape(kind.getGates() * H, V), net.getParams().get(0).getShape());
                    NDList state = net.beginState(2, Device.cpu());
                    state.attach(m);
                    assertEquals(kind.getStates(), state.size());
                }
                // two bidirectional layers: layer 1 reads both directions of layer 0, the state
                // has a row per layer and direction, the output layer reads both directions
                try (RNNModel net = RNNModel.of(kind, V, H, 2, true).initialize(m, Device.cpu())) {
                    NDList params = net.getParams();
                    assertEquals(2 * 2 * 4 + 2, params.size());
                    assertEquals(new Shape(kind.getGates() * H, V), params.get(0).getShape());
                    assertEquals(new Shape(kind.getGates() * H, 2 * H), params.get(8).getShape());
                    assertEquals(new Shape(V, 2 * H), params.get(params.size() - 2).getShape());
                    NDList state = net.beginState(3, Device.cpu());
                    state.attach(m);
                    assertEquals(kind.getStates(), state.size());
                    assertEquals(new Shape(4, 3, H), state.get(0).getShape());
                }
            }
        }
    }

    @Test
    public void namesRoundTripAndOthersAreRefused() {
        List<String> names = new ArrayList<>();
        for (ModelKind kind : ModelKind.values()) {
            assertSame(kind, ModelKind.of(kind.getName()));
            names.add(kind.getName());
        }
        assertEquals(Arrays.asList("gru", "lstm", "rnn"), names);
        assertEquals("gru, lstm or rnn", ModelKind.choices());
        assertFalse(ModelKind.find("GRU").isPresent());
        try {
            ModelKind.of("transformer");
            fail("an unknown name was accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("unknown model 'transformer': use gru, lstm or rnn", e.getMessage());
        }
    }
}
