package djlbridge;

import ai.djl.nn.recurrent.RecurrentBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

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
 * one gate {@code h}.
 */
public enum ModelKind {

    /** The gated recurrent unit of section 9.1: state (H). */
    GRU("gru", new String[] {"z", "r", "h"}, 1,
            ScratchCells::getGruParams, ScratchCells::initGruState, ScratchCells::gru,
            ai.djl.nn.recurrent.GRU.class,
            numHiddens -> ai.djl.nn.recurrent.GRU.builder()
                    .setNumLayers(1).setStateSize(numHiddens)
                    .optReturnState(true).optBatchFirst(false).build()),

    /** The long short-term memory of section 9.2: state (H, C). */
    LSTM("lstm", new String[] {"i", "f", "o", "c"}, 2,
            ScratchCells::getLstmParams, ScratchCells::initLstmState, ScratchCells::lstm,
            ai.djl.nn.recurrent.LSTM.class,
            numHiddens -> ai.djl.nn.recurrent.LSTM.builder()
                    .setNumLayers(1).setStateSize(numHiddens)
                    .optReturnState(true).optBatchFirst(false).build()),

    /** The plain recurrent network of section 8.5 (tanh): state (H). */
    RNN("rnn", new String[] {"h"}, 1,
            ScratchCells::getRnnParams, ScratchCells::initRnnState, ScratchCells::rnn,
            ai.djl.nn.recurrent.RNN.class,
            numHiddens -> ai.djl.nn.recurrent.RNN.builder()
                    .setNumLayers(1).setStateSize(numHiddens)
                    .setActivation(ai.djl.nn.recurrent.RNN.Activation.TANH)
                    .optReturnState(true).optBatchFirst(false).build());

    private final String name;
    private final List<String> gateNames;
    private final int states;
    private final List<String> paramNames;
    private final RNNModelScratch.ParamsFn scratchParams;
    private final RNNModelScratch.StateFn scratchState;
    private final RNNModelScratch.CellFn scratchCell;
    private final Class<? extends RecurrentBlock> layerClass;
    private final IntFunction<RecurrentBlock> layer;

    ModelKind(
            String name,
            String[] gateNames,
            int states,
            RNNModelScratch.ParamsFn scratchParams,
            RNNModelScratch.StateFn scratchState,
            RNNModelScratch.CellFn scratchCell,
            Class<? extends RecurrentBlock> layerClass,
            IntFunction<RecurrentBlock> layer) {
        this.name = name;
        this.gateNames = Collections.unmodifiableList(Arrays.asList(gateNames));
        this.states = states;
        List<String> params = new ArrayList<>();
        for (String g : gateNames) {
            params.addAll(Arrays.asList("W_x" + g, "W_h" + g, "b_" + g));
        }
        params.addAll(Arrays.asList("W_hq", "b_q"));
        this.paramNames = Collections.unmodifiableList(params);
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
     * the concise model of the text.
     *
     * @param numHiddens the hidden size
     * @return the layer, not yet initialized
     */
    public RecurrentBlock newLayer(int numHiddens) {
        return layer.apply(numHiddens);
    }
}
