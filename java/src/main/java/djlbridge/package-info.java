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
 * <p>Two package-private helpers keep the text's classes short without changing their API: the
 * streaming UTF-8 reader behind {@code TimeMachine}'s corpus functions, and the partition
 * arithmetic (offsets, batches, shuffles) behind {@code TimeMachineDataset}.
 *
 * <p>Where the text is wrong the classes deviate and say so in a comment: {@code setSteps}
 * instead of a hard-coded 35, a float learning rate instead of an int, {@link
 * djlbridge.LanguageModel} instead of {@code Object net}, a new random offset every epoch.
 *
 * <p>What depends on what. The text's trainer is a thin signature over the machinery of {@link
 * djlbridge.training}: {@code trainCh8} wraps the caller's model and dataset in a {@code
 * TrainingSession} and returns its {@code RunReport}, {@code trainEpochCh8} checks a {@code
 * TrainingControl}; the other way round, the session builds this package's dataset and models
 * and runs {@code trainEpochCh8}. So the two packages use each other, by design: the text keeps
 * its signatures, and there is one epoch loop. The speed code of {@link djlbridge.mxnet} is called
 * at three points: {@link djlbridge.RNNModel#forward} ({@code RnnOperator}), a hybridized {@link
 * djlbridge.RNNModelScratch} ({@code HybridScratchCells}) and the update after each batch of
 * {@code trainEpochCh8} ({@code ClipSgd}). Their engine-neutral equivalents are here too (DJL's
 * layer forward, the op-by-op cells, {@code gradClipping} and {@code sgd}), so another engine
 * would change those three calls, not the classes.
 *
 * <p>Why this cut: a reader of the text finds the text's classes alone in this package, with the
 * text's names and signatures, and nothing that exists only for the CLI, the checkpoints or the
 * speed of MXNet.
 */
package djlbridge;
