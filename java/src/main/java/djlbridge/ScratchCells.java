package djlbridge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
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

    private static NDList gated(
            int gates, int vocabSize, int numHiddens, Device device, NDManager manager) {
        NDList params = new NDList();
        for (int g = 0; g < gates; g++) {
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
        return gated(3, vocabSize, numHiddens, device, manager);
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
        return gated(4, vocabSize, numHiddens, device, manager);
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
        return gated(1, vocabSize, numHiddens, device, manager);
    }

    private static NDList zeros(int n, int batchSize, int numHiddens, Device device, NDManager m) {
        NDList state = new NDList();
        for (int i = 0; i < n; i++) {
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
        return zeros(1, batchSize, numHiddens, device, manager);
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
        return zeros(2, batchSize, numHiddens, device, manager);
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
        return zeros(1, batchSize, numHiddens, device, manager);
    }

    private static NDArray output(NDList outputs) {
        return outputs.size() > 1 ? NDArrays.concat(outputs) : outputs.get(0);
    }

    /**
     * The GRU of the Java text (section 9.1.2.2).
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H)
     * @param params the 11 GRU parameters
     * @return logits (steps * batch, vocab) and (H)
     */
    public static Pair<NDArray, NDList> gru(NDArray inputs, NDList state, NDList params) {
        NDArray wXz = params.get(0);
        NDArray wHz = params.get(1);
        NDArray bZ = params.get(2);
        NDArray wXr = params.get(3);
        NDArray wHr = params.get(4);
        NDArray bR = params.get(5);
        NDArray wXh = params.get(6);
        NDArray wHh = params.get(7);
        NDArray bH = params.get(8);
        NDArray wHq = params.get(9);
        NDArray bQ = params.get(10);
        NDArray h = state.get(0);
        NDList outputs = new NDList();
        for (int i = 0; i < inputs.size(0); i++) {
            NDArray x = inputs.get(i);
            NDArray z = Activation.sigmoid(x.dot(wXz).add(h.dot(wHz).add(bZ)));
            NDArray r = Activation.sigmoid(x.dot(wXr).add(h.dot(wHr).add(bR)));
            NDArray hTilda = Activation.tanh(x.dot(wXh).add(r.mul(h).dot(wHh).add(bH)));
            h = z.mul(h).add(z.mul(-1).add(1).mul(hTilda));
            outputs.add(h.dot(wHq).add(bQ));
        }
        return new Pair<>(output(outputs), new NDList(h));
    }

    /**
     * The LSTM of D2L section 9.2.
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H, C)
     * @param params the 14 LSTM parameters
     * @return logits (steps * batch, vocab) and (H, C)
     */
    public static Pair<NDArray, NDList> lstm(NDArray inputs, NDList state, NDList params) {
        NDArray wXi = params.get(0);
        NDArray wHi = params.get(1);
        NDArray bI = params.get(2);
        NDArray wXf = params.get(3);
        NDArray wHf = params.get(4);
        NDArray bF = params.get(5);
        NDArray wXo = params.get(6);
        NDArray wHo = params.get(7);
        NDArray bO = params.get(8);
        NDArray wXc = params.get(9);
        NDArray wHc = params.get(10);
        NDArray bC = params.get(11);
        NDArray wHq = params.get(12);
        NDArray bQ = params.get(13);
        NDArray h = state.get(0);
        NDArray c = state.get(1);
        NDList outputs = new NDList();
        for (int i = 0; i < inputs.size(0); i++) {
            NDArray x = inputs.get(i);
            NDArray gi = Activation.sigmoid(x.dot(wXi).add(h.dot(wHi)).add(bI));
            NDArray gf = Activation.sigmoid(x.dot(wXf).add(h.dot(wHf)).add(bF));
            NDArray go = Activation.sigmoid(x.dot(wXo).add(h.dot(wHo)).add(bO));
            NDArray cTilda = Activation.tanh(x.dot(wXc).add(h.dot(wHc)).add(bC));
            c = gf.mul(c).add(gi.mul(cTilda));
            h = go.mul(c.tanh());
            outputs.add(h.dot(wHq).add(bQ));
        }
        return new Pair<>(output(outputs), new NDList(h, c));
    }

    /**
     * The plain RNN of D2L section 8.5 (tanh).
     *
     * @param inputs one-hot inputs (steps, batch, vocab)
     * @param state (H)
     * @param params the 5 RNN parameters
     * @return logits (steps * batch, vocab) and (H)
     */
    public static Pair<NDArray, NDList> rnn(NDArray inputs, NDList state, NDList params) {
        NDArray wXh = params.get(0);
        NDArray wHh = params.get(1);
        NDArray bH = params.get(2);
        NDArray wHq = params.get(3);
        NDArray bQ = params.get(4);
        NDArray h = state.get(0);
        NDList outputs = new NDList();
        for (int i = 0; i < inputs.size(0); i++) {
            NDArray x = inputs.get(i);
            h = Activation.tanh(x.dot(wXh).add(h.dot(wHh)).add(bH));
            outputs.add(h.dot(wHq).add(bQ));
        }
        return new Pair<>(output(outputs), new NDList(h));
    }
}
