package djlbridge;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import djlbridge.mxnet.RnnOperator;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * The concise model of the Java text: one of DJL's recurrent layers ({@code GRU}, {@code LSTM},
 * {@code RNN}, time-major, returning its state) followed by a dense output layer. Weights start
 * from N(0, 0.01) and biases from zero, as the text's trainer initializes them, by the role
 * MXNet's operator gives each value (for a stack not what DJL's names say).
 *
 * <p>The layer may be a stack ({@code setNumLayers}, D2L 9.3) and bidirectional ({@code
 * optBidirectional}, D2L 9.4): the state then has one row per layer and direction ((layers *
 * directions, batch, hidden)), and the output layer reads both directions (2 * hidden inputs).
 */
public final class RNNModel extends AbstractBlock implements LanguageModel {

    private final RecurrentBlock rnnLayer;
    private final RnnOperator rnnOperator;
    private final Linear dense;
    private final int vocabSize;
    private final int numStates;
    private final long numHiddens;
    private final long stateRows;
    private final long outputWidth;
    private NDManager manager;
    private NDList paramsCache;

    /**
     * Wraps a recurrent layer, as the Java text's constructor. Call {@link #initialize(NDManager,
     * Device)} before use.
     *
     * @param rnnLayer a GRU, LSTM or RNN layer built with {@code optReturnState(true)} and {@code
     *     optBatchFirst(false)}, of any number of layers, in one or both directions
     * @param vocabSize the vocabulary size
     * @throws IllegalArgumentException for another kind of layer, or one that returns no state
     */
    public RNNModel(RecurrentBlock rnnLayer, int vocabSize) {
        this.rnnLayer = addChildBlock("rnn", rnnLayer);
        this.vocabSize = vocabSize;
        this.numStates = ModelKind.of(rnnLayer).getStates();
        // (steps, batch, hidden * directions) and the state (layers * directions, batch, hidden)
        Shape[] shapes = rnnLayer.getOutputShapes(new Shape[] {new Shape(1, 1, vocabSize)});
        if (shapes.length < 2) {
            throw new IllegalArgumentException(
                    "the recurrent layer must return its state: build it with optReturnState(true)");
        }
        this.outputWidth = shapes[0].get(2);
        this.numHiddens = shapes[1].get(2);
        this.stateRows = shapes[1].get(0);
        long directions = outputWidth / numHiddens;
        this.rnnOperator = new RnnOperator(
                rnnLayer, numHiddens, (int) (stateRows / directions), directions == 2);
        this.dense = addChildBlock("linear", Linear.builder().setUnits(vocabSize).build());
    }

    /**
     * Builds a one-layer concise GRU, LSTM or plain RNN (tanh) model ({@link ModelKind#newLayer}).
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @return the model, not yet initialized
     */
    public static RNNModel of(ModelKind kind, int vocabSize, int numHiddens) {
        return new RNNModel(kind.newLayer(numHiddens), vocabSize);
    }

    /**
     * Builds a concise model of {@code numLayers} stacked layers, bidirectional or not, as D2L 9.3
     * and 9.4 do with DJL's builders ({@link ModelKind#newLayer(int, int, boolean)}).
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of each layer and direction
     * @param numLayers the number of stacked layers
     * @param bidirectional whether each layer also runs backwards in time
     * @return the model, not yet initialized
     */
    public static RNNModel of(
            ModelKind kind, int vocabSize, int numHiddens, int numLayers, boolean bidirectional) {
        return new RNNModel(kind.newLayer(numHiddens, numLayers, bidirectional), vocabSize);
    }

    /**
     * Builds a stacked concise model by name: {@code of(ModelKind.of(kind), ...)}.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of each layer and direction
     * @param numLayers the number of stacked layers
     * @param bidirectional whether each layer also runs backwards in time
     * @return the model, not yet initialized
     */
    public static RNNModel of(
            String kind, int vocabSize, int numHiddens, int numLayers, boolean bidirectional) {
        return of(ModelKind.of(kind), vocabSize, numHiddens, numLayers, bidirectional);
    }

    /**
     * Builds a concise model by name: {@code of(ModelKind.of(kind), vocabSize, numHiddens)}.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @return the model, not yet initialized
     */
    public static RNNModel of(String kind, int vocabSize, int numHiddens) {
        return of(ModelKind.of(kind), vocabSize, numHiddens);
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
        initializeByRole();
        return this;
    }

    /**
     * Gives every value of the layer's joined parameter vector the start of the role MXNet's
     * operator reads it in: DJL 0.36 joins each layer's weights then that layer's biases, MXNet
     * reads the weights of all layers first, then all biases, so from layer 1 on an array's DJL
     * name is not its role (docs/parity.md) and DJL's initialization by name started some of
     * MXNet's biases random and some of its weights zero. The values DJL drew for its weights,
     * in its order, become the first values of the vector (MXNet's weights); the rest (MXNet's
     * biases) zero. One layer (in one or both directions): the two orders agree, nothing moves.
     */
    private void initializeByRole() {
        long directions = outputWidth / numHiddens;
        if (stateRows / directions < 2) {
            return;
        }
        PairList<String, Parameter> params = rnnLayer.getDirectParameters();
        // on the engine's side, not the Java heap: a model may hold up to 2 GiB of parameters
        try (NDManager scratch = manager.newSubManager()) {
            NDList drawn = new NDList();
            long total = 0;
            for (Parameter p : params.values()) {
                total += p.getArray().size();
                if (p.getType() == Parameter.Type.WEIGHT) {
                    NDArray flat = p.getArray().reshape(-1);
                    flat.attach(scratch);
                    drawn.add(flat);
                }
            }
            NDArray weights = NDArrays.concat(drawn);
            weights.attach(scratch);
            NDArray vector = weights.concat(scratch.zeros(new Shape(total - weights.size())));
            vector.attach(scratch);
            long at = 0;
            for (Parameter p : params.values()) {
                long n = p.getArray().size();
                NDArray part = vector.get(at + ":" + (at + n));
                part.attach(scratch);
                p.getArray().set(part.toByteBuffer());
                at += n;
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager m, DataType dataType, Shape... inputShapes) {
        rnnLayer.initialize(m, dataType, new Shape(1, 1, vocabSize));
        dense.initialize(m, dataType, new Shape(1, outputWidth));
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
                RnnOperator.accepts(rnnInputs)
                        ? rnnOperator.forward(parameterStore, rnnInputs, training)
                        : rnnLayer.forward(parameterStore, rnnInputs, training);
        NDArray y = result.get(0);
        NDArray out =
                dense.forward(parameterStore, new NDList(y.reshape(-1, y.getShape().get(2))), training)
                        .get(0);
        NDList output = new NDList(out);
        output.addAll(result.subNDList(1));
        return output;
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
            state.add(manager.zeros(
                    new Shape(stateRows, batchSize, numHiddens), DataType.FLOAT32, device));
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
