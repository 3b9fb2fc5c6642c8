package djlbridge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The trainer from plain {@code java}, without Python: {@code java -cp ... djlbridge.Main --data
 * PATH [--model gru] [--impl scratch] [--epochs 500] [--lr 1] [--clip 1] [--hidden 256]
 * [--batch-size 32] [--num-steps 35] [--max-tokens 10000] [--seed 42] [--device auto] [--random]
 * [--json]}. Prints one line per epoch ("epoch N perplexity P tokens/s S") and the text's summary;
 * with {@code --json}, prints instead one JSON object with the keys of {@code djl-bridge train
 * --json} plus each epoch's resident set size ({@code rss_mb}) and seconds ({@code
 * epoch_seconds}), the peak resident set size ({@code peak_rss_mb}) and {@code "launcher":
 * "java"}.
 */
public final class Main {

    private Main() {}

    /**
     * Runs the trainer.
     *
     * @param args the options above
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        TrainSettings.Builder b = TrainSettings.builder();
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--random".equals(a)) {
                b.setRandomIter(true);
                continue;
            }
            if ("--json".equals(a)) {
                json = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--data": b.setDataPath(v); break;
                case "--model": b.setModel(v); break;
                case "--impl": b.setImpl(v); break;
                case "--epochs": b.setNumEpochs(Integer.parseInt(v)); break;
                case "--lr": b.setLr(Float.parseFloat(v)); break;
                case "--clip": b.setClipTheta(Float.parseFloat(v)); break;
                case "--hidden": b.setNumHiddens(Integer.parseInt(v)); break;
                case "--batch-size": b.setBatchSize(Integer.parseInt(v)); break;
                case "--num-steps": b.setNumSteps(Integer.parseInt(v)); break;
                case "--max-tokens": b.setMaxTokens(Integer.parseInt(v)); break;
                case "--seed": b.setSeed(Long.parseLong(v)); break;
                case "--device": b.setDevice(v); break;
                default: throw new IllegalArgumentException("unknown option " + a);
            }
        }
        TrainSettings settings = b.build();
        if (json) {
            runJson(settings);
            return;
        }
        TrainingResult r =
                Ch8Runner.run(
                        settings,
                        (epoch, ppl, speed) -> {
                            System.out.printf("epoch %d perplexity %.4f tokens/s %.1f%n", epoch, ppl, speed);
                            return true;
                        });
        System.out.println(r);
        for (String prefix : TimeMachine.PREFIXES) {
            System.out.println(r.getPredictions().get(prefix));
        }
    }

    /**
     * Trains, recording after each epoch its wall time (from the previous epoch's end, the first
     * from the start of the run) and the resident set size, then prints one JSON object.
     */
    private static void runJson(TrainSettings s) throws Exception {
        List<Double> rss = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        long[] last = {System.nanoTime()};
        TrainingResult r =
                Ch8Runner.run(
                        s,
                        (epoch, ppl, speed) -> {
                            long now = System.nanoTime();
                            seconds.add((now - last[0]) / 1e9);
                            last[0] = now;
                            rss.add(ProcessMemory.residentMb());
                            return true;
                        });
        double peak = ProcessMemory.peakResidentMb();
        StringBuilder sb = new StringBuilder("{");
        field(sb, "perplexity").append(array(r.getPerplexity())).append(", ");
        field(sb, "final_perplexity").append(number(r.getFinalPerplexity())).append(", ");
        field(sb, "tokens_per_sec").append(number(r.getTokensPerSec())).append(", ");
        field(sb, "epoch_tokens_per_sec").append(array(r.getEpochTokensPerSec())).append(", ");
        field(sb, "device").append(string(r.getDevice())).append(", ");
        field(sb, "wall_seconds").append(number(r.getWallSeconds())).append(", ");
        field(sb, "predictions").append('{');
        String sep = "";
        for (Map.Entry<String, String> e : r.getPredictions().entrySet()) {
            sb.append(sep).append(string(e.getKey())).append(": ").append(string(e.getValue()));
            sep = ", ";
        }
        sb.append("}, ");
        field(sb, "config").append('{');
        field(sb, "model").append(string(s.getModel())).append(", ");
        field(sb, "impl").append(string(s.getImpl())).append(", ");
        field(sb, "epochs").append(s.getNumEpochs()).append(", ");
        field(sb, "lr").append(number(s.getLr())).append(", ");
        field(sb, "clip").append(number(s.getClipTheta())).append(", ");
        field(sb, "hidden").append(s.getNumHiddens()).append(", ");
        field(sb, "batch_size").append(s.getBatchSize()).append(", ");
        field(sb, "num_steps").append(s.getNumSteps()).append(", ");
        field(sb, "max_tokens").append(s.getMaxTokens()).append(", ");
        field(sb, "random_iter").append(s.isRandomIter()).append(", ");
        field(sb, "data").append(string(s.getDataPath().toString())).append(", ");
        field(sb, "seed").append(s.getSeed()).append(", ");
        field(sb, "device").append(string(s.getDevice())).append("}, ");
        field(sb, "rss_mb").append(array(rss.stream().mapToDouble(Double::doubleValue).toArray())).append(", ");
        field(sb, "epoch_seconds")
                .append(array(seconds.stream().mapToDouble(Double::doubleValue).toArray()))
                .append(", ");
        field(sb, "peak_rss_mb").append(number(peak)).append(", ");
        field(sb, "launcher").append(string("java")).append('}');
        System.out.println(sb);
    }

    private static StringBuilder field(StringBuilder sb, String name) {
        return sb.append(string(name)).append(": ");
    }

    /** A JSON number; NaN and infinities as Python's {@code json} module writes them. */
    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(v);
    }

    private static String array(double[] values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(number(values[i]));
        }
        return sb.append(']').toString();
    }

    private static String string(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
