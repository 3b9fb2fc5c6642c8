package djlbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A vocabulary for text tokens, as in D2L section 8.2: index 0 is {@code <unk>}, then the reserved
 * tokens, then every token whose frequency is at least {@code minFreq}, most frequent first (ties keep
 * the order of first appearance).
 */
public final class Vocab {

    /** The index of the unknown token. */
    public final int unk;

    private final List<Map.Entry<String, Integer>> tokenFreqs;
    private final List<String> idxToToken;
    private final Map<String, Integer> tokenToIdx;

    /**
     * Builds a vocabulary from tokenized lines.
     *
     * @param tokens the tokens, one array per line
     * @param minFreq tokens seen fewer times than this are left out (they map to {@code <unk>})
     * @param reservedTokens tokens placed right after {@code <unk>}, whatever their frequency
     */
    public Vocab(String[][] tokens, int minFreq, String[] reservedTokens) {
        this(countCorpus2D(tokens), minFreq, reservedTokens);
    }

    private Vocab(Map<String, Integer> counter, int minFreq, String[] reservedTokens) {
        tokenFreqs = new ArrayList<>(counter.entrySet());
        // A stable sort: equal counts keep their order of first appearance, as Python's sorted().
        tokenFreqs.sort((a, b) -> b.getValue().compareTo(a.getValue()));
        idxToToken = new ArrayList<>();
        tokenToIdx = new HashMap<>();
        add("<unk>");
        unk = 0;
        for (String t : reservedTokens) {
            add(t);
        }
        for (Map.Entry<String, Integer> e : tokenFreqs) {
            if (e.getValue() >= minFreq) {
                add(e.getKey());
            }
        }
    }

    /**
     * Builds a vocabulary from token counts already made, e.g. while streaming a text too large
     * to hold as tokens. The result is the same as from the tokens the counts were taken from.
     *
     * @param counts the count of every token, in order of first appearance (this order breaks
     *     ties between equal counts, so pass a {@link LinkedHashMap})
     * @param minFreq tokens seen fewer times than this are left out (they map to {@code <unk>})
     * @param reservedTokens tokens placed right after {@code <unk>}, whatever their frequency
     * @return the vocabulary
     */
    public static Vocab fromCounts(
            LinkedHashMap<String, Integer> counts, int minFreq, String[] reservedTokens) {
        return new Vocab(new LinkedHashMap<>(counts), minFreq, reservedTokens);
    }

    /**
     * Rebuilds a vocabulary from its index-to-token list (as a checkpoint stores it): the result
     * maps every token to the same index.
     *
     * @param idxToToken the tokens by index, {@code <unk>} first
     * @return the vocabulary
     * @throws IllegalArgumentException when the list does not start with {@code <unk>}
     */
    public static Vocab ofIdxToToken(List<String> idxToToken) {
        if (idxToToken.isEmpty() || !"<unk>".equals(idxToToken.get(0))) {
            throw new IllegalArgumentException("the checkpoint vocabulary must start with <unk>");
        }
        // The constructor sorts by count with a stable sort: equal counts keep this order.
        String[][] tokens = {idxToToken.subList(1, idxToToken.size()).toArray(new String[0])};
        return new Vocab(tokens, 0, new String[0]);
    }

    private void add(String token) {
        if (!tokenToIdx.containsKey(token)) {
            idxToToken.add(token);
            tokenToIdx.put(token, idxToToken.size() - 1);
        }
    }

    /**
     * Counts tokens over all lines, keeping the order of first appearance.
     *
     * @param tokens the tokens, one array per line
     * @return token counts in order of first appearance
     */
    public static LinkedHashMap<String, Integer> countCorpus2D(String[][] tokens) {
        LinkedHashMap<String, Integer> counter = new LinkedHashMap<>();
        for (String[] line : tokens) {
            for (String t : line) {
                counter.merge(t, 1, Integer::sum);
            }
        }
        return counter;
    }

    /**
     * Returns the number of tokens in the vocabulary, {@code <unk>} included.
     *
     * @return the vocabulary size
     */
    public int length() {
        return idxToToken.size();
    }

    /**
     * Returns the index of a token, or {@link #unk} when it is not in the vocabulary.
     *
     * @param token the token
     * @return its index
     */
    public int getIdx(String token) {
        return tokenToIdx.getOrDefault(token, unk);
    }

    /**
     * Returns the indices of tokens.
     *
     * @param tokens the tokens
     * @return their indices
     */
    public int[] getIdxs(String[] tokens) {
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = getIdx(tokens[i]);
        }
        return out;
    }

    /**
     * Returns the token at an index.
     *
     * @param index the index
     * @return the token
     */
    public String toToken(int index) {
        return idxToToken.get(index);
    }

    /**
     * Returns the tokens at indices.
     *
     * @param indices the indices
     * @return the tokens
     */
    public String[] toTokens(List<Integer> indices) {
        String[] out = new String[indices.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = idxToToken.get(indices.get(i));
        }
        return out;
    }

    /**
     * Returns all tokens in index order.
     *
     * @return an unmodifiable list of the tokens
     */
    public List<String> getIdxToToken() {
        return Collections.unmodifiableList(idxToToken);
    }

    /**
     * Returns the token frequencies, most frequent first.
     *
     * @return an unmodifiable list of (token, count)
     */
    public List<Map.Entry<String, Integer>> getTokenFreqs() {
        return Collections.unmodifiableList(tokenFreqs);
    }
}
