/**
 * The Java text of D2L chapters 8 and 9 (GRU, LSTM, plain RNN) on DJL, class for class and named
 * as the text names them: what a reader of the text looks for.
 *
 * <ul>
 *   <li>{@link djlbridge.Vocab} and {@link djlbridge.TimeMachine}: reading and tokenizing the
 *       corpus, and the text's trainer ({@code trainCh8}, {@code trainEpochCh8}, {@code
 *       predictCh8}, {@code gradClipping}, {@code sgd});
 *   <li>{@link djlbridge.TimeMachineDataset} and its {@code Builder}: the sequential and random
 *       partitions;
 *   <li>the models: {@link djlbridge.RNNModelScratch} with the cells of {@link
 *       djlbridge.ScratchCells}, {@link djlbridge.RNNModel} (DJL's recurrent layers), both a
 *       {@link djlbridge.LanguageModel};
 *   <li>{@link djlbridge.ModelKind}: every fact about a kind of model (name, gates, states,
 *       scratch parameter names in the text's order, cell, DJL layer) that more than one class
 *       needs.
 * </ul>
 *
 * <p>The language model as a task of the machinery: {@link djlbridge.LanguageModelTask} (the
 * dataset, vocabulary, model, loss, {@code trainEpochCh8} and {@code predictCh8} behind {@code
 * djlbridge.training.TrainingTask}; its {@code open}/{@code wrap}/{@code forPrediction} make the
 * session) and {@link djlbridge.TrainSettings} (the text's defaults; it builds the dataset and the
 * model it names).
 * <p>Two package-private helpers keep the text's classes short without changing their API: the
 * streaming UTF-8 reader behind {@code TimeMachine}'s corpus functions, and the partition
 * arithmetic (offsets, batches, shuffles) behind {@code TimeMachineDataset}.
 * <p>Where the text is wrong the classes deviate and say so in a comment: {@code setSteps}
 * instead of a hard-coded 35, a float learning rate instead of an int, {@link
 * djlbridge.LanguageModel} instead of {@code Object net}, a new random offset every epoch.
 * <p>What depends on what. This package uses the machinery of {@link djlbridge.training}: {@code
 * trainCh8} wraps the caller's model and dataset in a {@code LanguageModelTask} and its {@code
 * TrainingSession} and returns its {@code RunReport}; {@code trainEpochCh8} and {@code predictCh8}
 * call a {@code StepCheck} before every step. The machinery never names this package: it runs a
 * {@code TrainingTask}. The speed code of {@link djlbridge.mxnet} is called at three points:
 * {@link djlbridge.RNNModel#forward} ({@code RnnOperator}), a hybridized {@link
 * djlbridge.RNNModelScratch} ({@code HybridScratchCells}, given the {@code ModelKind} as a {@code
 * CellKind}) and the update after each batch of {@code trainEpochCh8} ({@code ClipSgd}). Their
 * engine-neutral equivalents are here too (DJL's layer forward, the op-by-op cells, {@code
 * gradClipping} and {@code sgd}), so another engine would change those three calls, not the
 * classes. No package uses this one but the launcher of {@code djlbridge.cli} ({@code
 * PackageGraphTest} holds the graph free of circles).
 * <p>Why this cut: a reader of the text finds the text's classes alone in this package, with the
 * text's names and signatures, and nothing that exists only for the CLI, the checkpoints or the
 * speed of MXNet.
 */
package djlbridge;
