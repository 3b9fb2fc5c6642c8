package djlbridge.seq2seq;

import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The RNN decoder of D2L 9.7: an embedding; at every step the GRU reads the embedding
 * concatenated with the context, the last layer of the state it is given; a dense layer maps the
 * GRU's outputs to the target vocabulary. Inputs: tokens (batch, steps), state (layers, batch,
 * hidden); outputs: logits (batch, steps, vocab) and the new state.
 *
 * <p>As in the book (d2l 0.17) and the Java text, the context is taken from the state passed in:
 * while training that is the encoder's final state; while predicting one token at a time it is
 * the decoder's own state of the step before (d2l 1.0 keeps the encoder's context instead).
 */
public final class Seq2SeqDecoder extends Decoder {

    private final TrainableWordEmbedding embedding;
    private final GruStack rnn;
    private final Linear dense;
    private final int vocabSize;
    private final int embedSize;
    private final int numHiddens;

    /**
     * Makes the decoder.
     *
     * @param vocabSize the target vocabulary size
     * @param embedSize the embedding size
     * @param numHiddens the GRU's hidden size
     * @param numLayers the number of GRU layers
     * @param dropout the dropout between GRU layers (training only)
     */
    public Seq2SeqDecoder(
            int vocabSize, int embedSize, int numHiddens, int numLayers, float dropout) {
        this.vocabSize = vocabSize;
        this.embedSize = embedSize;
        this.numHiddens = numHiddens;
        embedding = addChildBlock("embedding", Seq2SeqEncoder.embedding(vocabSize, embedSize));
        rnn =
                addChildBlock("rnn", new GruStack(numHiddens, numLayers, dropout));
        dense = addChildBlock("dense", Linear.builder().setUnits(vocabSize).build());
    }

    /**
     * Returns the GRU layers (one-layer GRUs with dropout between them).
     *
     * @return the recurrent layers
     */
    public GruStack getRnn() {
        return rnn;
    }

    /**
     * Returns the embedding.
     *
     * @return the embedding block
     */
    public TrainableWordEmbedding getEmbedding() {
        return embedding;
    }

    /**
     * Returns the output layer.
     *
     * @return the dense layer
     */
    public Linear getDense() {
        return dense;
    }

    /**
     * The encoder's final state, as the book's {@code init_state}.
     *
     * @param encOutputs the encoder's outputs, then its state
     * @return the state
     */
    @Override
    public NDList initState(NDList encOutputs) {
        return new NDList(encOutputs.get(1));
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        embedding.initialize(manager, dataType, x);
        rnn.initialize(manager, dataType, new Shape(x.get(1), x.get(0), embedSize + numHiddens));
        dense.initialize(manager, dataType, new Shape(x.get(1), x.get(0), numHiddens));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray state = inputs.get(1);
        NDArray x =
                embedding
                        .forward(ps, new NDList(inputs.head()), training, params)
                        .head()
                        .swapAxes(0, 1);
        // the last layer of the state, the same at every step
        NDArray context = state.get(new NDIndex(-1));
        Shape c = context.getShape();
        context = context.broadcast(new Shape(x.getShape().get(0), c.get(0), c.get(1)));
        NDArray xAndContext = NDArrays.concat(new NDList(x, context), 2);
        NDList out = rnn.forward(ps, new NDList(xAndContext, state), training, params);
        NDArray output = dense.forward(ps, new NDList(out.head()), training, params).head();
        return new NDList(output.swapAxes(0, 1), out.get(1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {new Shape(x.get(0), x.get(1), vocabSize), inputShapes[1]};
    }
}
