package djlbridge;

import ai.djl.nn.recurrent.RecurrentBlock;
import djlbridge.mxnet.CellKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The recurrent models of D2L chapters 8 and 9, and every fact about one that more than one class
 * needs: the name the CLI and the settings use, the gates and states, the scratch parameters in
 * the text's order, the scratch cell and DJL's concise layer. Every switch on the kind of model
 * goes through this enum; nothing else maps a name to a model or counts gates (the MXNet graph and
 * operator of {@code djlbridge.mxnet} switch on it for what only MXNet names).
 *
 * <p>The scratch parameters of a kind are, gate by gate in the text's order, {@code W_x<g>, W_h<g>,
 * b_<g>}, then the output layer {@code W_hq, b_q}: GRU gates {@code z, r, h} (update, reset,
 * candidate), LSTM gates {@code i, f, o, c} (input, forget, output, candidate cell), plain RNN the
 * one gate {@code h}. A stack of layers (D2L 9.3) has one such set of gate triples per layer, the
 * first layer's as above and layer {@code l > 0}'s with the suffix {@code _l<l>} ({@code W_xz_l1}
 * is the second layer's), then the one output layer; its state is the kind's state arrays layer
 * by layer ({@code H} of each layer; for the LSTM {@code H, C} of layer 0, then of layer 1, ...).
 */
public enum ModelKind implements CellKind {

    /** The gated recurrent unit of section 9.1: state (H). */
    GRU("gru", new String[] {"z", "r", "h"}, 1,
            ScratchCells::getGruParams, ScratchCells::initGruState, ScratchCells::gru,
            ai.djl.nn.recurrent.GRU.class,
            (numHiddens, numLayers, bidirectional) -> ai.djl.nn.recurrent.GRU.builder()
                    .setNumLayers(numLayers).setStateSize(numHiddens)
                    .optBidirectional(bidirectional)
                    .optReturnState(true).optBatchFirst(false).build()),

    /** The long short-term memory of section 9.2: state (H, C). */
    LSTM("lstm", new String[] {"i", "f", "o", "c"}, 2,
            ScratchCells::getLstmParams, ScratchCells::initLstmState, ScratchCells::lstm,
            ai.djl.nn.recurrent.LSTM.class,
            (numHiddens, numLayers, bidirectional) -> ai.djl.nn.recurrent.LSTM.builder()
                    .setNumLayers(numLayers).setStateSize(numHiddens)
                    .optBidirectional(bidirectional)
                    .optReturnState(true).optBatchFirst(false).build()),

    /** The plain recurrent network of section 8.5 (tanh): state (H). */
    RNN("rnn", new String[] {"h"}, 1,
            ScratchCells::getRnnParams, ScratchCells::initRnnState, ScratchCells::rnn,
            ai.djl.nn.recurrent.RNN.class,
            (numHiddens, numLayers, bidirectional) -> ai.djl.nn.recurrent.RNN.builder()
                    .setNumLayers(numLayers).setStateSize(numHiddens)
                    .setActivation(ai.djl.nn.recurrent.RNN.Activation.TANH)
                    .optBidirectional(bidirectional)
                    .optReturnState(true).optBatchFirst(false).build());

    /** Builds one of DJL's recurrent blocks: (hidden size, layers, bidirectional) to the block. */
    @FunctionalInterface
    private interface LayerFactory {
        RecurrentBlock build(int numHiddens, int numLayers, boolean bidirectional);
    }

    private final String name;
    private final List<String> gateNames;
    private final int states;
    private final List<String> paramNames;
    private final RNNModelScratch.ParamsFn scratchParams;
    private final RNNModelScratch.StateFn scratchState;
    private final RNNModelScratch.CellFn scratchCell;
    private final Class<? extends RecurrentBlock> layerClass;
    private final LayerFactory layer;

    ModelKind(
            String name,
            String[] gateNames,
            int states,
            RNNModelScratch.ParamsFn scratchParams,
            RNNModelScratch.StateFn scratchState,
            RNNModelScratch.CellFn scratchCell,
            Class<? extends RecurrentBlock> layerClass,
            LayerFactory layer) {
        this.name = name;
        this.gateNames = Collections.unmodifiableList(Arrays.asList(gateNames));
        this.states = states;
        this.paramNames = getParamNames(1);
        this.scratchParams = scratchParams;
        this.scratchState = scratchState;
        this.scratchCell = scratchCell;
        this.layerClass = layerClass;
        this.layer = layer;
    }

    /**
     * Returns the kind a name stands for.
     *
     * @param name "gru", "lstm" or "rnn"
     * @return the kind
     * @throws IllegalArgumentException for any other name
     */
    public static ModelKind of(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown model '" + name + "': use " + choices()));
    }

    /**
     * Returns the kind a name stands for, if any.
     *
     * @param name a name, e.g. "gru"
     * @return the kind, or empty when no kind has that name
     */
    public static Optional<ModelKind> find(String name) {
        for (ModelKind kind : values()) {
            if (kind.name.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the kind of one of DJL's recurrent layers.
     *
     * @param layer a {@code GRU}, {@code LSTM} or {@code RNN} block
     * @return the kind
     * @throws IllegalArgumentException for any other block
     */
    public static ModelKind of(RecurrentBlock layer) {
        for (ModelKind kind : values()) {
            if (kind.layerClass.isInstance(layer)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(
                "a GRU, LSTM or RNN layer is needed, got " + layer.getClass().getName());
    }

    /**
     * Returns the names of all kinds as a phrase for messages.
     *
     * @return "gru, lstm or rnn"
     */
    public static String choices() {
        ModelKind[] all = values();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < all.length; i++) {
            sb.append(i == 0 ? "" : i == all.length - 1 ? " or " : ", ").append(all[i].name);
        }
        return sb.toString();
    }

    /**
     * Returns the name the CLI, the settings and the checkpoints use.
     *
     * @return "gru", "lstm" or "rnn"
     */
    @Override
    public String getName() {
        return name;
    }

    /**
     * Returns the number of gates: the (W_x, W_h, b) triples of the scratch model, and the
     * blocks of rows of DJL's concise layer.
     *
     * @return 3 for GRU, 4 for LSTM, 1 for RNN
     */
    public int getGates() {
        return gateNames.size();
    }

    /**
     * Returns the number of state arrays: H, and C for the LSTM.
     *
     * @return 2 for LSTM, 1 otherwise
     */
    @Override
    public int getStates() {
        return states;
    }

    /**
     * Returns the names of the scratch parameters in the order the model creates them ({@link
     * RNNModelScratch#getParams()}).
     *
     * @return e.g. W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q for the GRU
     */
    public List<String> getParamNames() {
        return paramNames;
    }

    /**
     * Returns the names of the scratch parameters of a stack of {@code numLayers} layers, in the
     * order {@link ScratchCells#getParams} creates them: the gate triples of layer 0 (named as in
     * {@link #getParamNames()}), those of layer {@code l > 0} with the suffix {@code _l<l>}, then
     * {@code W_hq, b_q}.
     *
     * @param numLayers the number of stacked layers, at least 1
     * @return e.g. W_xh, W_hh, b_h, W_xh_l1, W_hh_l1, b_h_l1, W_hq, b_q for two RNN layers
     */
    @Override
    public List<String> getParamNames(int numLayers) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("numLayers must be at least 1, got " + numLayers);
        }
        List<String> params = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            String suffix = layerSuffix(l);
            for (String g : gateNames) {
                params.addAll(Arrays.asList("W_x" + g + suffix, "W_h" + g + suffix, "b_" + g + suffix));
            }
        }
        params.addAll(Arrays.asList("W_hq", "b_q"));
        return Collections.unmodifiableList(params);
    }

    /**
     * Returns the suffix of the names of layer {@code layer}'s scratch parameters and states.
     *
     * @param layer the layer, from 0
     * @return "" for layer 0, "_l1" for layer 1, ...
     */
    public static String layerSuffix(int layer) {
        return layer == 0 ? "" : "_l" + layer;
    }

    /** {@inheritDoc} */
    @Override
    public String getLayerSuffix(int layer) {
        return layerSuffix(layer);
    }

    /**
     * Returns the number of scratch parameters of one layer: a (W_x, W_h, b) triple per gate.
     *
     * @return 3 times the gates
     */
    public int getParamsPerLayer() {
        return 3 * getGates();
    }

    /**
     * Returns the number of stacked layers a scratch parameter list of this kind holds.
     *
     * @param numParams the size of the list: the layers' triples and the output layer
     * @return the layers
     * @throws IllegalArgumentException when no whole number of layers has that many parameters
     */
    public int layersOf(int numParams) {
        int perLayer = getParamsPerLayer();
        if (numParams < perLayer + 2 || (numParams - 2) % perLayer != 0) {
            throw new IllegalArgumentException(
                    "a scratch " + name + " has " + perLayer + " parameters per layer and 2 in the "
                            + "output layer, got " + numParams);
        }
        return (numParams - 2) / perLayer;
    }

    /**
     * Returns the text's parameter factory of the scratch model ({@code ScratchCells.get*Params}).
     *
     * @return the factory
     */
    public RNNModelScratch.ParamsFn getScratchParams() {
        return scratchParams;
    }

    /**
     * Returns the text's begin state of the scratch model ({@code ScratchCells.init*State}).
     *
     * @return the state factory
     */
    public RNNModelScratch.StateFn getScratchState() {
        return scratchState;
    }

    /**
     * Returns the text's scratch cell ({@link ScratchCells#gru} and its siblings).
     *
     * @return the cell
     */
    public RNNModelScratch.CellFn getScratchCell() {
        return scratchCell;
    }

    /**
     * Builds DJL's one-layer recurrent block of this kind, time-major and returning its state, as
     * the concise model of the text: {@code newLayer(numHiddens, 1, false)}.
     *
     * @param numHiddens the hidden size
     * @return the layer, not yet initialized
     */
    public RecurrentBlock newLayer(int numHiddens) {
        return newLayer(numHiddens, 1, false);
    }

    /**
     * Builds DJL's recurrent block of this kind with {@code setNumLayers(numLayers)} and {@code
     * optBidirectional(bidirectional)}, time-major and returning its state, as the concise models
     * of D2L 9.3 and 9.4.
     *
     * @param numHiddens the hidden size of each layer and direction
     * @param numLayers the number of stacked layers
     * @param bidirectional whether each layer also runs backwards in time
     * @return the layer, not yet initialized
     */
    public RecurrentBlock newLayer(int numHiddens, int numLayers, boolean bidirectional) {
        return layer.build(numHiddens, numLayers, bidirectional);
    }
}
