package djlbridge.seq2seq;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import djlbridge.training.EpochResult;
import java.util.List;
import org.junit.Test;

public class Seq2SeqTest {

    @Test
    public void bleuAsTheBook() {
        assertEquals(0.658, Seq2Seq.bleu("il est riche .", "il est calme .", 2), 5e-4);
        assertEquals(0.447, Seq2Seq.bleu("je suis en retard ?", "je suis chez moi .", 2), 5e-4);
        assertEquals(1.0, Seq2Seq.bleu("va !", "va !", 2), 0);
        assertEquals(0.0, Seq2Seq.bleu("a b", "c d", 2), 0);
    }

    /** Shorter than k: the book divides by zero; the project returns 0. */
    @Test
    public void bleuOfAPredictionShorterThanK() {
        assertEquals(0.0, Seq2Seq.bleu("va", "va !", 2), 0);
        assertEquals(0.0, Seq2Seq.bleu("", "va !", 2), 0);
    }

    /** Departure of the Java text: 1 - lenLabel / lenPred in ints. */
    @Test
    public void bleuDividesLengthsInFloatingPoint() {
        String pred = "je suis";
        String label = "je suis chez moi .";
        double book = Math.exp(1 - 5.0 / 2);
        assertEquals(book, Seq2Seq.bleu(pred, label, 2), 1e-12);
        int lenLabel = 5;
        int lenPred = 2;
        double text = Math.exp(Math.min(0, 1 - lenLabel / lenPred));
        assertEquals(Math.exp(-1), text, 1e-12);
        assertTrue(Math.abs(book - text) > 0.1);
    }

    @Test
    public void decoderInputIsBosThenTargetWithoutItsLast() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray y = m.create(new int[][] {{5, 6, 7}, {8, 9, 1}});
            int[] got = Seq2Seq.decoderInput(y, 2).toIntArray();
            org.junit.Assert.assertArrayEquals(new int[] {2, 5, 6, 2, 8, 9}, got);
        }
    }

    @Test
    public void learnsATinyCorpusAndTranslatesIt() throws Exception {
        Engine.getInstance().setRandomSeed(0);
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> d =
                    NMT.loadDataNMT(NMTTest.TINY + NMTTest.TINY, 4, 6, 0, m);
            Vocab src = d.getValue().getKey();
            Vocab tgt = d.getValue().getValue();
            EncoderDecoder net =
                    new EncoderDecoder(
                            new Seq2SeqEncoder(src.length(), 16, 32, 2, 0f),
                            new Seq2SeqDecoder(tgt.length(), 16, 32, 2, 0f));
            List<EpochResult> r = Seq2Seq.trainSeq2Seq(net, d.getKey(), 0.01f, 150, tgt, m);
            assertEquals(150, r.size());
            assertTrue(r.get(0).getMeasure() > 0.15);
            assertTrue("final loss " + r.get(149).getMeasure(), r.get(149).getMeasure() < 0.02);
            assertEquals("j'ai perdu .", Seq2Seq.predictSeq2Seq(net, "i lost .", src, tgt, 6, m));
        }
    }
}
