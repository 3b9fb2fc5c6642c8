package djlbridge.training;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import djlbridge.threads.ThreadCounts;
import djlbridge.threads.ThreadPolicy;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run hands back, computed once here for every launcher (Python reads {@link
 * #toJson}, {@code Main} prints it): the task's measure (the language model's perplexity) and speed per
 * epoch, the run's tokens/s, wall time, memory and the task's predictions. The JSON names the
 * measure as the task does: {@code "perplexity"} and {@code "final_perplexity"} for the language
 * model, {@code "loss"} and {@code "final_loss"} for sequence to sequence.
 *
 * <p>The run's tokens/s is the median over the epochs trained in this run, its first (warm-up)
 * epoch left out when there are more.
 */
public final class RunReport {

    private static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

    private final String measureName;
    private final double[] measure;
    private final double[] epochTokensPerSec;
    private final double[] epochSeconds;
    private final double[] rssMb;
    private final double peakRssMb;
    private final int[] epochThreads;
    private final String threadPolicy;
    private final int predictionThreads;
    private final int resumedFromEpoch;
    private final String device;
    private final double wallSeconds;
    private final Map<String, String> predictions;

    /**
     * Creates a result.
     *
     * @param measureName what the epochs' measure is ("perplexity", "loss")
     * @param records every epoch, counted over resumes
     * @param resumedFromEpoch the epochs read back from a checkpoint (0 for a fresh run)
     * @param device the device, as DJL names it
     * @param wallSeconds the wall time of this run's training
     * @param predictions input to prediction (a prefix to generated text)
     * @param rssMb the resident set size after each epoch of this run
     * @param peakRssMb the peak resident set size of the process
     * @param threads the run's thread policy, with the count each epoch of this run ended with
     */
    public RunReport(
            String measureName,
            List<EpochRecord> records,
            int resumedFromEpoch,
            String device,
            double wallSeconds,
            Map<String, String> predictions,
            double[] rssMb,
            double peakRssMb,
            ThreadPolicy threads) {
        this.measureName = measureName;
        this.measure = records.stream().mapToDouble(EpochRecord::getMeasure).toArray();
        this.epochTokensPerSec = records.stream().mapToDouble(EpochRecord::getTokensPerSec).toArray();
        this.epochSeconds =
                records.stream().skip(resumedFromEpoch).mapToDouble(EpochRecord::getSeconds).toArray();
        this.resumedFromEpoch = resumedFromEpoch;
        this.device = device;
        this.wallSeconds = wallSeconds;
        this.predictions = Collections.unmodifiableMap(new LinkedHashMap<>(predictions));
        this.rssMb = rssMb.clone();
        this.peakRssMb = peakRssMb;
        this.epochThreads = threads.getEpochThreads();
        this.threadPolicy = threads.isAdaptive() ? "adaptive" : "pinned";
        this.predictionThreads = threads.getPredictionThreads();
    }

    /** @return what the measure is: "perplexity", "loss" */
    public String getMeasureName() {
        return measureName;
    }

    /** @return the measure of every epoch, counted over resumes */
    public double[] getMeasure() {
        return measure.clone();
    }

    /** @return the measure of the last epoch, NaN when none */
    public double getFinalMeasure() {
        return measure.length == 0 ? Double.NaN : measure[measure.length - 1];
    }

    /** @return tokens per second of every epoch, counted over resumes */
    public double[] getEpochTokensPerSec() {
        return epochTokensPerSec.clone();
    }

    /** @return the wall seconds of each epoch trained in this run */
    public double[] getEpochSeconds() {
        return epochSeconds.clone();
    }

    /** @return the resident set size (MiB) after each epoch trained in this run */
    public double[] getRssMb() {
        return rssMb.clone();
    }

    /** @return the OpenMP thread count each epoch of this run ended with */
    public int[] getEpochThreads() {
        return epochThreads.clone();
    }

    /** @return the epochs done, counted over resumes */
    public int getEpochsDone() {
        return measure.length;
    }

    /**
     * Returns the run's speed: the median tokens/s of the epochs trained in this run, the first
     * left out when there are more.
     *
     * @return tokens per second, NaN when no epoch was trained
     */
    public double getTokensPerSec() {
        double[] run = Arrays.copyOfRange(epochTokensPerSec, resumedFromEpoch, epochTokensPerSec.length);
        if (run.length == 0) {
            return Double.NaN;
        }
        double[] s = run.length > 1 ? Arrays.copyOfRange(run, 1, run.length) : run;
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** @return the device, e.g. "cpu()" */
    public String getDevice() {
        return device;
    }

    /** @return prefix to generated text, in the text's order */
    public Map<String, String> getPredictions() {
        return predictions;
    }

    /**
     * The OpenMP thread count MXNet was started with: {@code OMP_NUM_THREADS} of this process, or
     * null when unset or not a number (MXNet then takes half the CPUs).
     */
    private static Integer ompThreads() {
        return ThreadCounts.parseCount(System.getenv(ThreadPolicy.OMP_THREADS_ENV));
    }

    /**
     * Returns the result as a JSON object: the field names of the {@code --json} contract of both
     * launchers. Non-finite numbers are written as {@code NaN} / {@code Infinity}.
     *
     * @return the JSON object
     */
    public JsonObject toJsonObject() {
        JsonObject o = new JsonObject();
        o.add(measureName, array(measure));
        o.addProperty("final_" + measureName, getFinalMeasure());
        o.addProperty("tokens_per_sec", getTokensPerSec());
        o.add("epoch_tokens_per_sec", array(epochTokensPerSec));
        o.addProperty("device", device);
        o.addProperty("wall_seconds", wallSeconds);
        JsonObject p = new JsonObject();
        predictions.forEach(p::addProperty);
        o.add("predictions", p);
        o.addProperty("epochs_done", getEpochsDone());
        o.addProperty("resumed_from_epoch", resumedFromEpoch);
        o.add("epoch_seconds", array(epochSeconds));
        o.add("rss_mb", array(rssMb));
        o.addProperty("peak_rss_mb", peakRssMb);
        o.addProperty("omp_threads", ompThreads());
        o.addProperty("thread_policy", threadPolicy);
        JsonArray threads = new JsonArray();
        for (int t : epochThreads) {
            threads.add(t);
        }
        o.add("epoch_threads", threads);
        o.addProperty("prediction_threads", predictionThreads);
        return o;
    }

    /**
     * Returns {@link #toJsonObject} as text.
     *
     * @return one line of JSON
     */
    public String toJson() {
        return GSON.toJson(toJsonObject());
    }

    /**
     * Writes a JSON object as one line, non-finite numbers included.
     *
     * @param o the object
     * @return the text
     */
    public static String write(JsonObject o) {
        return GSON.toJson(o);
    }

    private static JsonArray array(double[] values) {
        JsonArray a = new JsonArray();
        for (double v : values) {
            a.add(v);
        }
        return a;
    }

    @Override
    public String toString() {
        return String.format(
                "%s: %.1f, %.1f tokens/sec on %s", measureName, getFinalMeasure(), getTokensPerSec(), device);
    }
}
