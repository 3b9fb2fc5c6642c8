package djlbridge.seq2seq;

import ai.djl.ndarray.NDList;
import ai.djl.nn.AbstractBlock;

/**
 * The base decoder of the encoder-decoder architecture (D2L 9.6): its state comes from the
 * encoder's outputs ({@link #initState}); its forward takes the target tokens followed by that
 * state and returns the outputs followed by the new state.
 */
public abstract class Decoder extends AbstractBlock {

    /** Makes a decoder. */
    protected Decoder() {}

    /**
     * Turns the encoder's outputs into the decoder's first state.
     *
     * @param encOutputs what the encoder returned: outputs, then state
     * @return the decoder's state
     */
    public abstract NDList initState(NDList encOutputs);
}
