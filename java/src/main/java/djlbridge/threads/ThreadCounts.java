package djlbridge.threads;

/**
 * The arithmetic of {@link ThreadPolicy}, apart from its state: the count for a load, a count as
 * {@code OMP_NUM_THREADS} holds it, and MXNet's own start count.
 */
public final class ThreadCounts {

    private ThreadCounts() {}

    /**
     * Returns the threads for a machine where other processes keep {@code others} of the {@code
     * cpus} CPUs busy: {@code clamp(floor(cpus - others + ThreadPolicy.MARGIN), 1, ceiling)}.
     *
     * @param others CPUs busy with other work
     * @param cpus the CPUs this process may use
     * @param ceiling the most threads
     * @return the count, 1 to {@code ceiling}
     */
    public static int target(double others, int cpus, int ceiling) {
        int free = (int) Math.floor(cpus - others + ThreadPolicy.MARGIN);
        return Math.max(1, Math.min(ceiling, free));
    }

    /**
     * Reads a thread count as {@code OMP_NUM_THREADS} holds it.
     *
     * @param value the variable's value, or null when unset
     * @return the count, or null when unset, not a number or not positive
     */
    public static Integer parseCount(String value) {
        if (value == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(value.trim());
            return n > 0 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** MXNet 1.9 without {@code OMP_NUM_THREADS}: half the CPUs on x86 (it assumes hyper-threads). */
    static int mxnetDefault(int cpus) {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.contains("86") || arch.contains("amd64");
        return Math.max(1, x86 ? cpus / 2 : cpus);
    }
}
