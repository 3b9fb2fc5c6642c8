package djlbridge.seq2seq;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * The text's run of D2L 9.7 at the book's settings (not a test): {@code TextRun FRA_TXT SEED
 * EPOCHS [DROPOUT]} (dropout 0.1 unless given) runs {@link Seq2Seq#trainSeq2Seq} (which prints
 * the last epoch's loss) and prints the four translations with BLEU (k 2), as docs/seq2seq.md
 * reports them.
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
        int numEpochs = Integer.parseInt(args[2]);
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
            // prints the last epoch's loss and tokens/s; the list's element type is left unnamed
            // so this main does not depend on which EpochResult the branch has
            List<?> epochs = Seq2Seq.trainSeq2Seq(net, data.getKey(), 0.005f, numEpochs, tgt, m);
            System.out.println(epochs.size() + " epochs");
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
