package djlbridge.mxnet;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/**
 * Keeps glibc's malloc from handing the engine's large buffers back to the kernel after every
 * batch. MXNet allocates each operator's output, and oneDNN its recurrent workspaces and
 * scratchpads, afresh on every call: buffers of hundreds of KiB to several MiB. glibc serves
 * those from {@code mmap} or trims them off the top of the heap when they are freed (its
 * thresholds move with the sizes it has seen), so the next batch faults the same pages in
 * again, zero-filled by the kernel: measured 0.1 to 1 million page faults in a 30-epoch concise
 * GRU or LSTM run, changing from run to run with the thresholds' history, and up to a third
 * slower. Fixing the mmap threshold at 32 MiB and the trim threshold at 256 MiB lets freed
 * buffers be reused in place. Set {@code -Ddjlbridge.mallopt=false} to leave malloc alone.
 */
public final class NativeHeap {

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;

    private static boolean done;

    private NativeHeap() {}

    /** Sets the thresholds once per process, where the C library has {@code mallopt} (glibc). */
    public static synchronized void configure() {
        if (done) {
            return;
        }
        done = true;
        if (!Boolean.parseBoolean(System.getProperty("djlbridge.mallopt", "true"))
                || !System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return;
        }
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, 32 << 20});
            mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, 256 << 20});
        } catch (UnsatisfiedLinkError e) {
            // not glibc (e.g. musl): nothing to tune
        }
    }
}
