package djlbridge.seq2seq;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import org.junit.Test;

public class MaskedSoftmaxCELossTest {

    @Test
    public void sequenceMaskAsTheBook() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new int[][] {{1, 2, 3}, {4, 5, 6}});
            NDArray valid = m.create(new int[] {1, 2});
            assertArrayEquals(
                    new int[] {1, 0, 0, 4, 5, 0},
                    MaskedSoftmaxCELoss.sequenceMask(x, valid, 0).toIntArray());
            NDArray ones = m.ones(new Shape(2, 3, 4));
            float[] got = MaskedSoftmaxCELoss.sequenceMask(ones, valid, -1).toFloatArray();
            assertEquals(1f, got[0], 0);
            assertEquals(-1f, got[4], 0);
            assertEquals(1f, got[12 + 4], 0);
            assertEquals(-1f, got[12 + 8], 0);
        }
    }

    @Test
    public void theBooksExample() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray label = m.ones(new Shape(3, 4), DataType.INT32);
            NDList labels = new NDList(label, m.create(new int[] {4, 2, 0}));
            NDArray l =
                    new MaskedSoftmaxCELoss()
                            .evaluate(labels, new NDList(m.ones(new Shape(3, 4, 10))));
            assertArrayEquals(new float[] {2.3026f, 1.1513f, 0f}, l.toFloatArray(), 1e-4f);
        }
    }

    /**
     * Departure of the Java text: DJL's SoftmaxCrossEntropyLoss.evaluate already returns the mean
     * over all tokens (a scalar), so the text's mask only scales that mean; with different
     * per-token losses the text's value differs from the book's and padding tokens count.
     */
    @Test
    public void theJavaTextsLossIsNotTheBooks() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = {0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 5};
            NDArray logits = m.create(values, new Shape(2, 2, 3));
            NDArray label = m.create(new int[][] {{0, 0}, {1, 2}});
            NDArray valid = m.create(new int[] {1, 2});
            NDArray djl =
                    new SoftmaxCrossEntropyLoss().evaluate(new NDList(label), new NDList(logits));
            assertEquals(0, djl.getShape().dimension());
            NDArray ones = label.onesLike().toType(DataType.FLOAT32, false);
            NDArray weights = MaskedSoftmaxCELoss.sequenceMask(ones, valid, 0);
            float[] text = djl.mul(weights).mean(new int[] {1}).toFloatArray();
            float[] book =
                    new MaskedSoftmaxCELoss()
                            .evaluate(new NDList(label, valid), new NDList(logits))
                            .toFloatArray();
            // per token: row 0: ln 3, then the padding step 5.0134; row 1: ln 3, 0.0134
            double ln3 = Math.log(3);
            double high = -Math.log(Math.exp(0) / (Math.exp(5) + 2));
            double low = -Math.log(Math.exp(5) / (Math.exp(5) + 2));
            assertEquals(ln3 / 2, book[0], 1e-5);
            assertEquals((ln3 + low) / 2, book[1], 1e-5);
            double mean = (ln3 + high + ln3 + low) / 4;
            assertEquals(mean / 2, text[0], 1e-5);
            assertEquals(mean, text[1], 1e-5);
            assertTrue(Math.abs(text[0] - book[0]) > 0.1);
        }
    }
}
