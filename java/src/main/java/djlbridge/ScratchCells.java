package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * The scratch cells of D2L chapters 8 and 9, exactly as the texts write them: weights drawn from
 * N(0, 0.01), biases zero, inputs one-hot and time-major. The GRU applies the reset gate to H
 * <em>before</em> multiplying by W_hh, as the Java text does.
 *
 * <p>Each cell also runs a stack of layers, as D2L 9.3 builds a deep RNN from the one-layer
 * cells: layer {@code l}'s hidden state at step {@code t} is layer {@code l + 1}'s input at step
 * {@code t}, every layer has its own gate parameters and state, and the output layer reads the
 * last layer. The number of layers is the number of gate triples in the parameter list ({@link
 * #getParams}); the state holds the kind's arrays layer by layer ({@link #initState}).
 */
public final class ScratchCells {

    private ScratchCells() {}

    /**
     * Draws a weight from N(0, 0.01).
     *
     * @param shape the shape
     * @param device the device
     * @param manager the owning manager
     * @return the array
     */
    public static NDArray normal(Shape shape, Device device, NDManager manager) {
        return manager.randomNormal(0f, 0.01f, shape, DataType.FLOAT32, device);
    }

    /**
     * Creates (W_x, W_h, b) for one gate.
     *
     * @param numInputs the input size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return the three arrays
     */
    public static NDList three(int numInputs, int numHiddens, Device device, NDManager manager) {
        return new NDList(
                normal(new Shape(numInputs, numHiddens), device, manager),
                normal(new Shape(numHiddens, numHiddens), device, manager),
                manager.zeros(new Shape(numHiddens), DataType.FLOAT32, device));
    }

    /**
     * The parameters of a stack of {@code numLayers} layers of {@code kind}, in the order of
     * {@link ModelKind#getParamNames(int)}: one (W_x, W_h, b) per gate and layer, W_x of shape
     * (vocabSize, numHiddens) in layer 0 and (numHiddens, numHiddens) above it, then the output
     * layer (W_hq, b_q). With one layer these are the text's {@code get*Params}.
     *
     * @param kind the kind of cell
     * @param numLayers the number of stacked layers
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of every layer
     * @param device the device
     * @param manager the owning manager
     * @return the parameters
     */
    public static NDList getParams(
            ModelKind kind, int numLayers, int vocabSize, int numHiddens, Device device,
            NDManager manager) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("numLayers must be at least 1, got " + numLayers);
        }
        NDList params = new NDList();
        for (int l = 0; l < numLayers; l++) {
            for (int g = 0; g < kind.getGates(); g++) {
                params.addAll(three(l == 0 ? vocabSize : numHiddens, numHiddens, device, manager));
            }
        }
        params.add(normal(new Shape(numHiddens, vocabSize), device, manager));
        params.add(manager.zeros(new Shape(vocabSize), DataType.FLOAT32, device));
        return params;
    }


    /**
     * GRU parameters: W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q.
     *
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return the 11 parameters
     */
    public static NDList getGruParams(
            int vocabSize, int numHiddens, Device device, NDManager manager) {
        return getParams(ModelKind.GRU, 1, vocabSize, numHiddens, device, manager);
    }

    /**
     * LSTM parameters: W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq,
     * b_q.
     *
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return the 14 parameters
     */
    public static NDList getLstmParams(
            int vocabSize, int numHiddens, Device device, NDManager manager) {
        return getParams(ModelKind.LSTM, 1, vocabSize, numHiddens, device, manager);
    }

    /**
     * Plain RNN parameters: W_xh, W_hh, b_h, W_hq, b_q.
     *
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return the 5 parameters
     */
    public static NDList getRnnParams(
            int vocabSize, int numHiddens, Device device, NDManager manager) {
        return getParams(ModelKind.RNN, 1, vocabSize, numHiddens, device, manager);
    }

    /**
     * The zero begin state of a stack of {@code numLayers} layers of {@code kind}: one (batch,
     * hidden) array per state and layer, layer by layer (H of each layer; H, C of each LSTM
     * layer). With one layer this is the text's {@code init*State}.
     *
     * @param kind the kind of cell
     * @param numLayers the number of stacked layers
     * @param batchSize the batch size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return the zero arrays
     */
    public static NDList initState(
            ModelKind kind, int numLayers, int batchSize, int numHiddens, Device device,
            NDManager manager) {
        NDList state = new NDList();
        for (int i = 0; i < numLayers * kind.getStates(); i++) {
            state.add(manager.zeros(new Shape(batchSize, numHiddens), DataType.FLOAT32, device));
        }
        return state;
    }


    /**
     * The GRU begin state (H).
     *
     * @param batchSize the batch size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return one zero array
     */
    public static NDList initGruState(
            int batchSize, int numHiddens, Device device, NDManager manager) {
        return initState(ModelKind.GRU, 1, batchSize, numHiddens, device, manager);
    }

    /**
     * The LSTM begin state (H, C).
     *
     * @param batchSize the batch size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return two zero arrays
     */
    public static NDList initLstmState(
            int batchSize, int numHiddens, Device device, NDManager manager) {
        return initState(ModelKind.LSTM, 1, batchSize, numHiddens, device, manager);
    }

    /**
     * The plain RNN begin state (H).
     *
     * @param batchSize the batch size
     * @param numHiddens the hidden size
     * @param device the device
     * @param manager the owning manager
     * @return one zero array
     */
    public static NDList initRnnState(
            int batchSize, int numHiddens, Device device, NDManager manager) {
        return initState(ModelKind.RNN, 1, batchSize, numHiddens, device, manager);
    }

    /**
     * {@code x W} as one fully-connected operation, {@code wT} being W transposed (MXNet's
     * FullyConnected runs on oneDNN and is about three times faster than {@code dot} here).
     */
    private static NDArray fc(NDArray x, NDArray wT) {
        return Linear.linear(x, wT).head();
    }

    /**
     * Moves an array derived from the parameters (a transpose, a concatenation) to the manager
     * of the batch: an operation's result belongs to its first operand's manager, which for a
     * parameter is the model's, where it would pile up batch after batch.
     */
    private static NDArray onBatch(NDArray derived, NDArray batchArray) {
        derived.attach(batchArray.getManager());
        return derived;
    }

    /** A weight transposed, on x's manager. */
    private static NDArray transposed(NDArray x, NDArray w) {
        return onBatch(w.transpose(), x);
    }

    /**
     * The input products of all time steps at once, {@code X W_x + b}, for the layer input of
     * all steps as rows ((steps * batch, inputs), time-major): for one-hot X a matrix product
     * picks rows, so this is exactly the text's per-step {@code X.dot(W_x) + b}, in one
     * operation. Split into one (batch, width) array per step.
     */
    private static NDList inputProducts(NDArray rows, int numSteps, NDArray wX, NDArray b) {
        NDArray all = Linear.linear(rows, transposed(rows, wX), b).head();
        // split, not per-step slicing: split's backward is one concat, whereas each slice's
        // backward writes a zero-filled gradient of the whole array.
        return numSteps > 1 ? all.split(numSteps) : new NDList(all);
    }

    /**
     * The gates of one layer: the input products of all steps at once, and each gate's W_h
     * transposed, from the layer's (W_x, W_h, b) triples in order.
     */
    private static final class Gates {
        private final List<NDList> inputs = new ArrayList<>();
        private final List<NDArray> weightsT = new ArrayList<>();

        Gates(NDArray rows, int numSteps, NDList params) {
            for (int k = 0; k < params.size() / 3; k++) {
                inputs.add(inputProducts(rows, numSteps, params.get(3 * k), params.get(3 * k + 2)));
                weightsT.add(transposed(rows, params.get(3 * k + 1)));
            }
        }

        /** Gate {@code k}'s pre-activation at step {@code t}: X_t W_x + b + hidden W_h. */
        NDArray pre(int k, int t, NDArray hidden) {
            return inputs.get(k).get(t).add(fc(hidden, weightsT.get(k)));
        }

        int numSteps() {
            return inputs.get(0).size();
        }
    }

    /**
     * One layer of a cell over all steps: its input as rows (steps * batch, inputs), its state
     * and its gate triples to the hidden state of every step and the new state.
     */
    @FunctionalInterface
    private interface Layer {
        Pair<NDList, NDList> apply(NDArray rows, int numSteps, NDList state, NDList params);
    }

    /**
     * Runs a stack of layers over one-hot {@code inputs} (steps, batch, vocab), layer {@code l}'s
     * hidden states of all steps being layer {@code l + 1}'s input (D2L 9.3), then the output
     * layer over the last layer's: logits (steps * batch, vocab) and the new state, layer by layer.
     */
    private static Pair<NDArray, NDList> stack(
            ModelKind kind, Layer layer, NDArray inputs, NDList state, NDList params) {
        int numLayers = kind.layersOf(params.size());
        int perLayer = kind.getParamsPerLayer();
        int states = kind.getStates();
        if (state.size() != numLayers * states) {
            throw new IllegalArgumentException(
                    numLayers + " " + kind.getName() + " layers need " + numLayers * states
                            + " state arrays, got " + state.size());
        }
        Shape s = inputs.getShape();
        int numSteps = (int) s.get(0);
        NDArray rows = inputs.reshape(s.get(0) * s.get(1), s.get(2));
        NDList hs = null;
        NDList newState = new NDList(state.size());
        for (int l = 0; l < numLayers; l++) {
            if (hs != null) {
                rows = hs.size() > 1 ? NDArrays.concat(hs) : hs.get(0);
            }
            Pair<NDList, NDList> out = layer.apply(rows, numSteps,
                    state.subNDList(l * states, (l + 1) * states),
                    params.subNDList(l * perLayer, (l + 1) * perLayer));
            hs = out.getKey();
            newState.addAll(out.getValue());
        }
        NDArray logits = outputLayer(hs, params.get(params.size() - 2), params.get(params.size() - 1));
        return new Pair<>(logits, newState);
    }

    /** The output layer over all time steps at once: (steps * batch, vocab). */
    private static NDArray outputLayer(NDList hs, NDArray wHq, NDArray bQ) {
        NDArray h = hs.size() > 1 ? NDArrays.concat(hs) : hs.get(0);
        return Linear.linear(h, onBatch(wHq.transpose(), h), bQ).head();
    }

    /**
     * The GRU of the Java text (section 9.1.2.2):
     *
     * <pre>
     * Z = sigmoid(X W_xz + H W_hz + b_z)
     * R = sigmoid(X W_xr + H W_hr + b_r)
     * H~ = tanh(X W_xh + (R * H) W_hh + b_h)      -- reset applied to H before W_hh
     * H = Z * H + (1 - Z) * H~
     * Y = H W_hq + b_q
     * </pre>
     *
     * Same equations and parameters as the text; evaluated with fewer, larger operations: the
     * input products and the output layer of all steps at once (oneDNN FullyConnected), one
     * hidden product per gate and step, Z * H + (1 - Z) * H~ as Z * (H - H~) + H~. (Fusing the
     * gates' hidden products into one and splitting it was measured slower: a split costs several
     * plain operations.)
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H), one per layer
     * @param params the 11 GRU parameters (9 more per layer above the first)
     * @return logits (steps * batch, vocab) and (H), one per layer
     */
    public static Pair<NDArray, NDList> gru(NDArray inputs, NDList state, NDList params) {
        return stack(ModelKind.GRU, ScratchCells::gruLayer, inputs, state, params);
    }

    private static Pair<NDList, NDList> gruLayer(
            NDArray rows, int numSteps, NDList state, NDList params) {
        Gates g = new Gates(rows, numSteps, params); // z, r, h
        NDArray h = state.get(0);
        NDList hs = new NDList();
        for (int t = 0; t < g.numSteps(); t++) {
            NDArray z = Activation.sigmoid(g.pre(0, t, h));
            NDArray r = Activation.sigmoid(g.pre(1, t, h));
            NDArray hTilda = Activation.tanh(g.pre(2, t, r.mul(h)));
            h = z.mul(h.sub(hTilda)).add(hTilda);
            hs.add(h);
        }
        return new Pair<>(hs, new NDList(h));
    }

    /**
     * The LSTM of D2L section 9.2:
     *
     * <pre>
     * I = sigmoid(X W_xi + H W_hi + b_i),  F = sigmoid(X W_xf + H W_hf + b_f)
     * O = sigmoid(X W_xo + H W_ho + b_o),  C~ = tanh(X W_xc + H W_hc + b_c)
     * C = F * C + I * C~,  H = O * tanh(C),  Y = H W_hq + b_q
     * </pre>
     *
     * Evaluated as {@link #gru}: the input products and the output layer of all steps at once,
     * one hidden product per gate and step.
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H, C), one pair per layer
     * @param params the 14 LSTM parameters (12 more per layer above the first)
     * @return logits (steps * batch, vocab) and (H, C), one pair per layer
     */
    public static Pair<NDArray, NDList> lstm(NDArray inputs, NDList state, NDList params) {
        return stack(ModelKind.LSTM, ScratchCells::lstmLayer, inputs, state, params);
    }

    private static Pair<NDList, NDList> lstmLayer(
            NDArray rows, int numSteps, NDList state, NDList params) {
        Gates g = new Gates(rows, numSteps, params); // i, f, o, c
        NDArray h = state.get(0);
        NDArray c = state.get(1);
        NDList hs = new NDList();
        for (int t = 0; t < g.numSteps(); t++) {
            NDArray gi = Activation.sigmoid(g.pre(0, t, h));
            NDArray gf = Activation.sigmoid(g.pre(1, t, h));
            NDArray go = Activation.sigmoid(g.pre(2, t, h));
            NDArray cTilda = Activation.tanh(g.pre(3, t, h));
            c = gf.mul(c).add(gi.mul(cTilda));
            h = go.mul(c.tanh());
            hs.add(h);
        }
        return new Pair<>(hs, new NDList(h, c));
    }

    /**
     * The plain RNN of D2L section 8.5: {@code H = tanh(X W_xh + H W_hh + b_h)}, {@code Y = H W_hq
     * + b_q}; input and output products for all time steps at once.
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H), one per layer
     * @param params the 5 RNN parameters (3 more per layer above the first)
     * @return logits (steps * batch, vocab) and (H), one per layer
     */
    public static Pair<NDArray, NDList> rnn(NDArray inputs, NDList state, NDList params) {
        return stack(ModelKind.RNN, ScratchCells::rnnLayer, inputs, state, params);
    }

    private static Pair<NDList, NDList> rnnLayer(
            NDArray rows, int numSteps, NDList state, NDList params) {
        Gates g = new Gates(rows, numSteps, params); // h
        NDArray h = state.get(0);
        NDList hs = new NDList();
        for (int t = 0; t < g.numSteps(); t++) {
            h = Activation.tanh(g.pre(0, t, h));
            hs.add(h);
        }
        return new Pair<>(hs, new NDList(h));
    }
}
