package djlbridge.seq2seq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.recurrent.GRU;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The book's {@code nn.GRU(num_layers, dropout)}: {@code numLayers} one-layer GRUs, time steps
 * first, with a {@link Dropout} on the outputs of every layer but the last, while training only.
 * Input: x (steps, batch, inputs), optionally the state (layers, batch, hidden; zeros if absent);
 * output: the last layer's outputs (steps, batch, hidden) and the final state (layers, batch,
 * hidden).
 *
 * <p>Not DJL's {@code GRU.builder().setNumLayers(n).optDropRate(p)}: on the CPU, MXNet 1.9.1's
 * default (oneDNN) RNN ignores {@code p}, and its own RNN applies it but computes wrong gradients
 * for every layer of a stack but the last (docs/seq2seq.md, departure 4). A one-layer GRU has
 * neither problem, nor the joined-vector order of a stack's parameters (docs/parity.md).
 */
public final class GruStack extends AbstractBlock {

    private final List<GRU> layers = new ArrayList<>();
    private final List<Dropout> dropouts = new ArrayList<>();
    private final int numHiddens;
    private final float dropout;

    /**
     * Makes the stack; its parameters are each layer's (i2h weight, h2h weight, i2h bias, h2h
     * bias), layer 0 first.
     *
     * @param numHiddens the hidden size of every layer
     * @param numLayers the number of layers (at least 1)
     * @param dropout the rate of the dropout between layers (training only), in [0, 1)
     */
    public GruStack(int numHiddens, int numLayers, float dropout) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("numLayers must be at least 1, got " + numLayers);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        this.numHiddens = numHiddens;
        this.dropout = dropout;
        for (int l = 0; l < numLayers; l++) {
            layers.add(
                    addChildBlock(
                            "gru" + l,
                            GRU.builder()
                                    .setNumLayers(1)
                                    .setStateSize(numHiddens)
                                    .optReturnState(true)
                                    .optBatchFirst(false)
                                    .build()));
            if (l + 1 < numLayers) {
                dropouts.add(
                        addChildBlock("dropout" + l, Dropout.builder().optRate(dropout).build()));
            }
        }
    }

    /**
     * Returns the layers, layer 0 first.
     *
     * @return the one-layer GRUs
     */
    public List<GRU> getLayers() {
        return Collections.unmodifiableList(layers);
    }

    /**
     * Returns the number of layers.
     *
     * @return the number of layers
     */
    public int getNumLayers() {
        return layers.size();
    }

    /**
     * Returns the dropout rate between layers.
     *
     * @return the rate
     */
    public float getDropout() {
        return dropout;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        Shape hidden = new Shape(x.get(0), x.get(1), numHiddens);
        for (int l = 0; l < layers.size(); l++) {
            layers.get(l).initialize(manager, dataType, l == 0 ? x : hidden);
            if (l < dropouts.size()) {
                // no parameters, but saveParameters writes every child's input shapes
                dropouts.get(l).initialize(manager, dataType, hidden);
            }
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray state = inputs.size() > 1 ? inputs.get(1) : null;
        NDList finals = new NDList(layers.size());
        for (int l = 0; l < layers.size(); l++) {
            NDList in = new NDList(x);
            if (state != null) {
                in.add(state.get(new NDIndex("{}:{}", l, l + 1)));
            }
            NDList out = layers.get(l).forward(ps, in, training, params);
            finals.add(out.get(1));
            x = out.head();
            if (l < dropouts.size() && training && dropout > 0) {
                x = dropouts.get(l).forward(ps, new NDList(x), true, params).head();
            }
        }
        return new NDList(x, NDArrays.concat(finals, 0));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {
            new Shape(x.get(0), x.get(1), numHiddens),
            new Shape(layers.size(), x.get(1), numHiddens)
        };
    }
}
