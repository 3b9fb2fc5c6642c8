package djlbridge.seq2seq;

import ai.djl.modality.nlp.DefaultVocabulary;
import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * The RNN encoder of D2L 9.7: an embedding, then a GRU of {@code numLayers} layers (dropout
 * between layers). Input: tokens (batch, steps); output: the GRU's outputs (steps, batch,
 * hidden) and its final state (layers, batch, hidden).
 */
public final class Seq2SeqEncoder extends Encoder {

    private final TrainableWordEmbedding embedding;
    private final GruStack rnn;
    private final int embedSize;
    private final int numHiddens;
    private final int numLayers;

    /**
     * Makes the encoder.
     *
     * @param vocabSize the source vocabulary size
     * @param embedSize the embedding size
     * @param numHiddens the GRU's hidden size
     * @param numLayers the number of GRU layers
     * @param dropout the dropout between GRU layers (training only)
     */
    public Seq2SeqEncoder(
            int vocabSize, int embedSize, int numHiddens, int numLayers, float dropout) {
        this.embedSize = embedSize;
        this.numHiddens = numHiddens;
        this.numLayers = numLayers;
        embedding = addChildBlock("embedding", embedding(vocabSize, embedSize));
        rnn =
                addChildBlock("rnn", new GruStack(numHiddens, numLayers, dropout));
    }

    /**
     * A trainable embedding of indices 0 to {@code vocabSize - 1}, as the Java text builds it.
     *
     * @param vocabSize the number of rows
     * @param embedSize the width
     * @return the embedding block
     */
    static TrainableWordEmbedding embedding(int vocabSize, int embedSize) {
        List<String> names = new ArrayList<>(vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            names.add(String.valueOf(i));
        }
        return TrainableWordEmbedding.builder()
                .optNumEmbeddings(vocabSize)
                .setEmbeddingSize(embedSize)
                .setVocabulary(new DefaultVocabulary(names))
                .build();
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

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        embedding.initialize(manager, dataType, inputShapes[0]);
        Shape x = inputShapes[0];
        rnn.initialize(manager, dataType, new Shape(x.get(1), x.get(0), embedSize));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = embedding.forward(ps, new NDList(inputs.head()), training, params).head();
        // the time steps first, as the GRU reads them
        x = x.swapAxes(0, 1);
        return rnn.forward(ps, new NDList(x), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        return new Shape[] {
            new Shape(x.get(1), x.get(0), numHiddens), new Shape(numLayers, x.get(0), numHiddens)
        };
    }
}
