package djlbridge.threads;

import ai.djl.Device;
import djlbridge.mxnet.OmpThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * How many OpenMP threads MXNet's operators use while a session trains: as many as the CPUs other
 * processes leave free, or a count the user pinned.
 *
 * <p>Why: MXNet's OpenMP threads wait for each other at the end of every operator, spinning. When
 * the CPUs are shared (three runs on two CPUs, or any other busy process) a thread that is off its
 * CPU holds the others up, and a run goes 10-27x slower than alone; with one thread per CPU it
 * leaves free it goes about as fast as the machine allows.
 *
 * <p>The rule: from two {@link CpuLoad} samples, {@code others} = the CPUs of this process's
 * affinity mask that other processes kept busy in between; {@code threads = clamp(floor(cpus -
 * others + MARGIN), 1, ceiling)}, where {@code ceiling} is the count MXNet started with. Nothing
 * of the engine is read: no array goes to the host.
 *
 * <p>When: {@link #startTraining} decides before the first batch of every train call, from the
 * load since the session opened (at least {@link #FIRST_SAMPLE_NANOS}). That first decision
 * matters most: oneDNN's reorders and transposes (and its softmax) keep the thread count they were
 * created with, at the first batch, for the life of the process; the matrix products and
 * element-wise kernels use the count of the moment. So {@link #step} (called before every batch,
 * it reads the clock and acts about once per {@link #INTERVAL_NANOS}) goes on adapting those: a
 * lower count applies at once, a higher one when two samples in a row ask for it.
 *
 * <p>Outside training, and for every prediction ({@link #beginInference}), an adaptive policy
 * leaves MXNet at {@link #REST_THREADS} = 1 ({@link #stopTraining} puts it there). Why: one
 * character at a time, batch 1, is faster on one thread even on an idle machine (3,000 characters
 * here: 25-45% faster for the scratch GRU, about 12% for the concise one), and a run that predicts
 * with a thread per CPU beside other runs spins at every operator: three runs started together
 * spent 15 s in their 100 characters of predictions after 8 s of training. It is also the one
 * count safe for inference whatever came before: oneDNN's packed GEMM of the RNN operator's
 * inference sizes its buffers by the count it was created with and must never run with more,
 * and every inference runs with one (training's float32 kernels either follow the current count
 * without per-thread buffers or keep their creation count; see {@link OmpThreads}).
 *
 * <p>Which count is whose: {@code OMP_NUM_THREADS} is MXNet's start count. djl_bridge's Python
 * launcher sets it to one per CPU when the user did not, and says so in {@link
 * #DEFAULT_THREADS_ENV}; that count, or none at all (MXNet then starts with half the CPUs), adapts.
 * A count the user set (Python's {@code --threads N}, or {@code OMP_NUM_THREADS} of their own) is
 * pinned: the policy never changes it. Nor on a GPU, nor where {@code /proc} or DJL's binding of
 * MXNet cannot be read.
 *
 * <p>Runs started together: the load before the first batch cannot show a run that starts at
 * the same moment, so the first decision also asks the {@link RunRegistry} (this user's runs on
 * this machine and their threads): a session reserves its start count as it opens (while it
 * reads the corpus and builds the model), and at its first batch a run takes at most the CPUs
 * the others' threads leave (at least one); every later step keeps to that too, and the entry
 * goes when a train call ends or the session closes. Pinned runs are recorded, never lowered.
 *
 * <p>The session tells it when each epoch ends ({@link #epochEnded}); it records the count each
 * epoch ended with ({@link #getEpochThreads}, the report's {@code epoch_threads}). The
 * arithmetic of a count is {@link ThreadCounts}; the engine it sets is a {@link ThreadEngine}.
 */
public final class ThreadPolicy {

    /** The environment variable of MXNet's OpenMP start count. */
    public static final String OMP_THREADS_ENV = "OMP_NUM_THREADS";

    /**
     * Set by djl_bridge's Python launcher to the {@code OMP_NUM_THREADS} it chose itself (one per
     * CPU); while the two are equal the count adapts. Python's {@code djl_bridge.jvm.threads}
     * names it too (a test holds the two names equal).
     */
    public static final String DEFAULT_THREADS_ENV = "DJL_BRIDGE_DEFAULT_THREADS";

    /** How often the load is read: at the first step after this many nanoseconds. */
    public static final long INTERVAL_NANOS = 1_000_000_000L;

    /** The shortest span the first decision of a train call reads the load over (it waits). */
    public static final long FIRST_SAMPLE_NANOS = 250_000_000L;

    /** Added to the free CPUs before rounding down: 0.5 rounds to the nearest count. */
    public static final double MARGIN = 0.5;

    /** The count of an adaptive policy outside training and for every prediction. */
    public static final int REST_THREADS = 1;

    private static volatile boolean noted;

    private final int ceiling;
    private final int cpus;
    private final boolean adaptive;
    private final Supplier<CpuLoad.Sample> sampler;
    private final ThreadEngine engine;
    private final LongSupplier clock;
    private final RunRegistry registry;
    private final List<Integer> epochThreads = new ArrayList<>();
    private int threads;
    private int raiseTo;
    private boolean training;
    private int inferences;
    private int trainingThreads;
    private int predictionThreads;
    private CpuLoad.Sample last;
    private long lastNanos;

    ThreadPolicy(int ceiling, int cpus, boolean adaptive, Supplier<CpuLoad.Sample> sampler,
            ThreadEngine engine, LongSupplier clock) {
        this(ceiling, cpus, adaptive, sampler, engine, clock, null);
    }

    ThreadPolicy(int ceiling, int cpus, boolean adaptive, Supplier<CpuLoad.Sample> sampler,
            ThreadEngine engine, LongSupplier clock, RunRegistry registry) {
        if (ceiling < 1 || cpus < 1) {
            throw new IllegalArgumentException("threads " + ceiling + ", cpus " + cpus);
        }
        this.ceiling = ceiling;
        this.cpus = cpus;
        this.adaptive = adaptive;
        this.sampler = sampler;
        this.engine = engine;
        this.clock = clock;
        this.registry = registry;
        this.threads = ceiling;
        if (registry != null) { // reserved from the session's start: runs opened together see it
            registry.record(ceiling);
        }
        if (adaptive) {
            last = sampler.get(); // the load from here to the first batch decides its count
            lastNanos = clock.getAsLong();
        }
    }

    /**
     * The policy of a session on {@code device}, from this process's environment.
     *
     * @param device the device the session computes on
     * @return the policy
     */
    public static ThreadPolicy forDevice(Device device) {
        CpuLoad load = CpuLoad.ofThisProcess();
        boolean adaptable = load != null && OmpThreads.isAvailable()
                && Device.Type.CPU.equals(device.getDeviceType());
        int cpus = load != null ? load.getCpus() : Runtime.getRuntime().availableProcessors();
        RunRegistry registry =
                Device.Type.CPU.equals(device.getDeviceType()) ? RunRegistry.ofThisProcess() : null;
        return of(System.getenv(), cpus, adaptable, load == null ? () -> null : load::sample,
                ThreadEngine.MXNET, System::nanoTime, registry);
    }

    /**
     * The policy the environment {@code env} asks for (see the class comment).
     *
     * @param env the environment variables
     * @param cpus the CPUs this process may use
     * @param adaptable whether the count can follow the load here (a CPU device, {@code /proc}
     *     and the engine's binding readable)
     * @param sampler reads the CPU counters
     * @param engine sets the count
     * @param clock nanoseconds
     * @return the policy
     */
    static ThreadPolicy of(Map<String, String> env, int cpus, boolean adaptable,
            Supplier<CpuLoad.Sample> sampler, ThreadEngine engine, LongSupplier clock) {
        return of(env, cpus, adaptable, sampler, engine, clock, null);
    }

    /**
     * The policy the environment {@code env} asks for, agreeing on threads with the other runs of
     * {@code registry} (null: the load alone).
     *
     * @param env the environment variables
     * @param cpus the CPUs this process may use
     * @param adaptable whether the count can follow the load here
     * @param sampler reads the CPU counters
     * @param engine sets the count
     * @param clock nanoseconds
     * @param registry this user's runs on this machine, or null
     * @return the policy
     */
    static ThreadPolicy of(Map<String, String> env, int cpus, boolean adaptable,
            Supplier<CpuLoad.Sample> sampler, ThreadEngine engine, LongSupplier clock,
            RunRegistry registry) {
        Integer start = ThreadCounts.parseCount(env.get(OMP_THREADS_ENV));
        String ours = env.get(DEFAULT_THREADS_ENV);
        boolean pinned = start != null && (ours == null || !ours.trim().equals(start.toString()));
        int ceiling = start != null ? start : ThreadCounts.mxnetDefault(cpus);
        return new ThreadPolicy(ceiling, cpus, adaptable && !pinned, sampler, engine, clock,
                registry);
    }

    /**
     * Starts a train call: decides the count of its first batch from the load since the session
     * opened or the last call ended, waiting until {@link #FIRST_SAMPLE_NANOS} have passed.
     *
     * @throws InterruptedException if interrupted while waiting for the load to be measured
     */
    public void startTraining() throws InterruptedException {
        raiseTo = 0;
        if (!adaptive) {
            if (registry != null) {
                registry.record(ceiling); // adaptive runs leave a pinned run its CPUs
            }
            return;
        }
        long wait = FIRST_SAMPLE_NANOS - (clock.getAsLong() - lastNanos);
        if (last != null && wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        int count = ceiling;
        CpuLoad.Sample sample = sampler.get();
        if (last != null && sample != null) {
            double others = CpuLoad.otherCpus(last, sample, cpus);
            if (!Double.isNaN(others)) {
                count = ThreadCounts.target(others, cpus, ceiling);
            }
        }
        last = sample;
        lastNanos = clock.getAsLong();
        if (registry != null) { // runs that start together: the later one takes what is left
            count = registry.claim(count, cpus);
        }
        set(count);
        training = true; // not before: an interrupted wait leaves the policy at rest
    }

    /** One step (a batch, a generated character): about once a second, reads the load and acts. */
    public void step() {
        if (!adaptive || inferences > 0) {
            return;
        }
        long now = clock.getAsLong();
        if (now - lastNanos < INTERVAL_NANOS) {
            return;
        }
        CpuLoad.Sample sample = sampler.get();
        if (sample == null) {
            return;
        }
        if (last != null) {
            double others = CpuLoad.otherCpus(last, sample, cpus);
            if (!Double.isNaN(others)) {
                int target = ThreadCounts.target(others, cpus, ceiling);
                if (registry != null) {
                    target = Math.max(1, Math.min(target, cpus - registry.othersThreads()));
                }
                int before = threads;
                set(next(target));
                if (registry != null && threads != before) { // a file write only on a change
                    registry.record(threads);
                }
            }
        }
        last = sample;
        lastNanos = now;
    }

    /** The session is closed: this run holds no threads any more. */
    public void close() {
        if (registry != null) {
            registry.release();
        }
    }

    /**
     * Ends a train call: an adaptive policy puts MXNet at {@link #REST_THREADS} for predictions
     * and any other work (a pinned one never moved it).
     */
    public void stopTraining() {
        training = false;
        if (registry != null) {
            registry.release();
        }
        if (adaptive) {
            set(REST_THREADS);
            last = sampler.get();
            lastNanos = clock.getAsLong();
        }
    }

    /**
     * Starts a prediction: an adaptive policy runs it with {@link #REST_THREADS}, also from an
     * epoch callback in the middle of training (the count stays put until {@link
     * #endInference}). Calls nest.
     */
    public void beginInference() {
        if (inferences++ == 0 && adaptive) {
            trainingThreads = threads;
            set(REST_THREADS);
        }
        predictionThreads = threads;
    }

    /**
     * Returns the count the last prediction ran with.
     *
     * @return threads, 0 before any prediction of this session
     */
    public int getPredictionThreads() {
        return predictionThreads;
    }

    /** Ends a prediction: back to the training count inside a train call, else at rest. */
    public void endInference() {
        if (inferences == 0) {
            throw new IllegalStateException("endInference() without beginInference()");
        }
        if (--inferences == 0 && adaptive && training) {
            set(trainingThreads);
        }
    }

    /** Lower at once; higher only when the sample before asked for a raise too. */
    private int next(int target) {
        if (target > threads) {
            if (raiseTo > threads) {
                int to = Math.min(target, raiseTo);
                raiseTo = 0;
                return to;
            }
            raiseTo = target;
            return threads;
        }
        raiseTo = 0;
        return target;
    }

    /**
     * Puts MXNet at {@code count}, asking the engine only when its count differs: the count the
     * engine was asked for last (by any session of this process), or the start count if none.
     */
    private void set(int count) {
        int requested = engine.lastRequested();
        if (count != (requested == 0 ? ceiling : requested)) {
            engine.request(count);
        }
        threads = count;
    }

    /** An epoch ended: records the count it ended with ({@link #getEpochThreads}). */
    public void epochEnded() {
        epochThreads.add(threads);
    }

    /**
     * Returns the thread count each epoch of this session ended with.
     *
     * @return one count per epoch trained by this session
     */
    public int[] getEpochThreads() {
        return epochThreads.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Returns the count the operators run with now: outside a train call the start count until
     * the first call or prediction, then {@link #REST_THREADS} (pinned: always the start count).
     *
     * @return threads
     */
    public int getThreads() {
        return threads;
    }

    /**
     * Returns whether the count follows the load.
     *
     * @return false when pinned
     */
    public boolean isAdaptive() {
        return adaptive;
    }

    /**
     * Returns the start count, the most the policy uses.
     *
     * @return threads
     */
    public int getCeiling() {
        return ceiling;
    }

    /**
     * Returns, once per process, a note for a pinned count above the CPUs this process may use:
     * its threads then share CPUs and wait for each other at every operator.
     *
     * @return the note, or null (not pinned above the CPUs, or already noted)
     */
    public String noteOnce() {
        if (adaptive || ceiling <= cpus || noted) {
            return null;
        }
        noted = true;
        return ceiling + " OpenMP threads (--threads or " + OMP_THREADS_ENV + ") are more than the "
                + cpus + " CPUs this process may use: they share CPUs and wait for each other at "
                + "every operator, many times slower; pass --threads " + cpus + " or fewer, or "
                + "neither --threads nor " + OMP_THREADS_ENV + " to let the threads follow the load";
    }

    @Override
    public String toString() {
        return adaptive ? "adaptive, 1-" + ceiling + " threads" : "pinned at " + ceiling + " threads";
    }
}
