package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Pair;
import djlbridge.mxnet.HybridScratchCells;
import djlbridge.mxnet.ScratchGraph;

/**
 * A recurrent language model built from scratch, as the Java text's {@code RNNModelScratch}: a
 * parameter factory, a state factory and a cell function. {@link ScratchCells} holds the GRU, LSTM
 * and plain RNN cells of chapters 8 and 9, each of which also runs a stack of layers (D2L 9.3:
 * {@link #of(ModelKind, int, int, int, Device, NDManager, boolean)} with more than one layer).
 * Built by {@link #hybrid} (or {@code of(..., true)}), the same model runs each forward pass as
 * one MXNet cached operator over the unrolled sequence and all its layers ({@link
 * HybridScratchCells}, {@link ScratchGraph}) instead of operation by operation.
 */
public final class RNNModelScratch implements LanguageModel {

    /** Creates the parameters: (vocabSize, numHiddens, device, manager) to a list of arrays. */
    @FunctionalInterface
    public interface ParamsFn {
        /**
         * Creates the parameters.
         *
         * @param vocabSize the vocabulary size
         * @param numHiddens the hidden size
         * @param device the device
         * @param manager the manager that owns the arrays
         * @return the parameters
         */
        NDList apply(int vocabSize, int numHiddens, Device device, NDManager manager);
    }

    /** Creates the begin state: (batchSize, numHiddens, device, manager) to a list of arrays. */
    @FunctionalInterface
    public interface StateFn {
        /**
         * Creates the begin state.
         *
         * @param batchSize the batch size
         * @param numHiddens the hidden size
         * @param device the device
         * @param manager the manager that owns the arrays
         * @return the state
         */
        NDList apply(int batchSize, int numHiddens, Device device, NDManager manager);
    }

    /** The cell: (inputs of shape (steps, batch, vocab), state, params) to (outputs, state). */
    @FunctionalInterface
    public interface CellFn {
        /**
         * Runs the cell over all time steps.
         *
         * @param inputs one-hot inputs, time-major
         * @param state the state
         * @param params the parameters
         * @return logits (steps * batch, vocab) and the new state
         */
        Pair<NDArray, NDList> apply(NDArray inputs, NDList state, NDList params);
    }

    private final NDManager manager;
    private final int vocabSize;
    private final int numHiddens;
    private final int numLayers;
    private final NDList params;
    private final StateFn initState;
    private final CellFn forwardFn;
    private HybridScratchCells hybrid;

    /**
     * Creates a scratch model, as the Java text's constructor.
     *
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device the parameters live on
     * @param getParams the parameter factory
     * @param initState the state factory
     * @param forwardFn the cell
     * @param parent the manager whose sub-manager owns the parameters
     */
    public RNNModelScratch(
            int vocabSize,
            int numHiddens,
            Device device,
            ParamsFn getParams,
            StateFn initState,
            CellFn forwardFn,
            NDManager parent) {
        this(vocabSize, numHiddens, 1, device, getParams, initState, forwardFn, parent);
    }

    private RNNModelScratch(
            int vocabSize,
            int numHiddens,
            int numLayers,
            Device device,
            ParamsFn getParams,
            StateFn initState,
            CellFn forwardFn,
            NDManager parent) {
        this.manager = parent.newSubManager(device);
        this.vocabSize = vocabSize;
        this.numHiddens = numHiddens;
        this.numLayers = numLayers;
        this.params = getParams.apply(vocabSize, numHiddens, device, manager);
        for (NDArray p : params) {
            p.setRequiresGradient(true);
        }
        this.initState = initState;
        this.forwardFn = forwardFn;
    }

    /**
     * Creates a scratch GRU, LSTM or plain RNN model with the text's cells ({@link ScratchCells}).
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param parent the parent manager
     * @return the model
     */
    public static RNNModelScratch of(
            ModelKind kind, int vocabSize, int numHiddens, Device device, NDManager parent) {
        return new RNNModelScratch(vocabSize, numHiddens, device, kind.getScratchParams(),
                kind.getScratchState(), kind.getScratchCell(), parent);
    }

    /**
     * Creates a scratch model by name: {@code of(ModelKind.of(kind), ...)}.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param parent the parent manager
     * @return the model
     */
    public static RNNModelScratch of(
            String kind, int vocabSize, int numHiddens, Device device, NDManager parent) {
        return of(ModelKind.of(kind), vocabSize, numHiddens, device, parent);
    }

    /**
     * Creates a scratch GRU, LSTM or plain RNN model, hybridized or not. Hybridized, the model
     * has the same parameters (same initialization, same order, same arrays) and computes the
     * same function, but each forward pass runs as one MXNet cached operator over an unrolled
     * graph ({@link HybridScratchCells}) instead of the op-by-op cells of {@link ScratchCells}.
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param parent the parent manager (of the MXNet engine when {@code hybridize})
     * @param hybridize whether forward passes run as one cached operator
     * @return the model
     */
    public static RNNModelScratch of(
            ModelKind kind,
            int vocabSize,
            int numHiddens,
            Device device,
            NDManager parent,
            boolean hybridize) {
        return of(kind, vocabSize, numHiddens, 1, device, parent, hybridize);
    }

    /**
     * Creates a stack of {@code numLayers} scratch GRU, LSTM or plain RNN layers (D2L 9.3, and
     * its exercise 1: the deep model from the one-layer cells), hybridized or not: the
     * parameters of {@link ScratchCells#getParams}, the state of {@link ScratchCells#initState},
     * the text's cell of {@code kind}, which runs every layer. With one layer this is the model
     * of {@link #of(ModelKind, int, int, Device, NDManager, boolean)}, drawing the same weights.
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of every layer
     * @param numLayers the number of stacked layers, at least 1
     * @param device the device
     * @param parent the parent manager (of the MXNet engine when {@code hybridize})
     * @param hybridize whether forward passes run as one cached operator (all layers in one)
     * @return the model
     */
    public static RNNModelScratch of(
            ModelKind kind,
            int vocabSize,
            int numHiddens,
            int numLayers,
            Device device,
            NDManager parent,
            boolean hybridize) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("numLayers must be at least 1, got " + numLayers);
        }
        RNNModelScratch model = new RNNModelScratch(vocabSize, numHiddens, numLayers, device,
                (v, h, d, m) -> ScratchCells.getParams(kind, numLayers, v, h, d, m),
                (b, h, d, m) -> ScratchCells.initState(kind, numLayers, b, h, d, m),
                kind.getScratchCell(), parent);
        if (hybridize) {
            try {
                model.hybrid = new HybridScratchCells(
                        kind, numLayers, vocabSize, numHiddens, model.params, model.manager);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return model;
    }

    /**
     * Creates a scratch model by name, hybridized or not: {@code of(ModelKind.of(kind), ...)}.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param parent the parent manager (of the MXNet engine when {@code hybridize})
     * @param hybridize whether forward passes run as one cached operator
     * @return the model
     */
    public static RNNModelScratch of(
            String kind,
            int vocabSize,
            int numHiddens,
            Device device,
            NDManager parent,
            boolean hybridize) {
        return of(ModelKind.of(kind), vocabSize, numHiddens, device, parent, hybridize);
    }

    /**
     * Creates a hybridized scratch model: {@code of(kind, vocabSize, numHiddens, device, parent,
     * true)}.
     *
     * @param kind "gru", "lstm" or "rnn"
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param parent the parent manager (of the MXNet engine)
     * @return the model
     */
    public static RNNModelScratch hybrid(
            String kind, int vocabSize, int numHiddens, Device device, NDManager parent) {
        return of(kind, vocabSize, numHiddens, device, parent, true);
    }

    /**
     * Returns whether forward passes run as one cached operator.
     *
     * @return whether the model is hybridized
     */
    public boolean isHybrid() {
        return hybrid != null;
    }

    /** {@inheritDoc} */
    @Override
    public Pair<NDArray, NDList> forward(NDArray x, NDList state, boolean training) {
        if (hybrid != null) {
            return hybrid.forward(x, state, training);
        }
        NDArray inputs = x.transpose().oneHot(vocabSize);
        return forwardFn.apply(inputs, state, params);
    }

    /** {@inheritDoc} */
    @Override
    public NDList beginState(int batchSize, Device device) {
        return initState.apply(batchSize, numHiddens, device, manager);
    }

    /** {@inheritDoc} */
    @Override
    public NDList getParams() {
        return params;
    }

    /** {@inheritDoc} */
    @Override
    public int getVocabSize() {
        return vocabSize;
    }

    /**
     * Returns the hidden size.
     *
     * @return the hidden size
     */
    public int getNumHiddens() {
        return numHiddens;
    }

    /**
     * Returns the number of stacked layers (1 for a model made with the text's constructor).
     *
     * @return the layers
     */
    public int getNumLayers() {
        return numLayers;
    }

    /** The manager that owns the parameters (for tests that check nothing else piles up there). */
    NDManager getManager() {
        return manager;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }
}
