/**
 * How many OpenMP threads MXNet's operators use while a session trains: as many as the CPUs other
 * processes leave free, or a count the user pinned.
 * <ul>
 *   <li>{@link djlbridge.threads.ThreadPolicy}: the policy's state (the session calls {@code
 *       startTraining}, {@code step} before every batch, {@code epochEnded}, {@code
 *       stopTraining}, {@code beginInference}/{@code endInference}), with the arithmetic of a
 *       count in {@link djlbridge.threads.ThreadCounts};
 *   <li>{@link djlbridge.threads.CpuLoad}: the CPU time other processes took, from {@code /proc};
 *   <li>{@link djlbridge.threads.RunRegistry}: this user's runs on this machine and their threads,
 *       so that runs started together agree.
 * </ul>
 * <p>What depends on what: the engine is set through {@code djlbridge.mxnet.OmpThreads} (a
 * package-private {@code ThreadEngine}, which a test replaces); nothing here knows the session,
 * the tasks or the text. {@link djlbridge.training} uses this package.
 */
package djlbridge.threads;
