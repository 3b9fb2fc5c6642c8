package djlbridge.threads;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.BitSet;

/**
 * How busy the CPUs this process may run on are, and how much of that is this process, as Linux
 * counts it: the per-CPU lines of {@code /proc/stat} (only the CPUs of the process's affinity mask,
 * {@code Cpus_allowed_list} of {@code /proc/self/status}) and the user and system time of {@code
 * /proc/self/stat}, all in clock ticks. Two {@link Sample}s taken a second apart give the CPUs
 * other processes kept busy in between ({@link #otherCpus}); nothing of the engine is read.
 * Where {@code /proc} is missing (not Linux) {@link #sample} returns null.
 */
public final class CpuLoad {

    private static final Path STAT = Paths.get("/proc/stat");
    private static final Path SELF_STAT = Paths.get("/proc/self/stat");
    private static final Path SELF_STATUS = Paths.get("/proc/self/status");

    private final BitSet cpus;

    private CpuLoad(BitSet cpus) {
        this.cpus = cpus;
    }

    /**
     * The CPUs of this process's affinity mask, read once.
     *
     * @return the load of those CPUs, or null where {@code /proc} cannot be read
     */
    public static CpuLoad ofThisProcess() {
        try {
            String status = read(SELF_STATUS);
            BitSet allowed = parseCpuList(field(status, "Cpus_allowed_list"));
            CpuLoad load = new CpuLoad(allowed);
            return allowed.isEmpty() || load.sample() == null ? null : load;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Returns the number of CPUs this process may run on.
     *
     * @return at least 1
     */
    public int getCpus() {
        return Math.max(1, cpus.cardinality());
    }

    /**
     * Reads the counters now.
     *
     * @return the counters, or null when they cannot be read
     */
    public Sample sample() {
        try {
            long[] machine = parseStat(read(STAT), cpus);
            return new Sample(machine[0], machine[1], parseSelfTicks(read(SELF_STAT)));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Returns how many CPUs other processes kept busy between two samples: the busy share of the
     * CPUs' ticks, times the CPUs, less this process's own CPU time over the same span.
     *
     * @param before the earlier sample
     * @param after the later sample
     * @param cpus the CPUs the samples count
     * @return CPUs, between 0 and {@code cpus}; NaN when no tick passed
     */
    public static double otherCpus(Sample before, Sample after, int cpus) {
        long total = after.totalTicks - before.totalTicks;
        if (total <= 0) {
            return Double.NaN;
        }
        double perCpu = (double) total / cpus; // the span in ticks of one CPU
        double busy = (total - (after.idleTicks - before.idleTicks)) / perCpu;
        double own = (after.selfTicks - before.selfTicks) / perCpu;
        return Math.max(0, Math.min(cpus, busy - own));
    }

    /**
     * Sums the per-CPU lines of a {@code /proc/stat} text over the CPUs in {@code cpus}: user,
     * nice, system, idle, iowait, irq, softirq and steal ticks (guest time is already in user),
     * idle and iowait counted as idle.
     *
     * @param stat the text of {@code /proc/stat}
     * @param cpus the CPU numbers to count
     * @return {total ticks, idle ticks}
     * @throws IllegalArgumentException when no line of those CPUs is found
     */
    static long[] parseStat(String stat, BitSet cpus) {
        long total = 0;
        long idle = 0;
        int seen = 0;
        for (String line : stat.split("\n")) {
            if (!line.startsWith("cpu") || line.startsWith("cpu ")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            int cpu = Integer.parseInt(f[0].substring(3));
            if (!cpus.get(cpu)) {
                continue;
            }
            for (int i = 1; i <= 8 && i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            idle += Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            seen++;
        }
        if (seen == 0) {
            throw new IllegalArgumentException("no per-CPU line for CPUs " + cpus);
        }
        return new long[] {total, idle};
    }

    /**
     * Reads this process's user plus system time from a {@code /proc/self/stat} text (fields 14
     * and 15; the command name before them may hold spaces and parentheses).
     *
     * @param stat the text
     * @return clock ticks
     */
    static long parseSelfTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14, 15 counted from 1
    }

    /**
     * Parses a Linux CPU list such as {@code 0-3,8,10-11}.
     *
     * @param list the list
     * @return the CPU numbers
     * @throws IllegalArgumentException for a malformed list
     */
    static BitSet parseCpuList(String list) {
        BitSet set = new BitSet();
        for (String part : list.trim().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            String[] range = part.split("-");
            int from = Integer.parseInt(range[0].trim());
            int to = range.length > 1 ? Integer.parseInt(range[1].trim()) : from;
            if (range.length > 2 || to < from) {
                throw new IllegalArgumentException("not a CPU list: " + list);
            }
            set.set(from, to + 1);
        }
        return set;
    }

    private static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1);
            }
        }
        throw new IllegalArgumentException("no " + name + " in /proc/self/status");
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
    }

    /** The counters at one moment, in clock ticks. */
    public static final class Sample {

        private final long totalTicks;
        private final long idleTicks;
        private final long selfTicks;

        /**
         * Creates a sample.
         *
         * @param totalTicks every tick of the counted CPUs since boot
         * @param idleTicks their idle and iowait ticks
         * @param selfTicks this process's user and system time
         */
        public Sample(long totalTicks, long idleTicks, long selfTicks) {
            this.totalTicks = totalTicks;
            this.idleTicks = idleTicks;
            this.selfTicks = selfTicks;
        }
    }
}
