package djlbridge.training;

import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * What a {@link TrainingSession} trains: a task brings its data, model, loss, optimizer, one epoch
 * and its predictions; the session brings the epoch loop, the stop control, the divergence check,
 * the last-good parameters, parameter files and checkpoints, timing, memory and threads, the same
 * for every task. The language model of D2L 8.5-9.4 is one ({@code djlbridge.LanguageModelTask});
 * sequence to sequence (9.7: an encoder-decoder trained with Adam on a masked loss, measured by
 * its loss, evaluated with BLEU) is the next.
 *
 * <p>A task is used by one thread at a time (the session's). Its arrays live on the manager the
 * session gave its {@link TaskFactory}, or on the caller's for a task the caller made.
 */
public interface TrainingTask extends AutoCloseable {

    /**
     * Names the per-epoch measure: the key of the report's list and of the messages.
     *
     * @return e.g. "perplexity" (the language model) or "loss" (sequence to sequence)
     */
    String getMeasureName();

    /**
     * Returns the learning rate, for the divergence message (a non-finite measure: lower it).
     *
     * @return the learning rate
     */
    float getLearningRate();

    /**
     * Describes the model in words, for messages (a parameter file that does not fit it).
     *
     * @return e.g. "scratch gru with 256 hidden units and 28 tokens"
     */
    String describeModel();

    /**
     * Returns the parameters, in a fixed order: the session keeps copies of them after every
     * finished epoch (the last good parameters).
     *
     * @return the parameter arrays
     */
    NDList getParameters();

    /**
     * Encodes {@code values} (copies of {@link #getParameters}, same order, names, shapes) as the
     * bytes of the task's parameter file ({@link ParameterFiles} has the formats).
     *
     * @param values the values to write
     * @return the file's bytes
     */
    byte[] encodeParameters(NDList values);

    /**
     * Loads the parameters from the bytes of a parameter file (read, and verified, by the caller).
     *
     * @param bytes the whole file
     * @param source what the bytes are, for messages (the file's path)
     * @throws IOException if the bytes do not fit the model
     */
    void loadParameters(byte[] bytes, String source) throws IOException;

    /**
     * Returns whether the task has data to train on (false: it only predicts).
     *
     * @return true when {@link #trainEpoch} may be called
     */
    boolean canTrain();

    /**
     * Trains one epoch, calling {@code step} before every batch.
     *
     * @param step the session's per-step hook (stop flag, thread policy)
     * @return the epoch's measure and speed
     * @throws IOException if the data cannot be read
     * @throws TranslateException if batching fails
     * @throws StopRequestedException when a stop was requested (the epoch is dropped)
     */
    EpochResult trainEpoch(StepCheck step) throws IOException, TranslateException;

    /**
     * Replays the random draws of one epoch without training (a resumed run: the next batches are
     * those of a run that never stopped).
     */
    void skipEpoch();

    /**
     * Predicts from {@code input}: the language model's continuation, a translation.
     *
     * @param input the prefix, the source sentence
     * @param length how many tokens at most to generate
     * @param step called before every generated token (the stop flag)
     * @return the prediction
     */
    String predict(String input, int length, StepCheck step);

    /**
     * The predictions the run's report holds (the text's, after training), made through {@code
     * predict}, the session's {@link TrainingSession#predict}.
     *
     * @param predict (input, length) to prediction
     * @return input to prediction (or to a line that includes its score), in order
     */
    Map<String, String> reportPredictions(BiFunction<String, Integer, String> predict);

    /** Frees what the task owns (a task wrapping the caller's model and data frees nothing). */
    @Override
    void close();
}
