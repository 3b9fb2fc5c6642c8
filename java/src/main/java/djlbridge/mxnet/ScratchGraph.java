package djlbridge.mxnet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scratch GRU, LSTM and plain RNN of {@code ScratchCells}, unrolled over a fixed number of
 * time steps, written as one MXNet symbol graph (the JSON that {@code Symbol.loadJson} reads).
 *
 * <p>Same equations and same parameters, in the same layout (weights {@code (in, out)},
 * transposed inside the graph), as the imperative cells; the GRU applies the reset gate to H
 * before W_hh. The graph's data inputs are {@code x} (token indices, (batch, steps)), {@code h0}
 * and, for the LSTM, {@code c0} (one more set per layer of a stack, {@link #inputNames(CellKind,
 * int)}); its outputs are the logits ((steps * batch, vocab), time-major) followed by the final
 * state. A stack of layers is unrolled in the same graph, as {@code ScratchCells} runs it. The
 * input products {@code X W_x + b} of all steps are taken at
 * once, and so is the output layer; per step, each gate has its own product with W_h, as in
 * {@code ScratchCells}. Sigmoid and tanh are MXNet's {@code Activation} operator (oneDNN on the
 * CPU), the same functions as the cells' to rounding. (Joining the products of the gates that
 * share H into one wider product and splitting the result was measured slower here: the split
 * and its backward cost more than the products they save; see
 * benchmarks/results/2026-12-07-bench-history.md.)
 */
public final class ScratchGraph {

    /** The MXNet version the bundled native library reports (1.9.0 -> 10900). */
    private static final int MXNET_VERSION = 10900;

    private final List<String> json = new ArrayList<>();
    private final List<Integer> argNodes = new ArrayList<>();
    private final List<Integer> numOutputs = new ArrayList<>();
    /** The parameters' variables, by name. */
    private final Map<String, Ref> params = new LinkedHashMap<>();
    private final int numSteps;
    private final int numHiddens;

    private ScratchGraph(int numSteps, int numHiddens) {
        this.numSteps = numSteps;
        this.numHiddens = numHiddens;
    }

    /** One output of a node: (node id, output index). */
    private static final class Ref {
        private final int node;
        private final int index;

        Ref(int node, int index) {
            this.node = node;
            this.index = index;
        }
    }

    /** The names of one layer's state inputs, in the order of the model's state: H, then C. */
    private static final String[] STATE_INPUTS = {"h0", "c0"};

    /**
     * Returns the names of the graph's data inputs for one layer: {@code inputNames(kind, 1)}.
     *
     * @param kind the kind of model
     * @return the input names
     */
    public static List<String> inputNames(CellKind kind) {
        return inputNames(kind, 1);
    }

    /**
     * Returns the names of the graph's data inputs: {@code x}, then one per state array, layer by
     * layer in the order of the model's state: {@code h0} (and {@code c0}) for layer 0, {@code
     * h0_l1} (and {@code c0_l1}) for layer 1, ...
     *
     * @param kind the kind of model
     * @param numLayers the number of stacked layers
     * @return the input names
     */
    public static List<String> inputNames(CellKind kind, int numLayers) {
        List<String> names = new ArrayList<>();
        names.add("x");
        for (int l = 0; l < numLayers; l++) {
            for (String state : Arrays.asList(STATE_INPUTS).subList(0, kind.getStates())) {
                names.add(state + kind.getLayerSuffix(l));
            }
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * Builds the unrolled graph of one layer: {@code json(kind, 1, vocabSize, numHiddens,
     * numSteps)}.
     *
     * @param kind the kind of model
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size
     * @param numSteps the number of time steps the graph is unrolled over
     * @return the symbol JSON
     */
    public static String json(CellKind kind, int vocabSize, int numHiddens, int numSteps) {
        return json(kind, 1, vocabSize, numHiddens, numSteps);
    }

    /**
     * Builds the unrolled graph of a stack of layers: layer {@code l}'s hidden states of all
     * steps are layer {@code l + 1}'s input (its input products taken at once, as layer 0's), the
     * output layer reads the last layer, and the outputs are the logits followed by the final
     * state, layer by layer. Parameters are named as {@link CellKind#getParamNames(int)}.
     *
     * @param kind the kind of model
     * @param numLayers the number of stacked layers
     * @param vocabSize the vocabulary size
     * @param numHiddens the hidden size of every layer
     * @param numSteps the number of time steps the graph is unrolled over
     * @return the symbol JSON
     */
    public static String json(
            CellKind kind, int numLayers, int vocabSize, int numHiddens, int numSteps) {
        if (numLayers < 1 || vocabSize < 1 || numHiddens < 1 || numSteps < 1) {
            throw new IllegalArgumentException(
                    "numLayers, vocabSize, numHiddens and numSteps must be positive: " + numLayers
                            + ", " + vocabSize + ", " + numHiddens + ", " + numSteps);
        }
        ScratchGraph g = new ScratchGraph(numSteps, numHiddens);
        List<String> inputNames = inputNames(kind, numLayers);
        Ref x = g.var(inputNames.get(0));
        List<Ref> state = new ArrayList<>();
        for (String name : inputNames.subList(1, inputNames.size())) {
            state.add(g.var(name));
        }
        for (String name : kind.getParamNames(numLayers)) {
            g.params.put(name, g.var(name));
        }
        // layer 0 reads the one-hot inputs, time-major: (steps, batch, vocab)
        Ref input = g.op("one_hot", attrs("depth", vocabSize), g.op("transpose", attrs(), x));
        boolean rows = false;
        List<Ref> hs = null;
        List<Ref> finalState = new ArrayList<>();
        int states = kind.getStates();
        for (int l = 0; l < numLayers; l++) {
            if (hs != null) {
                // the layer below's hidden states of all steps as rows: (steps * batch, hidden)
                input = g.concat(hs);
                rows = true;
            }
            hs = g.layer(kind, kind.getLayerSuffix(l), input, rows,
                    state.subList(l * states, (l + 1) * states), finalState);
        }
        // the output layer over all steps at once: (steps * batch, vocab)
        Ref wHqT = g.transposed(g.params.get("W_hq"));
        Ref logits = g.fc(g.concat(hs), wHqT, g.params.get("b_q"), vocabSize);
        List<Ref> heads = new ArrayList<>();
        heads.add(logits);
        heads.addAll(finalState);
        return g.toJson(heads.toArray(new Ref[0]));
    }

    /** The steps' arrays joined along the first axis. */
    private Ref concat(List<Ref> parts) {
        return parts.size() == 1 ? parts.get(0)
                : op("Concat", attrs("dim", 0, "num_args", parts.size()), parts.toArray(new Ref[0]));
    }

    /**
     * Unrolls one layer's cell over the steps: its parameters are those named with {@code
     * suffix}, its input is {@code input} of all steps ({@code rows}: as (steps * batch, inputs)),
     * its begin state {@code state} (H, or H and C). Adds the final state to {@code finalState}
     * and returns the hidden state of every step.
     */
    private List<Ref> layer(
            CellKind kind, String suffix, Ref input, boolean rows, List<Ref> state,
            List<Ref> finalState) {
        Ref h = state.get(0);
        List<Ref> hs = new ArrayList<>();
        switch (kind.getName()) {
            case "gru": {
                Gates zr = new Gates(suffix, input, rows, "z", "r");
                Gates hh = new Gates(suffix, input, rows, "h");
                for (int t = 0; t < numSteps; t++) {
                    Ref[] zrt = zr.step(h, t, "sigmoid");
                    Ref z = zrt[0];
                    Ref r = zrt[1];
                    // the reset gate applies to H before W_hh, as the Java text and ScratchCells
                    Ref hTilda = hh.step(op("elemwise_mul", attrs(), r, h), t, "tanh")[0];
                    // Z * H + (1 - Z) * H~ written as Z * (H - H~) + H~, as ScratchCells.gru
                    Ref diff = op("elemwise_sub", attrs(), h, hTilda);
                    h = op("elemwise_add", attrs(), op("elemwise_mul", attrs(), z, diff), hTilda);
                    hs.add(h);
                }
                finalState.add(h);
                break;
            }
            case "lstm": {
                Ref c = state.get(1);
                Gates ifoc = new Gates(suffix, input, rows, "i", "f", "o", "c");
                for (int t = 0; t < numSteps; t++) {
                    Ref[] pre = ifoc.step(h, t, null);
                    Ref gi = act("sigmoid", pre[0]);
                    Ref gf = act("sigmoid", pre[1]);
                    Ref go = act("sigmoid", pre[2]);
                    Ref cTilda = act("tanh", pre[3]);
                    c = op("elemwise_add", attrs(), op("elemwise_mul", attrs(), gf, c),
                            op("elemwise_mul", attrs(), gi, cTilda));
                    h = op("elemwise_mul", attrs(), go, act("tanh", c));
                    hs.add(h);
                }
                finalState.add(h);
                finalState.add(c);
                break;
            }
            case "rnn": {
                Gates hh = new Gates(suffix, input, rows, "h");
                for (int t = 0; t < numSteps; t++) {
                    h = hh.step(h, t, "tanh")[0];
                    hs.add(h);
                }
                finalState.add(h);
                break;
            }
            default:
                throw new IllegalArgumentException("no graph is written for " + kind);
        }
        return hs;
    }

    /**
     * The pre-activations {@code X W_x + H' W_h + b} of gates whose hidden operand H' is the same
     * (GRU: Z and R on H, H~ on R * H; LSTM: all four on H). The input products of all steps are
     * taken at once; per step, each gate has its own product with its W_h.
     */
    private final class Gates {
        private final List<List<Ref>> inputs = new ArrayList<>();
        private final List<Ref> weightsT = new ArrayList<>();

        /** The gates of the layer whose parameters end in {@code suffix}, over {@code input}. */
        Gates(String suffix, Ref input, boolean rows, String... gates) {
            for (String gate : gates) {
                inputs.add(inputProducts(input, rows, params.get("W_x" + gate + suffix),
                        params.get("b_" + gate + suffix)));
                weightsT.add(transposed(params.get("W_h" + gate + suffix)));
            }
        }

        /** The gates at step {@code t}, each activated by {@code act} (null for none). */
        Ref[] step(Ref hidden, int t, String act) {
            Ref[] out = new Ref[inputs.size()];
            for (int k = 0; k < out.length; k++) {
                Ref pre = op("elemwise_add", attrs(), inputs.get(k).get(t),
                        fc(hidden, weightsT.get(k), null, numHiddens));
                out[k] = act == null ? pre : act(act, pre);
            }
            return out;
        }
    }

    /**
     * {@code X W + b} for all steps at once, split into one (batch, width) output per step. The
     * input is time-major, either (steps, batch, inputs) (the one-hot inputs: each step's slice
     * loses its first axis) or, with {@code rows}, (steps * batch, inputs) (a layer's hidden
     * states as rows: each step is a block of rows).
     */
    private List<Ref> inputProducts(Ref inputs, boolean rows, Ref w, Ref b) {
        Ref all = fc(inputs, transposed(w), b, numHiddens);
        int split = node("SliceChannel",
                attrs("num_outputs", numSteps, "axis", 0, "squeeze_axis", rows ? 0 : 1), numSteps,
                all);
        List<Ref> steps = new ArrayList<>(numSteps);
        for (int t = 0; t < numSteps; t++) {
            steps.add(new Ref(split, t));
        }
        return steps;
    }

    /** A weight transposed for FullyConnected, which multiplies by its argument transposed. */
    private Ref transposed(Ref w) {
        return op("transpose", attrs(), w);
    }

    /**
     * An activation ("sigmoid" or "tanh") as MXNet's {@code Activation} operator, which runs
     * oneDNN's vectorized kernels on the CPU (the plain {@code sigmoid} and {@code tanh}
     * operators are scalar loops: 26 and 55 microseconds on a (32, 256) array here, against 5).
     */
    private Ref act(String type, Ref x) {
        return op("Activation", attrs("act_type", type), x);
    }

    /** One FullyConnected over the last axis; {@code bias} may be null. */
    private Ref fc(Ref data, Ref weightT, Ref bias, int numHidden) {
        Map<String, String> a = attrs(
                "num_hidden", numHidden, "no_bias", bias == null ? "True" : "False",
                "flatten", "False");
        return bias == null ? op("FullyConnected", a, data, weightT)
                : op("FullyConnected", a, data, weightT, bias);
    }

    private static Map<String, String> attrs(Object... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], String.valueOf(kv[i + 1]));
        }
        return m;
    }

    private Ref var(String name) {
        int id = json.size();
        json.add("{\"op\":\"null\",\"name\":" + quote(name) + ",\"inputs\":[]}");
        argNodes.add(id);
        numOutputs.add(1);
        return new Ref(id, 0);
    }

    private Ref op(String op, Map<String, String> attrs, Ref... inputs) {
        return new Ref(node(op, attrs, 1, inputs), 0);
    }

    private int node(String op, Map<String, String> attrs, int outputs, Ref... inputs) {
        int id = json.size();
        StringBuilder sb = new StringBuilder();
        sb.append("{\"op\":").append(quote(op))
                .append(",\"name\":").append(quote(op.toLowerCase() + id));
        if (!attrs.isEmpty()) {
            sb.append(",\"attrs\":{");
            String sep = "";
            for (Map.Entry<String, String> e : attrs.entrySet()) {
                sb.append(sep).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
                sep = ",";
            }
            sb.append('}');
        }
        sb.append(",\"inputs\":[");
        for (int i = 0; i < inputs.length; i++) {
            sb.append(i == 0 ? "" : ",").append(refJson(inputs[i]));
        }
        sb.append("]}");
        json.add(sb.toString());
        numOutputs.add(outputs);
        return id;
    }

    private static String refJson(Ref r) {
        return "[" + r.node + "," + r.index + ",0]";
    }

    private String toJson(Ref... heads) {
        StringBuilder sb = new StringBuilder("{\"nodes\":[\n");
        sb.append(String.join(",\n", json));
        sb.append("\n],\"arg_nodes\":").append(argNodes);
        StringBuilder rows = new StringBuilder("[0");
        int row = 0;
        for (int n : numOutputs) {
            row += n;
            rows.append(',').append(row);
        }
        sb.append(",\"node_row_ptr\":").append(rows).append(']');
        sb.append(",\"heads\":[");
        for (int i = 0; i < heads.length; i++) {
            sb.append(i == 0 ? "" : ",").append(refJson(heads[i]));
        }
        sb.append("],\"attrs\":{\"mxnet_version\":[\"int\",").append(MXNET_VERSION).append("]}}");
        return sb.toString();
    }

    private static String quote(String s) {
        // names and attributes here are identifiers and numbers: nothing to escape
        return '"' + s + '"';
    }
}
