package djlbridge.seq2seq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * The book's masked softmax cross-entropy (D2L 9.7): the cross-entropy of every token, zero past
 * each sentence's valid length, averaged over the time steps of each sentence (padding counts in
 * the mean as zeros). Labels: the target tokens (batch, steps) and the valid lengths (batch);
 * predictions: logits (batch, steps, vocab); the result: one loss per sentence (batch).
 *
 * <p>The Java text extends DJL's {@code SoftmaxCrossEntropyLoss} and multiplies what its {@code
 * evaluate} returns by the mask; but that {@code evaluate} already returns the mean over every
 * token, padding included (a scalar), so the text's loss is that one mean scaled by each
 * sentence's valid share, and padding tokens are trained. This class computes the book's loss.
 */
public final class MaskedSoftmaxCELoss extends Loss {

    /** Makes the loss. */
    public MaskedSoftmaxCELoss() {
        super("MaskedSoftmaxCELoss");
    }

    /**
     * The book's {@code sequence_mask}: along axis 1 of {@code x}, entries at or past each row's
     * valid length become {@code value}.
     *
     * @param x an array (batch, steps, ...)
     * @param validLen the valid lengths (batch)
     * @param value what masked entries become
     * @return the masked array
     */
    public static NDArray sequenceMask(NDArray x, NDArray validLen, float value) {
        long steps = x.getShape().get(1);
        NDArray positions = x.getManager().arange(0f, (float) steps).reshape(1, steps);
        NDArray keep = positions.lt(validLen.toType(DataType.FLOAT32, false).reshape(-1, 1));
        for (int d = 2; d < x.getShape().dimension(); d++) {
            keep = keep.expandDims(-1);
        }
        NDArray filler = x.getManager().full(x.getShape(), value, x.getDataType());
        return NDArrays.where(keep.broadcast(x.getShape()), x, filler);
    }

    /**
     * The cross-entropy of every token (batch, steps), unmasked.
     *
     * @param logits (batch, steps, vocab)
     * @param label (batch, steps)
     * @return the per-token loss
     */
    public static NDArray tokenLoss(NDArray logits, NDArray label) {
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.get(new NDIndex().addAllDim(2).addPickDim(label));
        return picked.neg().reshape(label.getShape());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray label = labels.get(0);
        NDArray validLen = labels.get(1);
        NDArray unweighted = tokenLoss(predictions.head(), label);
        NDArray weights = sequenceMask(unweighted.onesLike(), validLen, 0f);
        return unweighted.mul(weights).mean(new int[] {1});
    }
}
