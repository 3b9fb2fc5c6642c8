package djlbridge.seq2seq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The English-French data of D2L section 9.5 ({@code d2l.read_data_nmt}, {@code preprocess_nmt},
 * {@code tokenize_nmt}, {@code truncate_pad}, {@code build_array_nmt}, {@code load_data_nmt}),
 * as the Java text's {@code NMT} names them. The data: tatoeba.org sentence pairs via
 * manythings.org/anki, licence CC-BY 2.0 FR.
 *
 * <p>Where the Java text departs from the book this class follows the book: tokens are split on
 * {@code ' '} keeping empty strings (Python's {@code str.split(' ')}; Java's {@code split(" ")}
 * drops trailing ones), and a file that is not the two-column English-French file is refused
 * instead of read as nothing.
 */
public final class NMT {

    /** The reserved tokens of both vocabularies, after {@code <unk>}. */
    public static final String[] RESERVED = {"<pad>", "<bos>", "<eos>"};
    /** The minimum frequency of a vocabulary token, as the book's. */
    public static final int MIN_FREQ = 2;

    private NMT() {}

    /**
     * Reads the data set: {@code fra-eng.zip} (with {@code fra-eng/fra.txt} inside) or the
     * extracted {@code fra.txt}, checked.
     *
     * @param path the zip or the text
     * @return the raw text
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when the file is not the English-French file (the message
     *     says what is wrong)
     */
    public static String readDataNMT(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return NMTReader.read(in, path.toString());
        }
    }

    /**
     * Reads the data set from a stream (a zip or the text), checked.
     *
     * @param in the stream, read to its end and not closed
     * @param name what to call the source in messages
     * @return the raw text
     * @throws IOException when the stream cannot be read
     * @throws IllegalArgumentException when the content is not the English-French file
     */
    public static String readDataNMT(InputStream in, String name) throws IOException {
        return NMTReader.read(in, name);
    }

    /**
     * The book's {@code preprocess_nmt}: narrow and plain no-break spaces become spaces, the text
     * is lower-cased, and a space goes before {@code , . ! ?} when the previous character is not a
     * space.
     *
     * @param text the raw text
     * @return the preprocessed text
     */
    public static String preprocessNMT(String text) {
        String t = text.replace('\u202f', ' ').replace('\u00a0', ' ').toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(t.length() + t.length() / 8);
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (i > 0 && noSpace(c, t.charAt(i - 1))) {
                out.append(' ');
            }
            out.append(c);
        }
        return out.toString();
    }

    private static boolean noSpace(char c, char prev) {
        return (c == ',' || c == '.' || c == '!' || c == '?') && prev != ' ';
    }

    /**
     * The book's {@code tokenize_nmt}: line {@code i} (counting every line from 0) is read while
     * {@code i <= numExamples}, so 600 examples give 601 pairs; a line is a pair when it has
     * exactly two tab-separated parts; both are split on {@code ' '}, empty strings kept.
     *
     * @param text the preprocessed text
     * @param numExamples the last line index read; 0 or less reads all (the book's falsy value)
     * @return the source and the target token lines
     */
    public static Pair<List<String[]>, List<String[]>> tokenizeNMT(String text, int numExamples) {
        List<String[]> source = new ArrayList<>();
        List<String[]> target = new ArrayList<>();
        int i = 0;
        int start = 0;
        while (start <= text.length()) {
            if (numExamples > 0 && i > numExamples) {
                break;
            }
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String[] parts = text.substring(start, end).split("\t", -1);
            if (parts.length == 2) {
                source.add(parts[0].split(" ", -1));
                target.add(parts[1].split(" ", -1));
            }
            i++;
            start = end + 1;
        }
        return new Pair<>(source, target);
    }

    /**
     * The book's {@code truncate_pad}: the first {@code numSteps} indices, or the line padded to
     * {@code numSteps} with {@code paddingToken}.
     *
     * @param line the indices
     * @param numSteps the length of the result
     * @param paddingToken the index of {@code <pad>}
     * @return the truncated or padded line
     */
    public static int[] truncatePad(int[] line, int numSteps, int paddingToken) {
        if (line.length > numSteps) {
            return Arrays.copyOf(line, numSteps);
        }
        int[] out = Arrays.copyOf(line, numSteps);
        Arrays.fill(out, line.length, numSteps, paddingToken);
        return out;
    }

    /**
     * The book's {@code build_array_nmt}: each line as indices with {@code <eos>} appended,
     * truncated or padded to {@code numSteps}; the valid length of a row counts its tokens that are
     * not {@code <pad>}.
     *
     * @param lines the token lines
     * @param vocab the vocabulary
     * @param numSteps the number of time steps
     * @param manager the manager of the arrays
     * @return the array (lines, numSteps) and the valid lengths (lines), both int32
     */
    public static Pair<NDArray, NDArray> buildArrayNMT(
            List<String[]> lines, Vocab vocab, int numSteps, NDManager manager) {
        int pad = vocab.getIdx("<pad>");
        int eos = vocab.getIdx("<eos>");
        int[] flat = new int[lines.size() * numSteps];
        int[] valid = new int[lines.size()];
        for (int r = 0; r < lines.size(); r++) {
            int[] idx = vocab.getIdxs(lines.get(r));
            int[] withEos = Arrays.copyOf(idx, idx.length + 1);
            withEos[idx.length] = eos;
            int[] row = truncatePad(withEos, numSteps, pad);
            System.arraycopy(row, 0, flat, r * numSteps, numSteps);
            for (int v : row) {
                valid[r] += v != pad ? 1 : 0;
            }
        }
        NDArray arr = manager.create(flat, new Shape(lines.size(), numSteps));
        return new Pair<>(arr, manager.create(valid));
    }

    /**
     * The book's {@code load_data_nmt} on a file: preprocess, tokenize, two vocabularies (min
     * frequency 2, reserved {@code <pad> <bos> <eos>}), arrays, and a data set that shuffles
     * every epoch and keeps the last partial batch, as the book's data loader.
     *
     * @param path fra-eng.zip or fra.txt
     * @param batchSize the batch size
     * @param numSteps the number of time steps
     * @param numExamples as {@link #tokenizeNMT}
     * @param manager the manager of the arrays
     * @return the data set (data X, X_valid_len; labels Y, Y_valid_len) and the source and
     *     target vocabularies
     * @throws IOException when the file cannot be read
     */
    public static Pair<ArrayDataset, Pair<Vocab, Vocab>> loadDataNMT(
            Path path, int batchSize, int numSteps, int numExamples, NDManager manager)
            throws IOException {
        return loadDataNMT(readDataNMT(path), batchSize, numSteps, numExamples, manager);
    }

    /**
     * {@link #loadDataNMT(Path, int, int, int, NDManager)} on text already read.
     *
     * @param rawText the text as {@link #readDataNMT(Path)} returns it
     * @param batchSize the batch size
     * @param numSteps the number of time steps
     * @param numExamples as {@link #tokenizeNMT}
     * @param manager the manager of the arrays
     * @return the data set and the source and target vocabularies
     */
    public static Pair<ArrayDataset, Pair<Vocab, Vocab>> loadDataNMT(
            String rawText, int batchSize, int numSteps, int numExamples, NDManager manager) {
        if (batchSize < 1 || numSteps < 1) {
            throw new IllegalArgumentException(
                    "batchSize and numSteps must be at least 1, got " + batchSize + " and "
                            + numSteps);
        }
        Pair<List<String[]>, List<String[]>> pairs =
                tokenizeNMT(preprocessNMT(rawText), numExamples);
        Vocab srcVocab = new Vocab(pairs.getKey().toArray(new String[0][]), MIN_FREQ, RESERVED);
        Vocab tgtVocab = new Vocab(pairs.getValue().toArray(new String[0][]), MIN_FREQ, RESERVED);
        Pair<NDArray, NDArray> src = buildArrayNMT(pairs.getKey(), srcVocab, numSteps, manager);
        Pair<NDArray, NDArray> tgt = buildArrayNMT(pairs.getValue(), tgtVocab, numSteps, manager);
        ArrayDataset dataset =
                new ArrayDataset.Builder()
                        .setData(src.getKey(), src.getValue())
                        .optLabels(tgt.getKey(), tgt.getValue())
                        .setSampling(batchSize, true)
                        .build();
        return new Pair<>(dataset, new Pair<>(srcVocab, tgtVocab));
    }

    /**
     * The number of target tokens of an epoch: the sum of the target valid lengths.
     *
     * @param dataset a data set of {@link #loadDataNMT}
     * @param manager a manager for the temporary arrays
     * @return the token count
     */
    public static long targetTokens(ArrayDataset dataset, NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            NDArray validLen = dataset.getByRange(m, 0, dataset.size()).getLabels().get(1);
            return validLen.toType(DataType.INT64, false).sum().getLong();
        }
    }
}
