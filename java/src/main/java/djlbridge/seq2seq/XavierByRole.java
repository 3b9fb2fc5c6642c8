package djlbridge.seq2seq;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The book's initialisation (MXNet edition, {@code init.Xavier()}): every weight, embeddings
 * included, uniform in {@code ±sqrt(6 / (fanIn + fanOut))}, every bias zero.
 *
 * <p>The models' recurrent layers are {@link GruStack}s of one-layer GRUs, whose arrays MXNet
 * reads by their names. For a DJL GRU of several layers (not used by the models any more), DJL
 * 0.36 hands MXNet each layer's weights then that layer's biases, joined in one vector, while
 * MXNet reads all weights first and then all biases (docs/parity.md); {@link #gru(GRU, Random)}
 * fills that vector by what MXNet uses each part for, so "weights Xavier, biases zero" holds for
 * the operator that runs, whatever the number of layers.
 */
public final class XavierByRole {

    private XavierByRole() {}

    /**
     * Initialises a {@link Seq2SeqEncoder} and {@link Seq2SeqDecoder} pair (already initialized
     * by DJL, so the arrays exist).
     *
     * @param net the model
     * @param rng the random numbers (seeded by the caller)
     */
    public static void apply(EncoderDecoder net, Random rng) {
        Seq2SeqEncoder enc = (Seq2SeqEncoder) net.getEncoder();
        Seq2SeqDecoder dec = (Seq2SeqDecoder) net.getDecoder();
        dense(enc.getEmbedding(), rng);
        gru(enc.getRnn(), rng);
        dense(dec.getEmbedding(), rng);
        gru(dec.getRnn(), rng);
        dense(dec.getDense(), rng);
    }

    /**
     * Xavier for the i2h and h2h weights of every layer, layer 0 first, zero for the biases:
     * the same random numbers, in the same roles, as {@link #gru(GRU, Random)} on a DJL GRU of as
     * many layers.
     *
     * @param stack an initialized stack
     * @param rng the random numbers
     */
    public static void gru(GruStack stack, Random rng) {
        for (GRU layer : stack.getLayers()) {
            gru(layer, rng);
        }
    }

    /**
     * Xavier for every 2-D parameter of a block (an embedding, a linear layer), zero for the rest.
     *
     * @param block the block
     * @param rng the random numbers
     */
    public static void dense(Block block, Random rng) {
        for (Parameter p : block.getParameters().values()) {
            NDArray a = p.getArray();
            long[] s = a.getShape().getShape();
            float[] v = new float[(int) a.size()];
            if (s.length == 2) {
                fill(v, 0, s[0], s[1], rng);
            }
            a.set(v);
        }
    }

    /**
     * Xavier for the i2h and h2h weights of every layer, zero for the biases, laid out as MXNet
     * reads the joined vector and cut into DJL's arrays in DJL's order.
     *
     * @param gru an initialized GRU (one direction)
     * @param rng the random numbers
     */
    public static void gru(GRU gru, Random rng) {
        List<NDArray> arrays = new ArrayList<>();
        long total = 0;
        for (Parameter p : gru.getParameters().values()) {
            arrays.add(p.getArray());
            total += p.getArray().size();
        }
        // layer 0's i2h weight is the first array: (3H, inputs)
        long[] first = arrays.get(0).getShape().getShape();
        long rows = first[0];
        long hidden = rows / 3;
        long inputs = first[1];
        int layers = arrays.size() / 4;
        float[] flat = new float[(int) total];
        int off = 0;
        for (int l = 0; l < layers; l++) {
            long width = l == 0 ? inputs : hidden;
            off = fill(flat, off, rows, width, rng);
            off = fill(flat, off, rows, hidden, rng);
        }
        // the rest, every bias, stays zero
        off = 0;
        for (NDArray a : arrays) {
            int n = (int) a.size();
            float[] part = new float[n];
            System.arraycopy(flat, off, part, 0, n);
            a.set(part);
            off += n;
        }
    }

    private static int fill(float[] v, int off, long fanOut, long fanIn, Random rng) {
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        int n = (int) (fanOut * fanIn);
        for (int i = 0; i < n; i++) {
            v[off + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return off + n;
    }
}
