package djlbridge.mxnet;

import ai.djl.mxnet.engine.MxNDManager;
import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;

/**
 * The forward pass of one of DJL's recurrent layers as DJL's MXNet engine runs it, one call of
 * MXNet's RNN operator ({@code _npx_rnn}) on the layer's parameters joined into one flat array,
 * with the same operator parameters, but with the parameters joined as rows of {@code numHiddens}
 * columns: MXNet's concatenation of the flattened (one-dimensional) parameters and its backward
 * cost about as much as a third of the recurrent operator itself, the two-dimensional ones a
 * fraction of that. Every parameter has a multiple of {@code numHiddens} elements (gates x hidden x
 * inputs, gates x hidden), so the rows hold the same values in the same order.
 *
 * <p>The layer is taken as the concise model builds it ({@code ModelKind.newLayer}): any number
 * of layers, one or two directions, a plain RNN with tanh. The parameters are joined in the order
 * DJL's layer joins them ({@code getDirectParameters()}: layer by layer, each layer's weights then
 * its biases), which for more than one layer is not the layout MXNet's operator reads (the
 * weights of all layers, then all biases): the operator sees the same flat array as from DJL's
 * layer, so the two compute the same function; docs/parity.md says what it means for the names.
 */
public final class RnnOperator {

    private final RecurrentBlock layer;
    private final String mode;
    private final int numStates;
    private final long numHiddens;
    private final int numLayers;
    private final boolean bidirectional;

    /**
     * Binds the operator to a one-layer, one-direction layer.
     *
     * @param layer a GRU, LSTM or RNN block, initialized before {@link #forward} is called
     * @param numHiddens the layer's hidden size
     */
    public RnnOperator(RecurrentBlock layer, long numHiddens) {
        this(layer, numHiddens, 1, false);
    }

    /**
     * Binds the operator to a layer.
     *
     * @param layer a GRU, LSTM or RNN block, initialized before {@link #forward} is called
     * @param numHiddens the layer's hidden size (of each direction)
     * @param numLayers the layer's number of stacked layers ({@code setNumLayers})
     * @param bidirectional whether the layer was built with {@code optBidirectional(true)}
     */
    public RnnOperator(RecurrentBlock layer, long numHiddens, int numLayers, boolean bidirectional) {
        this.layer = layer;
        this.mode = mode(layer);
        this.numStates = layer instanceof LSTM ? 2 : 1;
        this.numHiddens = numHiddens;
        this.numLayers = numLayers;
        this.bidirectional = bidirectional;
    }

    /**
     * Returns whether {@link #forward} can run these inputs: the begin state is given (without
     * it DJL's layer makes one) and the arrays belong to the MXNet engine.
     *
     * @param inputs the layer's inputs
     * @return true when the operator applies
     */
    public static boolean accepts(NDList inputs) {
        return inputs.size() > 1 && inputs.head().getManager() instanceof MxNDManager;
    }

    /**
     * Runs the layer: the same outputs and gradients as {@code layer.forward(parameterStore,
     * inputs, training)}.
     *
     * @param parameterStore the store the layer's parameter values come from
     * @param inputs the one-hot inputs (steps, batch, vocab) followed by the state, each (layers *
     *     directions, batch, hidden)
     * @param training whether the call is recorded for a backward pass
     * @return the outputs (steps, batch, hidden * directions) followed by the new state
     */
    public NDList forward(ParameterStore parameterStore, NDList inputs, boolean training) {
        NDArray x = inputs.head();
        MxNDManager mx = (MxNDManager) x.getManager();
        NDArray[] parts = new NDArray[layer.getDirectParameters().size()];
        int i = 0;
        for (Parameter p : layer.getDirectParameters().values()) {
            NDArray rows = parameterStore.getValue(p, x.getDevice(), training).reshape(-1, numHiddens);
            rows.attach(mx); // not the parameters' manager: freed with the batch
            parts[i++] = rows;
        }
        MxOpParams concat = new MxOpParams();
        concat.addParam("dim", 0);
        concat.addParam("num_args", parts.length);
        NDArray flat = mx.invoke("Concat", parts, concat).reshape(-1);
        MxOpParams op = new MxOpParams();
        op.addParam("mode", mode);
        op.addParam("p", 0.0);
        op.addParam("state_size", numHiddens);
        op.addParam("state_outputs", true);
        op.addParam("num_layers", numLayers);
        op.addParam("bidirectional", bidirectional);
        if (layer instanceof LSTM) {
            op.addParam("lstm_state_clip_nan", true);
        }
        NDArray[] args = new NDArray[2 + numStates];
        args[0] = x;
        args[1] = flat;
        for (int s = 0; s < numStates; s++) {
            args[2 + s] = inputs.get(1 + s);
        }
        // the joined parameters stay on the batch's manager (closing a DJL array waits for
        // the operators that read it)
        return mx.invoke("_npx_rnn", new NDList(args), op);
    }

    /** MXNet's name of the recurrent cell (DJL's {@code RNN} layer: tanh, as the text's). */
    private static String mode(RecurrentBlock layer) {
        if (layer instanceof GRU) {
            return "gru";
        }
        if (layer instanceof LSTM) {
            return "lstm";
        }
        if (layer instanceof RNN) {
            return "rnn_tanh";
        }
        throw new IllegalArgumentException(
                "a GRU, LSTM or RNN layer is needed, got " + layer.getClass().getName());
    }
}
