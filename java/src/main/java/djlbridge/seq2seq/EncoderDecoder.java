package djlbridge.seq2seq;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The encoder-decoder architecture (D2L 9.6): the encoder reads the source, the decoder starts
 * from the state the encoder leaves. Inputs: source tokens (batch, steps), decoder input tokens
 * (batch, steps) and optionally the source valid lengths; outputs: the decoder's.
 */
public class EncoderDecoder extends AbstractBlock {

    /** The encoder. */
    protected final Encoder encoder;
    /** The decoder. */
    protected final Decoder decoder;

    /**
     * Joins an encoder and a decoder.
     *
     * @param encoder the encoder
     * @param decoder the decoder
     */
    public EncoderDecoder(Encoder encoder, Decoder decoder) {
        this.encoder = addChildBlock("encoder", encoder);
        this.decoder = addChildBlock("decoder", decoder);
    }

    /**
     * Returns the encoder.
     *
     * @return the encoder
     */
    public Encoder getEncoder() {
        return encoder;
    }

    /**
     * Returns the decoder.
     *
     * @return the decoder
     */
    public Decoder getDecoder() {
        return decoder;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        encoder.initialize(manager, dataType, inputShapes[0]);
        Shape[] encOut = encoder.getOutputShapes(new Shape[] {inputShapes[0]});
        Shape[] decIn = new Shape[encOut.length];
        decIn[0] = inputShapes[1];
        System.arraycopy(encOut, 1, decIn, 1, encOut.length - 1);
        decoder.initialize(manager, dataType, decIn);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList encOutputs = encoder.forward(ps, new NDList(inputs.get(0)), training, params);
        NDList state = decoder.initState(encOutputs);
        return decoder.forward(ps, new NDList(inputs.get(1)).addAll(state), training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] encOut = encoder.getOutputShapes(new Shape[] {inputShapes[0]});
        Shape[] decIn = encOut.clone();
        decIn[0] = inputShapes[1];
        return decoder.getOutputShapes(decIn);
    }
}
