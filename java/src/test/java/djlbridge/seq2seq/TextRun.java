package djlbridge.seq2seq;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The text's run of D2L 9.7 at the book's settings (not a test): {@code TextRun FRA_TXT SEED
 * EPOCHS [DROPOUT]} (dropout 0.1 unless given) prints the loss every 10 epochs, the last
 * epoch's loss and the four translations with BLEU (k 2), as docs/seq2seq.md reports them.
 */
public final class TextRun {

    private TextRun() {}

    /**
     * Runs it.
     *
     * @param args fra.txt, the seed, the number of epochs, optionally the dropout
     * @throws Exception when the data cannot be read
     */
    public static void main(String[] args) throws Exception {
        long seed = Long.parseLong(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int numSteps = 10;
        float dropout = args.length > 3 ? Float.parseFloat(args[3]) : 0.1f;
        Engine.getInstance().setRandomSeed((int) seed);
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> data =
                    NMT.loadDataNMT(Paths.get(args[0]), 64, numSteps, 600, m);
            Vocab src = data.getValue().getKey();
            Vocab tgt = data.getValue().getValue();
            EncoderDecoder net =
                    new EncoderDecoder(
                            new Seq2SeqEncoder(src.length(), 32, 32, 2, dropout),
                            new Seq2SeqDecoder(tgt.length(), 32, 32, 2, dropout));
            Seq2Seq.initialize(net, m, numSteps, seed);
            Optimizer adam = Seq2Seq.adam(0.005f);
            double tokens = 0;
            double seconds = 0;
            EpochResult last = null;
            for (int e = 1; e <= epochs; e++) {
                last = Seq2Seq.trainEpochSeq2Seq(net, data.getKey(), adam, tgt, m);
                tokens += last.getTokens();
                seconds += last.getSeconds();
                if (e % 10 == 0) {
                    System.out.format(Locale.ROOT, "epoch %d loss %.4f%n", e, last.loss());
                }
            }
            System.out.format(
                    Locale.ROOT,
                    "final loss %.4f, %.0f tokens/s%n",
                    last.loss(),
                    tokens / seconds);
            String[] engs = {"go .", "i lost .", "he's calm .", "i'm home ."};
            String[] fras = {"va !", "j'ai perdu .", "il est calme .", "je suis chez moi ."};
            for (int i = 0; i < engs.length; i++) {
                String t = Seq2Seq.predictSeq2Seq(net, engs[i], src, tgt, numSteps, m);
                System.out.format(
                        Locale.ROOT,
                        "%s => %s, bleu %.3f%n",
                        engs[i],
                        t,
                        Seq2Seq.bleu(t, fras[i], 2));
            }
        }
    }
}
