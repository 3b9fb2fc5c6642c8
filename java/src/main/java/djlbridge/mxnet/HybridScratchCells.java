package djlbridge.mxnet;

import ai.djl.mxnet.engine.MxNDManager;
import ai.djl.mxnet.engine.MxSymbolBlock;
import ai.djl.mxnet.engine.Symbol;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scratch cells hybridized: each forward pass is one MXNet CachedOp running the graph of
 * {@link ScratchGraph} instead of a dozen imperative operations per time step.
 *
 * <p>The graph reads the model's own parameter arrays, never copies of them: an in-place update
 * ({@code subi} in SGD, {@code set} when a checkpoint is loaded) is what the next forward pass
 * sees, and the gradients of a recorded forward pass land on those arrays as with the imperative
 * cells. The number of time steps is part of an unrolled graph, so one graph is built per
 * sequence length the model meets (in practice two: the training length, and 1 for prediction
 * one character at a time); the batch size may change freely.
 */
public final class HybridScratchCells {

    private final CellKind kind;
    private final int numLayers;
    private final List<String> names;
    private final List<String> inputNames;
    private final int vocabSize;
    private final int numHiddens;
    private final NDList params;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final Map<Integer, MxSymbolBlock> blocks = new HashMap<>();

    /**
     * Binds the hybrid cells of one layer to a scratch model's parameters: {@code
     * HybridScratchCells(kind, 1, vocabSize, numHiddens, params, manager)}.
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param params the parameters, in the order of {@link CellKind#getParamNames}, each with
     *     its gradient attached
     * @param manager the model's manager: it owns the graphs and cached operators
     */
    public HybridScratchCells(
            CellKind kind, int vocabSize, int numHiddens, NDList params, NDManager manager) {
        this(kind, 1, vocabSize, numHiddens, params, manager);
    }

    /**
     * Binds the hybrid cells of a stack of layers to a scratch model's parameters.
     *
     * @param kind the kind of model
     * @param numLayers the number of stacked layers
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of every layer
     * @param params the parameters, in the order of {@link CellKind#getParamNames(int)}, each
     *     with its gradient attached
     * @param manager the model's manager: it owns the graphs and cached operators
     */
    public HybridScratchCells(
            CellKind kind, int numLayers, int vocabSize, int numHiddens, NDList params,
            NDManager manager) {
        List<String> names = kind.getParamNames(numLayers);
        if (names.size() != params.size()) {
            throw new IllegalArgumentException(numLayers + " " + kind.getName() + " layers need "
                    + names.size() + " parameters, got " + params.size());
        }
        if (!(manager instanceof MxNDManager)) {
            throw new IllegalArgumentException(
                    "hybrid scratch cells need the MXNet engine, got " + manager.getEngine().getEngineName());
        }
        this.kind = kind;
        this.numLayers = numLayers;
        this.names = names;
        this.inputNames = ScratchGraph.inputNames(kind, numLayers);
        this.vocabSize = vocabSize;
        this.numHiddens = numHiddens;
        this.params = params;
        this.manager = manager;
        this.parameterStore = new ParameterStore(manager, false);
    }

    /**
     * Runs the model over a batch, as {@code ScratchCells.gru} and its siblings but in one
     * cached operation. Inside a {@code GradientCollector} the call is recorded for backward.
     *
     * @param x token indices of shape (batch, steps); the outputs belong to its manager. It is
     *     renamed {@code x} (the cached operator matches its inputs by name)
     * @param state (H), or (H, C) for the LSTM, of shape (batch, hidden), layer by layer;
     *     renamed {@code h0} (and {@code c0}), {@code h0_l1} ... ({@link ScratchGraph#inputNames})
     * @param training whether the pass is a training pass
     * @return logits (steps * batch, vocab), time-major, and the new state
     */
    public Pair<NDArray, NDList> forward(NDArray x, NDList state, boolean training) {
        if (x.getShape().dimension() != 2 || state.size() != inputNames.size() - 1) {
            throw new IllegalArgumentException(
                    "expected x of shape (batch, steps) and " + (inputNames.size() - 1)
                            + " state arrays, got " + x.getShape() + " and " + state.size());
        }
        int numSteps = (int) x.getShape().get(1);
        MxSymbolBlock block = blocks.computeIfAbsent(numSteps, this::build);
        // the cached operator matches its data inputs by name
        NDList inputs = new NDList(inputNames.size());
        inputs.add(x);
        inputs.addAll(state);
        for (int i = 0; i < inputs.size(); i++) {
            inputs.get(i).setName(inputNames.get(i));
        }
        NDList out = block.forward(parameterStore, inputs, training);
        NDList newState = new NDList(out.size() - 1);
        for (int i = 1; i < out.size(); i++) {
            newState.add(out.get(i));
        }
        return new Pair<>(out.get(0), newState);
    }

    private MxSymbolBlock build(int numSteps) {
        Symbol symbol = Symbol.loadJson(
                (MxNDManager) manager,
                ScratchGraph.json(kind, numLayers, vocabSize, numHiddens, numSteps));
        MxSymbolBlock block = new MxSymbolBlock(manager, symbol);
        block.setInputNames(inputNames);
        Map<String, NDArray> byName = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            byName.put(names.get(i), params.get(i));
        }
        int bound = 0;
        for (Parameter parameter : block.getAllParameters()) {
            NDArray array = byName.get(parameter.getName());
            if (array != null) {
                // the parameter's own array, not a copy; setArray also names it
                parameter.setArray(array);
                bound++;
            }
        }
        if (bound != names.size()) {
            throw new IllegalStateException(
                    "the " + kind.getName() + " graph binds " + bound + " of " + names.size() + " parameters");
        }
        return block;
    }
}
