package djlbridge;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link TimeMachine#trainCh8} returns instead of only printing: the perplexity and speed of
 * every epoch, the device, the wall time and the two predictions of the text.
 */
public final class TrainingResult {

    private final double[] perplexity;
    private final double[] epochTokensPerSec;
    private final String device;
    private final double wallSeconds;
    private final Map<String, String> predictions;

    /**
     * Creates a result.
     *
     * @param perplexity perplexity per epoch
     * @param epochTokensPerSec tokens per second per epoch
     * @param device the device trained on
     * @param wallSeconds seconds spent in the epochs
     * @param predictions prefix to generated text
     */
    public TrainingResult(
            double[] perplexity,
            double[] epochTokensPerSec,
            String device,
            double wallSeconds,
            Map<String, String> predictions) {
        this.perplexity = perplexity.clone();
        this.epochTokensPerSec = epochTokensPerSec.clone();
        this.device = device;
        this.wallSeconds = wallSeconds;
        this.predictions = Collections.unmodifiableMap(new LinkedHashMap<>(predictions));
    }

    /**
     * Returns the perplexity of each epoch.
     *
     * @return one value per epoch
     */
    public double[] getPerplexity() {
        return perplexity.clone();
    }

    /**
     * Returns the perplexity of the last epoch (NaN if none ran).
     *
     * @return the final perplexity
     */
    public double getFinalPerplexity() {
        return perplexity.length == 0 ? Double.NaN : perplexity[perplexity.length - 1];
    }

    /**
     * Returns the speed of each epoch.
     *
     * @return tokens per second, one value per epoch
     */
    public double[] getEpochTokensPerSec() {
        return epochTokensPerSec.clone();
    }

    /**
     * Returns the steady speed: the median over epochs, the first (warm-up) epoch left out when
     * there are more.
     *
     * @return tokens per second
     */
    public double getTokensPerSec() {
        if (epochTokensPerSec.length == 0) {
            return Double.NaN;
        }
        double[] s =
                epochTokensPerSec.length > 1
                        ? Arrays.copyOfRange(epochTokensPerSec, 1, epochTokensPerSec.length)
                        : epochTokensPerSec.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * Returns the device trained on, as DJL names it (cpu(), gpu(0)).
     *
     * @return the device
     */
    public String getDevice() {
        return device;
    }

    /**
     * Returns the seconds spent training.
     *
     * @return wall seconds
     */
    public double getWallSeconds() {
        return wallSeconds;
    }

    /**
     * Returns the generated text for each prefix ("time traveller", "traveller").
     *
     * @return prefix to prediction
     */
    public Map<String, String> getPredictions() {
        return predictions;
    }

    /**
     * Returns the summary line the text prints.
     *
     * @return "perplexity: P, S tokens/sec on D"
     */
    @Override
    public String toString() {
        return String.format(
                "perplexity: %.1f, %.1f tokens/sec on %s", getFinalPerplexity(), getTokensPerSec(), device);
    }
}
