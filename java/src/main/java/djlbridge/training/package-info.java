/**
 * The machinery around a task: one epoch loop that every launcher runs, for any task, and what
 * comes with a run. It names no class of the text ({@code djlbridge}): the text's language model
 * is one {@link djlbridge.training.TrainingTask}, sequence to sequence the next.
 * <ul>
 *   <li>{@link djlbridge.training.TrainingSession}: the loop (open, resume, train, result,
 *       predict, close) of a {@link djlbridge.training.TrainingTask} (made by a {@link
 *       djlbridge.training.TaskFactory} on the session's device and manager, or wrapped), stopped
 *       through a {@link djlbridge.training.TrainingControl}; before every batch the task calls
 *       the session's {@link djlbridge.training.StepCheck} (the stop flag, then a step of the
 *       thread policy of {@code djlbridge.threads}); each epoch gives an {@link
 *       djlbridge.training.EpochResult} (the task's named measure and its speed);
 *   <li>the {@link djlbridge.training.SessionListener}s, the one per-run and per-epoch mechanism
 *       (start of a train call, each epoch, its end): {@link djlbridge.training.DivergenceCheck}
 *       (a non-finite measure), {@link djlbridge.training.LastGoodParameters}, {@link
 *       djlbridge.training.MemoryRecorder}, the thread policy's epoch count, then any added, then
 *       the caller's (Python's is a JPype proxy);
 *   <li>what a run hands back: an {@link djlbridge.training.EpochRecord} per epoch and the {@link
 *       djlbridge.training.RunReport} (the JSON both launchers print), with the memory of {@link
 *       djlbridge.training.ProcessMemory}; the file formats of parameters in {@link
 *       djlbridge.training.ParameterFiles} (a DJL block, or NPZ);
 *   <li>how a run ends early: {@link djlbridge.training.DivergedException}, {@link
 *       djlbridge.training.StopRequestedException}.
 * </ul>
 * <p>Names. No type here is named like a DJL type with another meaning: DJL's {@code
 * ai.djl.training.listener.TrainingListener} listens to DJL's {@code Trainer}, hence {@code
 * SessionListener}; DJL's {@code ai.djl.training.TrainingResult} is its trainer's result, hence
 * {@code RunReport}. {@code DivergedException} means what DJL's {@code
 * ai.djl.TrainingDivergedException} means, so it extends it and adds the epoch.
 * <p>What depends on what: this package uses {@link djlbridge.threads} (the thread policy) and,
 * of {@link djlbridge.mxnet}, only {@code NativeHeap}, once per process. The text ({@link
 * djlbridge}) and the launcher ({@link djlbridge.cli}) use this package; never the other way
 * round ({@code PackageGraphTest} holds it: no package circle, no text class named here).
 * <p>Why this cut: everything a newcomer changes for a new task (a {@code TrainingTask}, never a
 * copy of the loop), a per-epoch behaviour (a listener), a result field or a parameter file lives
 * here, apart from the text's classes and from the engine's speed code.
 */
package djlbridge.training;
