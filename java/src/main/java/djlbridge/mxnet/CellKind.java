package djlbridge.mxnet;

import java.util.List;

/**
 * What the engine code needs to know of a kind of recurrent cell (the text's {@code ModelKind}
 * implements it): so that this package names no class of the text and the two packages do not
 * use each other.
 */
public interface CellKind {

    /**
     * Returns the kind's name.
     *
     * @return "gru", "lstm" or "rnn"
     */
    String getName();

    /**
     * Returns the number of state arrays per layer.
     *
     * @return 1 (H), or 2 for the LSTM (H and C)
     */
    int getStates();

    /**
     * Returns the names of the scratch parameters of a stack of layers, in the text's order.
     *
     * @param numLayers the number of layers
     * @return the names, the output layer's last
     */
    List<String> getParamNames(int numLayers);

    /**
     * Returns the suffix of the names of a layer's scratch parameters and states.
     *
     * @param layer the layer, from 0
     * @return "" for layer 0, "_l1" for layer 1, ...
     */
    String getLayerSuffix(int layer);
}
