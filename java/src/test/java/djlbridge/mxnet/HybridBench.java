package djlbridge.mxnet;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.util.Pair;
import djlbridge.LanguageModel;
import djlbridge.ModelKind;
import djlbridge.RNNModelScratch;
import djlbridge.TimeMachine;
import djlbridge.TimeMachineDataset;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Op-by-op against hybridized scratch cells: tokens per second of whole training epochs
 * ({@link TimeMachine#trainEpochCh8}), the two alternating round by round so that both see the
 * same load on a shared machine, and the median and spread of the per-round ratios. Not a JUnit
 * test; run after {@code gradle assemble testClasses}:
 *
 * <pre>
 * java -Dai.djl.offline=true -cp build/classes/java/test:$(paste -sd: build/classpath.txt) \
 *     djlbridge.mxnet.HybridBench [kind=gru] [layers=1] [rounds=5] [epochs=10] [hidden=256] \
 *     [batch=32] [steps=35] [tokens=10000] [profile] [only=ops|hybrid]
 * </pre>
 *
 * <p>With {@code profile}, one more epoch of each is run with a synchronization after each phase
 * (forward with loss, backward, clipping with SGD) to show where a batch's time goes. With
 * {@code only=ops} or {@code only=hybrid}, one warm-up epoch and {@code epochs} epochs of that
 * implementation alone (for MXNet's profiler: {@code MXNET_PROFILER_AUTOSTART=1}).
 */
public final class HybridBench {

    private HybridBench() {}

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double epochs(LanguageModel net, TimeMachineDataset d, int epochs, NDManager m)
            throws Exception {
        SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
        long tokens = 0;
        long start = System.nanoTime();
        for (int e = 0; e < epochs; e++) {
            TimeMachine.trainEpochCh8(net, d, loss, 1f, 1f, Device.cpu(), false, m);
            tokens += (long) d.getNumBatches() * d.getBatchSize() * d.getNumSteps();
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    /** One epoch as trainEpochCh8, with a sync after each phase; milliseconds per batch. */
    private static double[] profile(LanguageModel net, TimeMachineDataset d, NDManager m)
            throws Exception {
        SoftmaxCrossEntropyLoss loss = new SoftmaxCrossEntropyLoss();
        double[] ms = new double[3];
        int batches = 0;
        NDList state = null;
        try (NDManager em = m.newSubManager()) {
            for (Batch batch : d.getData(em)) {
                try (Batch b = batch) {
                    NDManager bm = b.getManager();
                    NDArray x = b.getData().head();
                    NDArray labels = b.getLabels().head().transpose().reshape(-1);
                    if (state == null) {
                        state = net.beginState((int) x.getShape().get(0), Device.cpu());
                    }
                    state.attach(bm);
                    long t0 = System.nanoTime();
                    NDList newState;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Pair<NDArray, NDList> out = net.forward(x, state, true);
                        NDArray l = loss.evaluate(new NDList(labels), new NDList(out.getKey())).mean();
                        l.getFloat();
                        long t1 = System.nanoTime();
                        gc.backward(l);
                        for (NDArray p : net.getParams()) {
                            NDArray g = p.getGradient();
                            g.attach(bm);
                            g.get(0).toFloatArray();
                        }
                        ms[0] += (t1 - t0) / 1e6;
                        ms[1] += (System.nanoTime() - t1) / 1e6;
                        newState = out.getValue();
                    }
                    long t2 = System.nanoTime();
                    TimeMachine.gradClipping(net, 1f, bm);
                    TimeMachine.sgd(net.getParams(), 1f, 1, bm);
                    for (NDArray p : net.getParams()) {
                        p.get(0).toFloatArray();
                    }
                    ms[2] += (System.nanoTime() - t2) / 1e6;
                    state = new NDList();
                    for (NDArray s : newState) {
                        NDArray c = s.stopGradient();
                        c.attach(em);
                        state.add(c);
                    }
                    batches++;
                }
            }
        }
        for (int i = 0; i < ms.length; i++) {
            ms[i] /= batches;
        }
        return ms;
    }

    /**
     * Runs the benchmark.
     *
     * @param args key=value settings, see the class comment
     * @throws Exception if the corpus cannot be read
     */
    public static void main(String[] args) throws Exception {
        String kind = "gru";
        int layers = 1;
        int rounds = 5;
        int epochs = 10;
        int hidden = 256;
        int batch = 32;
        int steps = 35;
        int tokens = 10000;
        boolean profile = false;
        String only = null;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "kind": kind = kv[1]; break;
                case "layers": layers = Integer.parseInt(kv[1]); break;
                case "rounds": rounds = Integer.parseInt(kv[1]); break;
                case "epochs": epochs = Integer.parseInt(kv[1]); break;
                case "hidden": hidden = Integer.parseInt(kv[1]); break;
                case "batch": batch = Integer.parseInt(kv[1]); break;
                case "steps": steps = Integer.parseInt(kv[1]); break;
                case "tokens": tokens = Integer.parseInt(kv[1]); break;
                case "profile": profile = true; break;
                case "only": only = kv[1]; break;
                default: throw new IllegalArgumentException("unknown setting " + a);
            }
        }
        String corpus = System.getenv().getOrDefault(
                "DJL_BRIDGE_DATA", "/work/shared/data/timemachine.txt");
        Engine.getInstance().setRandomSeed(1);
        try (NDManager m = NDManager.newBaseManager()) {
            TimeMachineDataset d = TimeMachineDataset.builder()
                    .setManager(m).setMaxTokens(tokens).setSampling(batch, false).setSteps(steps)
                    .setDataPath(Paths.get(corpus)).optSeed(1).build();
            d.prepare();
            int vocab = d.getVocab().length();
            try (RNNModelScratch ops = RNNModelScratch.of(ModelKind.of(kind), vocab, hidden, layers, Device.cpu(), m, false);
                    RNNModelScratch hyb = RNNModelScratch.of(ModelKind.of(kind), vocab, hidden, layers, Device.cpu(), m, true)) {
                if (only != null) {
                    // one implementation alone, e.g. under MXNet's profiler
                    RNNModelScratch net = "hybrid".equals(only) ? hyb : ops;
                    epochs(net, d, 1, m);
                    System.out.printf("%s %s: %.0f tok/s%n", kind, only, epochs(net, d, epochs, m));
                    return;
                }
                // warm-up: oneDNN primitives, the cached operator's memory plan, the JIT
                epochs(ops, d, 1, m);
                epochs(hyb, d, 1, m);
                List<Double> ratios = new ArrayList<>();
                System.out.printf("%s x%d hidden %d batch %d steps %d tokens %d, %d rounds x %d epochs%n",
                        kind, layers, hidden, batch, steps, tokens, rounds, epochs);
                for (int r = 0; r < rounds; r++) {
                    double a;
                    double b;
                    if (r % 2 == 0) {
                        a = epochs(ops, d, epochs, m);
                        b = epochs(hyb, d, epochs, m);
                    } else {
                        b = epochs(hyb, d, epochs, m);
                        a = epochs(ops, d, epochs, m);
                    }
                    ratios.add(b / a);
                    System.out.printf("round %d: op-by-op %.0f tok/s, hybrid %.0f tok/s, ratio %.2f%n",
                            r, a, b, b / a);
                }
                System.out.printf("median ratio %.2f (min %.2f, max %.2f)%n",
                        median(ratios), Collections.min(ratios), Collections.max(ratios));
                if (profile) {
                    for (RNNModelScratch net : new RNNModelScratch[] {ops, hyb}) {
                        double[] ms = profile(net, d, m);
                        System.out.printf("%s ms/batch: forward+loss %.2f, backward %.2f, clip+sgd %.2f%n",
                                net.isHybrid() ? "hybrid  " : "op-by-op", ms[0], ms[1], ms[2]);
                    }
                }
            }
        }
    }
}
