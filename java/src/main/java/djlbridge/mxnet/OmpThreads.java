package djlbridge.mxnet;

import ai.djl.mxnet.jna.MxnetLibrary;
import com.sun.jna.Memory;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Changes the OpenMP thread count of MXNet's CPU operators while the process runs.
 *
 * <p>MXNet 1.9 started with {@code OMP_NUM_THREADS} set gives each operator, its oneDNN kernels
 * and OpenBLAS {@code omp_get_max_threads()} threads of the thread that runs the operator: the
 * engine's one CPU worker ({@code MXNET_CPU_WORKER_NTHREADS}, default 1; see MXNet's {@code
 * src/engine/openmp.cc}). {@code MXSetNumOMPThreads(n)} is {@code omp_set_num_threads(n)} on the
 * calling thread, so called from Java it would change Java's thread, not the worker. Instead
 * {@link #request} pushes a small synchronous operation to the engine on the CPU context whose
 * function calls {@code MXSetNumOMPThreads(n)}: it runs on the worker, and the operators that run
 * after it use {@code n} threads.
 *
 * <p>What a new count reaches (oneDNN 2.4.4, MXNet 1.9.1's, checked in its sources and by
 * measuring per-thread CPU time): the matrix products (GEMM), element-wise kernels, sums and
 * MXNet's own loops take the count of the moment; reorders, transposes and softmax keep the
 * count they were created with, at their first call, for the life of the process (MXNet caches
 * them). Float32 kernels of either kind are safe at any count; the kernels that size per-thread
 * buffers at creation and run with the count of the moment are the bf16/int8 ones and the packed
 * GEMM of the RNN operator's inference, which must never run with more threads than it was
 * created with. {@code djlbridge.threads.ThreadPolicy} therefore follows the load only while a
 * session trains (float32) and runs every prediction with one thread, a count no inference can
 * have been created below.
 *
 * <p>DJL keeps its JNA binding of MXNet in a private field; where it cannot be read, {@link
 * #isAvailable()} is false and nothing is changed.
 */
public final class OmpThreads {

    /** MXNet's {@code Context} of the CPU: {@code {int dev_type = 1 (kCPU), int dev_id = 0}}. */
    private static final Memory CPU_CONTEXT = cpuContext();

    private static final MxnetLibrary LIB = library();

    /** One engine callback per count, kept reachable: JNA frees a callback's native stub with it. */
    private static final Map<Integer, MxnetLibrary.EngineSyncFunc> CALLBACKS =
            new ConcurrentHashMap<>();

    private static volatile int requested;
    private static volatile int applied;

    private OmpThreads() {}

    /**
     * Returns whether the thread count can be changed in this process.
     *
     * @return false when DJL's binding of MXNet cannot be reached
     */
    public static boolean isAvailable() {
        return LIB != null;
    }

    /**
     * Queues the change of the CPU operators' thread count to {@code threads}; it takes effect on
     * the engine's worker before the next operator that is ready to run. Returns at once.
     *
     * @param threads the OpenMP threads of the operators that run after it, at least 1
     * @throws IllegalStateException when {@link #isAvailable()} is false or MXNet refuses
     */
    public static void request(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("OpenMP threads must be >= 1: " + threads);
        }
        if (LIB == null) {
            throw new IllegalStateException("DJL's binding of MXNet cannot be reached");
        }
        MxnetLibrary.EngineSyncFunc set =
                CALLBACKS.computeIfAbsent(threads, n -> (runContext, param) -> {
                    LIB.MXSetNumOMPThreads(n);
                    applied = n;
                });
        int rc = LIB.MXEnginePushSync(set, null, null, CPU_CONTEXT, null, 0, null, 0, null, 0,
                "djlbridge_omp_threads");
        if (rc != 0) {
            throw new IllegalStateException("MXNet refused the thread count " + threads + ": "
                    + LIB.MXGetLastError());
        }
        requested = threads;
    }

    /**
     * Returns the count {@link #request} queued last (0 before any).
     *
     * @return the count
     */
    public static int getRequested() {
        return requested;
    }

    /**
     * Returns the count the engine's worker set last (0 before any {@link #request} ran there).
     *
     * @return the OpenMP threads of the CPU operators, or 0 when never changed
     */
    public static int getApplied() {
        return applied;
    }

    private static Memory cpuContext() {
        Memory m = new Memory(8);
        m.setInt(0, 1);
        m.setInt(4, 0);
        return m;
    }

    private static MxnetLibrary library() {
        try {
            Field f = Class.forName("ai.djl.mxnet.jna.JnaUtils").getDeclaredField("LIB");
            f.setAccessible(true);
            return (MxnetLibrary) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
