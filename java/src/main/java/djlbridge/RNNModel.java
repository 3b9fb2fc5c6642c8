package djlbridge;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.mxnet.engine.MxNDManager;
import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * The concise model of the Java text: one of DJL's recurrent layers ({@link GRU}, {@link LSTM},
 * {@link RNN}, time-major, returning its state) followed by a dense output layer. Weights start
 * from N(0, 0.01) and biases from zero, as the text's trainer initializes them.
 */
public final class RNNModel extends AbstractBlock implements LanguageModel {

    private final RecurrentBlock rnnLayer;
    private final Linear dense;
    private final int vocabSize;
    private final int numStates;
    private final long numHiddens;
    private NDManager manager;
    private NDList paramsCache;

    /**
     * Wraps a recurrent layer, as the Java text's constructor. Call {@link #initialize(NDManager,
     * Device)} before use.
     *
     * @param rnnLayer a layer built with {@code optReturnState(true)} and {@code
     *     optBatchFirst(false)}
     * @param vocabSize the vocabulary size
     */
    public RNNModel(RecurrentBlock rnnLayer, int vocabSize) {
        this.rnnLayer = addChildBlock("rnn", rnnLayer);
        this.vocabSize = vocabSize;
        this.numStates = rnnLayer instanceof LSTM ? 2 : 1;
        this.numHiddens = rnnLayer.getOutputShapes(new Shape[] {new Shape(1, 1, vocabSize)})[0].get(2);
        this.dense = addChildBlock("linear", Linear.builder().setUnits(vocabSize).build());
    }

    /**
     * Builds a one-layer concise GRU, LSTM or plain RNN (tanh) model.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @return the model, not yet initialized
     */
    public static RNNModel of(String kind, int vocabSize, int numHiddens) {
        RecurrentBlock layer;
        switch (kind) {
            case "gru":
                layer = GRU.builder().setNumLayers(1).setStateSize(numHiddens)
                        .optReturnState(true).optBatchFirst(false).build();
                break;
            case "lstm":
                layer = LSTM.builder().setNumLayers(1).setStateSize(numHiddens)
                        .optReturnState(true).optBatchFirst(false).build();
                break;
            case "rnn":
                layer = RNN.builder().setNumLayers(1).setStateSize(numHiddens)
                        .setActivation(RNN.Activation.TANH)
                        .optReturnState(true).optBatchFirst(false).build();
                break;
            default:
                throw new IllegalArgumentException(
                        "unknown model '" + kind + "': use gru, lstm or rnn");
        }
        return new RNNModel(layer, vocabSize);
    }

    /**
     * Creates the parameters on a sub-manager of {@code parent} on {@code device}: weights from
     * N(0, 0.01), biases zero.
     *
     * @param parent the parent manager
     * @param device the device
     * @return this model
     */
    public RNNModel initialize(NDManager parent, Device device) {
        manager = parent.newSubManager(device);
        setInitializer(new NormalInitializer(0.01f), Parameter.Type.WEIGHT);
        initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        return this;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager m, DataType dataType, Shape... inputShapes) {
        rnnLayer.initialize(m, dataType, new Shape(1, 1, vocabSize));
        dense.initialize(m, dataType, new Shape(1, numHiddens));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDList rnnInputs = new NDList(inputs.get(0).transpose().oneHot(vocabSize));
        for (int i = 1; i < inputs.size(); i++) {
            rnnInputs.add(inputs.get(i));
        }
        NDList result =
                rnnInputs.size() > 1 && rnnInputs.head().getManager() instanceof MxNDManager
                        ? fusedRnn(parameterStore, rnnInputs, training)
                        : rnnLayer.forward(parameterStore, rnnInputs, training);
        NDArray y = result.get(0);
        NDArray out =
                dense.forward(parameterStore, new NDList(y.reshape(-1, y.getShape().get(2))), training)
                        .get(0);
        NDList output = new NDList(out);
        output.addAll(result.subNDList(1));
        return output;
    }

    /**
     * The recurrent layer's forward as DJL's MXNet engine runs it (one {@code _npx_rnn} call on
     * the layer's parameters joined into one flat array, the same operator parameters), but with
     * the parameters joined as rows of {@code numHiddens} columns: MXNet's concatenation of the
     * flattened (one-dimensional) parameters and its backward cost about as much as a third of
     * the recurrent operator itself, the two-dimensional ones a fraction of that. Every
     * parameter has a multiple of {@code numHiddens} elements (gates x hidden x inputs, gates x
     * hidden), so the rows hold the same values in the same order.
     */
    NDList fusedRnn(ParameterStore parameterStore, NDList inputs, boolean training) {
        NDArray x = inputs.head();
        MxNDManager mx = (MxNDManager) x.getManager();
        NDArray[] parts = new NDArray[rnnLayer.getDirectParameters().size()];
        int i = 0;
        for (Parameter p : rnnLayer.getDirectParameters().values()) {
            NDArray rows = parameterStore.getValue(p, x.getDevice(), training).reshape(-1, numHiddens);
            rows.attach(mx); // not the parameters' manager: freed with the batch
            parts[i++] = rows;
        }
        MxOpParams concat = new MxOpParams();
        concat.addParam("dim", 0);
        concat.addParam("num_args", parts.length);
        NDArray flat = mx.invoke("Concat", parts, concat).reshape(-1);
        MxOpParams op = new MxOpParams();
        op.addParam("mode", numStates == 2 ? "lstm" : rnnMode());
        op.addParam("p", 0.0);
        op.addParam("state_size", numHiddens);
        op.addParam("state_outputs", true);
        op.addParam("num_layers", 1);
        op.addParam("bidirectional", false);
        if (numStates == 2) {
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

    private String rnnMode() {
        return rnnLayer instanceof GRU ? "gru" : "rnn_tanh";
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long n = inputShapes[0].get(0) * inputShapes[0].get(1);
        return new Shape[] {new Shape(n, vocabSize)};
    }

    /** {@inheritDoc} */
    @Override
    public Pair<NDArray, NDList> forward(NDArray x, NDList state, boolean training) {
        NDList in = new NDList(x);
        in.addAll(state);
        NDList out = forward(new ParameterStore(x.getManager(), false), in, training);
        return new Pair<>(out.get(0), out.subNDList(1));
    }

    /** {@inheritDoc} */
    @Override
    public NDList beginState(int batchSize, Device device) {
        NDList state = new NDList();
        for (int i = 0; i < numStates; i++) {
            state.add(manager.zeros(new Shape(1, batchSize, numHiddens), DataType.FLOAT32, device));
        }
        return state;
    }

    /** {@inheritDoc} */
    @Override
    public NDList getParams() {
        if (paramsCache == null) {
            paramsCache = new NDList();
            for (Pair<String, Parameter> p : getParameters()) {
                paramsCache.add(p.getValue().getArray());
            }
        }
        return paramsCache;
    }

    /**
     * Loads parameters in DJL's block format. Loading replaces the parameter arrays, so the list
     * {@link #getParams()} returns is built again from the new ones.
     *
     * @param m the manager the new arrays are created on
     * @param is the stream to read
     * @throws IOException if the stream cannot be read
     * @throws MalformedModelException if the stream does not hold this model's parameters
     */
    @Override
    public void loadParameters(NDManager m, DataInputStream is)
            throws IOException, MalformedModelException {
        try {
            super.loadParameters(m, is);
        } finally {
            paramsCache = null;
        }
    }

    /**
     * Returns the DJL parameter names, in the order of {@link #getParams()}.
     *
     * @return the names
     */
    public String[] getParamNames() {
        return getParameters().keys().toArray(new String[0]);
    }

    /** {@inheritDoc} */
    @Override
    public int getVocabSize() {
        return vocabSize;
    }

    /**
     * Returns the recurrent layer.
     *
     * @return the layer
     */
    public RecurrentBlock getRnnLayer() {
        return rnnLayer;
    }

    /** The manager that owns the parameters (for tests that check nothing else piles up there). */
    NDManager getManager() {
        return manager;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
