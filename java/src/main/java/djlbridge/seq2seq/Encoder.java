package djlbridge.seq2seq;

import ai.djl.nn.AbstractBlock;

/**
 * The base encoder of the encoder-decoder architecture (D2L 9.6): a block that reads the source
 * and returns its outputs followed by its final state.
 */
public abstract class Encoder extends AbstractBlock {

    /** Makes an encoder. */
    protected Encoder() {}
}
