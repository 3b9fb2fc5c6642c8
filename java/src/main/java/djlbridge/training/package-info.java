/**
 * The machinery around the text's trainer: one epoch loop that every launcher runs ({@code
 * TimeMachine.trainCh8}, {@link djlbridge.training.Main} from plain {@code java}, Python's {@code
 * djl_bridge.train} and the parity checks), and what comes with a run.
 *
 * <ul>
 *   <li>{@link djlbridge.training.TrainingSession}: the loop (open, resume, train, result, predict,
 *       close), run with {@link djlbridge.training.TrainSettings} (the text's defaults; they build
 *       the dataset and the model they name, and a package-private helper picks the device) and
 *       stopped through a {@link djlbridge.training.TrainingControl}, whose every check is also a
 *       step of the {@link djlbridge.training.ThreadPolicy} (MXNet's OpenMP threads: as many as
 *       the CPUs other processes leave free, read by {@link djlbridge.training.CpuLoad}, unless
 *       the user pinned them);
 *   <li>after each epoch, in order: the {@link djlbridge.training.SessionListener}s ({@link
 *       djlbridge.training.DivergenceCheck}, {@link djlbridge.training.LastGoodParameters},
 *       {@link djlbridge.training.MemoryRecorder}, the thread policy, then any added), then the
 *       caller's {@link djlbridge.training.EpochCallback} (Python implements it with a JPype
 *       proxy);
 *   <li>what a run hands back: an {@link djlbridge.training.EpochRecord} per epoch and the {@link
 *       djlbridge.training.RunReport} (the JSON both launchers print), with the memory of {@link
 *       djlbridge.training.ProcessMemory}; the parameters of a checkpoint in {@link
 *       djlbridge.training.ParameterFiles};
 *   <li>how a run ends early: {@link djlbridge.training.DivergedException}, {@link
 *       djlbridge.training.StopRequestedException}.
 * </ul>
 *
 * <p>Names. No type here is named like a DJL type with another meaning: DJL's {@code
 * ai.djl.training.listener.TrainingListener} listens to DJL's {@code Trainer}, hence {@code
 * SessionListener}; DJL's {@code ai.djl.training.TrainingResult} is its trainer's result, hence
 * {@code RunReport}. {@code DivergedException} means what DJL's {@code
 * ai.djl.TrainingDivergedException} means, so it extends it and adds the epoch.
 *
 * <p>What depends on what: this package drives the text's classes of {@link djlbridge} (the
 * dataset, the models, {@code trainEpochCh8}, {@code predictCh8}, {@code ModelKind}), which in
 * turn name the session in {@code trainCh8} (see there); of {@link djlbridge.mxnet} it uses only
 * {@code NativeHeap}, once per process, and {@code OmpThreads}, to set the count the thread
 * policy chose. Nothing here knows the engine's operators.
 *
 * <p>Why this cut: everything a newcomer changes for a new launcher, a new per-epoch behaviour (a
 * listener, not a copy of the loop), a result field or a checkpoint file lives here, apart from
 * the text's classes and from the engine's speed code.
 */
package djlbridge.training;
