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

/**
 * The scratch cells of D2L chapters 8 and 9, exactly as the texts write them: weights drawn from
 * N(0, 0.01), biases zero, inputs one-hot and time-major. The GRU applies the reset gate to H
 * <em>before</em> multiplying by W_hh, as the Java text does.
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

    /** One (W_x, W_h, b) per gate of {@code kind}, then the output layer (W_hq, b_q). */
    private static NDList gated(
            ModelKind kind, int vocabSize, int numHiddens, Device device, NDManager manager) {
        NDList params = new NDList();
        for (int g = 0; g < kind.getGates(); g++) {
            params.addAll(three(vocabSize, numHiddens, device, manager));
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
        return gated(ModelKind.GRU, vocabSize, numHiddens, device, manager);
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
        return gated(ModelKind.LSTM, vocabSize, numHiddens, device, manager);
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
        return gated(ModelKind.RNN, vocabSize, numHiddens, device, manager);
    }

    /** The zero begin state of {@code kind}: one (batch, hidden) array per state. */
    private static NDList zeros(
            ModelKind kind, int batchSize, int numHiddens, Device device, NDManager m) {
        NDList state = new NDList();
        for (int i = 0; i < kind.getStates(); i++) {
            state.add(m.zeros(new Shape(batchSize, numHiddens), DataType.FLOAT32, device));
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
        return zeros(ModelKind.GRU, batchSize, numHiddens, device, manager);
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
        return zeros(ModelKind.LSTM, batchSize, numHiddens, device, manager);
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
        return zeros(ModelKind.RNN, batchSize, numHiddens, device, manager);
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
     * The input products of all time steps at once, {@code X W_x + b}: one-hot X times a matrix
     * picks rows, so this is exactly the text's per-step {@code X.dot(W_x) + b}, in one
     * operation. Split into one (batch, width) array per step.
     */
    private static NDList inputProducts(NDArray inputs, NDArray wX, NDArray b) {
        Shape s = inputs.getShape();
        NDArray all = Linear.linear(
                inputs.reshape(s.get(0) * s.get(1), s.get(2)), transposed(inputs, wX), b).head();
        // split, not per-step slicing: split's backward is one concat, whereas each slice's
        // backward writes a zero-filled gradient of the whole array.
        return s.get(0) > 1 ? all.split(s.get(0)) : new NDList(all);
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
     * @param state (H)
     * @param params the 11 GRU parameters
     * @return logits (steps * batch, vocab) and (H)
     */
    public static Pair<NDArray, NDList> gru(NDArray inputs, NDList state, NDList params) {
        NDList xz = inputProducts(inputs, params.get(0), params.get(2));
        NDList xr = inputProducts(inputs, params.get(3), params.get(5));
        NDList xh = inputProducts(inputs, params.get(6), params.get(8));
        NDArray wHzT = transposed(inputs, params.get(1));
        NDArray wHrT = transposed(inputs, params.get(4));
        NDArray wHhT = transposed(inputs, params.get(7));
        NDArray h = state.get(0);
        NDList hs = new NDList();
        for (int t = 0; t < xz.size(); t++) {
            NDArray z = Activation.sigmoid(xz.get(t).add(fc(h, wHzT)));
            NDArray r = Activation.sigmoid(xr.get(t).add(fc(h, wHrT)));
            NDArray hTilda = Activation.tanh(xh.get(t).add(fc(r.mul(h), wHhT)));
            h = z.mul(h.sub(hTilda)).add(hTilda);
            hs.add(h);
        }
        return new Pair<>(outputLayer(hs, params.get(9), params.get(10)), new NDList(h));
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
     * @param state (H, C)
     * @param params the 14 LSTM parameters
     * @return logits (steps * batch, vocab) and (H, C)
     */
    public static Pair<NDArray, NDList> lstm(NDArray inputs, NDList state, NDList params) {
        NDList xi = inputProducts(inputs, params.get(0), params.get(2));
        NDList xf = inputProducts(inputs, params.get(3), params.get(5));
        NDList xo = inputProducts(inputs, params.get(6), params.get(8));
        NDList xc = inputProducts(inputs, params.get(9), params.get(11));
        NDArray wHiT = transposed(inputs, params.get(1));
        NDArray wHfT = transposed(inputs, params.get(4));
        NDArray wHoT = transposed(inputs, params.get(7));
        NDArray wHcT = transposed(inputs, params.get(10));
        NDArray h = state.get(0);
        NDArray c = state.get(1);
        NDList hs = new NDList();
        for (int t = 0; t < xi.size(); t++) {
            NDArray gi = Activation.sigmoid(xi.get(t).add(fc(h, wHiT)));
            NDArray gf = Activation.sigmoid(xf.get(t).add(fc(h, wHfT)));
            NDArray go = Activation.sigmoid(xo.get(t).add(fc(h, wHoT)));
            NDArray cTilda = Activation.tanh(xc.get(t).add(fc(h, wHcT)));
            c = gf.mul(c).add(gi.mul(cTilda));
            h = go.mul(c.tanh());
            hs.add(h);
        }
        return new Pair<>(outputLayer(hs, params.get(12), params.get(13)), new NDList(h, c));
    }

    /**
     * The plain RNN of D2L section 8.5: {@code H = tanh(X W_xh + H W_hh + b_h)}, {@code Y = H W_hq
     * + b_q}; input and output products for all time steps at once.
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H)
     * @param params the 5 RNN parameters
     * @return logits (steps * batch, vocab) and (H)
     */
    public static Pair<NDArray, NDList> rnn(NDArray inputs, NDList state, NDList params) {
        NDList xh = inputProducts(inputs, params.get(0), params.get(2));
        NDArray wHhT = transposed(inputs, params.get(1));
        NDArray h = state.get(0);
        NDList hs = new NDList();
        for (NDArray xt : xh) {
            h = Activation.tanh(xt.add(fc(h, wHhT)));
            hs.add(h);
        }
        return new Pair<>(outputLayer(hs, params.get(3), params.get(4)), new NDList(h));
    }
}
