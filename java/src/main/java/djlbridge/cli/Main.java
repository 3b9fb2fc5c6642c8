package djlbridge.cli;

import com.google.gson.JsonObject;
import djlbridge.LanguageModelTask;
import djlbridge.TrainSettings;
import djlbridge.training.RunReport;
import djlbridge.training.TrainingSession;

/**
 * Trains from plain {@code java}, without Python, through the same {@link TrainingSession} as the
 * bridge, with the flag names of {@code djl-bridge train}:
 *
 * <pre>
 * java -cp ... djlbridge.cli.Main --data timemachine.txt [--model gru] [--impl scratch]
 *     [--epochs 500] [--lr 1] [--clip 1] [--hidden 256] [--layers 1] [--bidirectional]
 *     [--batch-size 32] [--num-steps 35] [--max-tokens 10000] [--seed 42] [--device auto]
 *     [--random-iter] [--no-hybridize] [--json]
 * </pre>
 *
 * <p>Progress goes to stderr; stdout gets the text's summary, or with {@code --json} one JSON
 * object: {@link RunReport#toJsonObject} plus {@code config} and {@code launcher: "java"}. A
 * bad flag or a failed run prints one line {@code djl-bridge: error: ...} and exits 1.
 *
 * <p>Threads: MXNet reads {@code OMP_NUM_THREADS} once, when it loads, and without it uses half
 * the CPUs. The Python launcher sets it to one per CPU when unset ({@code --threads} there); a
 * JVM cannot set its own environment, so from plain {@code java} run e.g. {@code
 * OMP_NUM_THREADS=$(nproc) DJL_BRIDGE_DEFAULT_THREADS=$(nproc) java ...} for the same speed and
 * threads that follow the load ({@code ThreadPolicy}; {@code OMP_NUM_THREADS} alone pins the
 * count). The JSON's {@code omp_threads} says what the run started with, {@code thread_policy}
 * and {@code epoch_threads} what it did.
 */
public final class Main {

    private Main() {}

    /**
     * Runs one training.
     *
     * @param args the flags above
     */
    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (RuntimeException | java.io.IOException | ai.djl.translate.TranslateException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            System.err.println("djl-bridge: error: " + message.split("\n", 2)[0]);
            System.exit(1);
        }
    }

    private static int run(String[] args) throws java.io.IOException, ai.djl.translate.TranslateException {
        TrainSettings.Builder b = TrainSettings.builder();
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--random-iter".equals(a)) {
                b.setRandomIter(true);
                continue;
            }
            if ("--no-hybridize".equals(a)) {
                b.setHybridize(false);
                continue;
            }
            if ("--bidirectional".equals(a)) {
                b.setBidirectional(true);
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
                case "--epochs": b.setNumEpochs(parseInt(a, v)); break;
                case "--lr": b.setLr(parseFloat(a, v)); break;
                case "--clip": b.setClipTheta(parseFloat(a, v)); break;
                case "--hidden": b.setNumHiddens(parseInt(a, v)); break;
                case "--layers": b.setNumLayers(parseInt(a, v)); break;
                case "--batch-size": b.setBatchSize(parseInt(a, v)); break;
                case "--num-steps": b.setNumSteps(parseInt(a, v)); break;
                case "--max-tokens": b.setMaxTokens(parseInt(a, v)); break;
                case "--seed": b.setSeed(parseInt(a, v)); break;
                case "--device": b.setDevice(v); break;
                default: throw new IllegalArgumentException(
                        "unknown option " + a + ": see the javadoc of djlbridge.cli.Main");
            }
        }
        TrainSettings settings = b.build();
        int every = Math.max(1, settings.getNumEpochs() / 10);
        RunReport r;
        try (TrainingSession session = LanguageModelTask.open(settings, null)) {
            String note = session.getThreadPolicy().noteOnce();
            if (note != null) {
                System.err.println("djl-bridge: note: " + note);
            }
            session.train(settings.getNumEpochs(), (run, record) -> {
                int epoch = record.getEpoch();
                if (epoch % every == 0 || epoch == 1) {
                    System.err.printf("epoch %d/%d  perplexity %.3f  %,.0f tokens/s%n", epoch,
                            settings.getNumEpochs(), record.getMeasure(), record.getTokensPerSec());
                }
            });
            r = session.result();
        }
        if (json) {
            JsonObject o = r.toJsonObject();
            o.add("config", settings.toJsonObject());
            o.addProperty("launcher", "java");
            System.out.println(RunReport.write(o));
        } else {
            System.out.println(r);
            r.getPredictions().values().forEach(System.out::println);
        }
        return 0;
    }

    private static int parseInt(String flag, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    flag + " must be a whole number in " + Integer.MIN_VALUE + ".." + Integer.MAX_VALUE
                            + ", got " + v);
        }
    }

    private static float parseFloat(String flag, String v) {
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be a number, got " + v);
        }
    }
}
