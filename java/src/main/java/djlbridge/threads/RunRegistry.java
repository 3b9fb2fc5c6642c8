package djlbridge.threads;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.LongFunction;

/**
 * The OpenMP threads that this user's other djl-bridge runs on this machine hold, so that runs
 * started together agree on threads instead of each taking every CPU.
 *
 * <p>Why: the load a run reads before its first batch cannot see a run that starts at the same
 * moment (both wait for their first sample, idle), so two runs started together both took every
 * CPU, and oneDNN's kernels keep the count they are created with: measured on 2 CPUs, two default
 * runs together took 2.4x the time of the same two one after another. With the registry the
 * second run sees the first one's threads and takes the CPUs that are left (at least one).
 *
 * <p>How: a directory of the user's own ({@code java.io.tmpdir/djl-bridge-runs-USER}, mode 700,
 * never a link, owned by the user, else no registry) holds one file per training process, named
 * by its pid, with its thread count and its start time (so that a reused pid is not taken for a
 * live run); a lock file serializes "read the others, then write mine". An entry whose process is
 * gone (also after {@code kill -9}) is ignored and removed.
 */
public final class RunRegistry {

    private static final String LOCK = ".lock";
    private static final int MAX_ENTRY_BYTES = 64;
    /** The most threads an entry may claim; more is not a run's entry. */
    static final int MAX_THREADS = 1 << 16;
    private static final long LOCK_WAIT_NANOS = 2_000_000_000L;
    private static final java.util.Set<String> NOTED = new java.util.HashSet<>();

    private final Path dir;
    private final long pid;
    private final String startTime;
    private final LongFunction<String> startTimeOf;

    RunRegistry(Path dir, long pid, LongFunction<String> startTimeOf) {
        this.dir = dir;
        this.pid = pid;
        this.startTimeOf = startTimeOf;
        this.startTime = startTimeOf.apply(pid);
    }

    /**
     * The registry of this process, or null where it cannot be kept (no {@code /proc}, no
     * writable temporary directory of the user's own): the policy then reads the load alone.
     *
     * @return the registry, or null
     */
    public static RunRegistry ofThisProcess() {
        String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return inDirectory(
                Paths.get(System.getProperty("java.io.tmpdir"), "djl-bridge-runs-" + user));
    }

    /**
     * The registry in {@code dir}, made mode 700 where it does not exist; null (with a note on
     * stderr) where it is not a directory of this user's own with mode 700: a folder others may
     * write is not one whose entries and lock this run can trust.
     */
    static RunRegistry inDirectory(Path dir) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(
                            dir,
                            PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another run made it meanwhile: checked below like any other
                }
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS)
                            .getName()
                            .equals(System.getProperty("user.name"))
                    || !PosixFilePermissions.toString(
                                    Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS))
                            .equals("rwx------")) {
                note("the run registry " + dir + " is not a directory of your own with mode 700:"
                        + " runs started together will not share the CPUs (remove it, or chmod"
                        + " 700 it, and start again)");
                return null;
            }
            RunRegistry registry =
                    new RunRegistry(dir, ProcessHandle.current().pid(), RunRegistry::procStartTime);
            return registry.startTime == null ? null : registry;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** One line on stderr, once per process and text: the registry is advice, never a stop. */
    private static void note(String text) {
        synchronized (NOTED) {
            if (NOTED.add(text)) {
                System.err.println("djl-bridge: note: " + text);
            }
        }
    }

    /**
     * Decides this run's count and records it, as one step no other run interleaves with: the
     * {@code wanted} count, lowered to the CPUs the other live runs leave (at least one).
     *
     * @param wanted the count the load allows
     * @param cpus the CPUs this process may use
     * @return the count recorded
     */
    public int claim(int wanted, int cpus) {
        Path lockPath = dir.resolve(LOCK);
        if (Files.exists(lockPath, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(lockPath, LinkOption.NOFOLLOW_LINKS)) {
            // a FIFO would block the open for good, a device or a link is not ours: never waited on
            note(lockPath + " is not a regular file: the run registry is read without its lock"
                    + " (remove it)");
            return countAndRecord(wanted, cpus);
        }
        try (FileChannel lock =
                FileChannel.open(
                        lockPath,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
            long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
            FileLock held;
            while ((held = lock.tryLock()) == null) {
                if (System.nanoTime() > deadline || Thread.currentThread().isInterrupted()) {
                    // a run that holds the lock this long is stuck (stopped, traced): go on
                    return countAndRecord(wanted, cpus);
                }
                Thread.sleep(10);
            }
            try {
                return countAndRecord(wanted, cpus);
            } finally {
                held.release();
            }
        } catch (IOException e) {
            return wanted;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return wanted;
        }
    }

    private int countAndRecord(int wanted, int cpus) {
        int count = (int) Math.max(1, Math.min(wanted, (long) cpus - othersThreads()));
        record(count);
        return count;
    }

    /**
     * Records this run's count as it changes (no lock: one atomic rename).
     *
     * @param threads the count
     */
    public void record(int threads) {
        Path tmp = dir.resolve("." + pid + ".tmp");
        try {
            Files.write(
                    tmp,
                    (threads + " " + startTime + "\n").getBytes(StandardCharsets.US_ASCII),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            Files.move(tmp, dir.resolve(Long.toString(pid)), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the registry is advice: a run that cannot record goes on with the load alone
        }
    }

    /**
     * Returns the threads that the other live runs of the registry hold; entries of processes
     * that are gone are removed.
     *
     * @return the sum of their counts
     */
    public int othersThreads() {
        long sum = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "[0-9]*")) {
            for (Path entry : entries) {
                long other;
                try {
                    other = Long.parseLong(entry.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (other == pid) {
                    continue;
                }
                int threads = liveThreads(entry, other);
                if (threads > 0) {
                    sum += threads;
                } else if (threads < 0) {
                    try {
                        Files.deleteIfExists(entry);
                    } catch (IOException e) {
                        // another run removed it, or it is not ours to remove: skip it
                    }
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return (int) Math.min(sum, Integer.MAX_VALUE);
    }

    /** Removes this run's entry: it trains no more. */
    public void release() {
        try {
            Files.deleteIfExists(dir.resolve(Long.toString(pid)));
        } catch (IOException e) {
            // nothing to clean up that a later reader would not skip
        }
    }

    /**
     * The count of the entry of process {@code other}: its threads while it lives, 0 for an
     * entry that cannot be read now, -1 for one whose process is gone (or a reused pid).
     */
    private int liveThreads(Path entry, long other) {
        String text;
        try {
            if (!Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                    || Files.size(entry) > MAX_ENTRY_BYTES) {
                return -1;
            }
            text = new String(Files.readAllBytes(entry), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return 0;
        }
        String[] parts = text.split(" ");
        String alive = startTimeOf.apply(other);
        if (parts.length != 2 || alive == null || !alive.equals(parts[1])) {
            return -1;
        }
        try {
            int threads = Integer.parseInt(parts[0]);
            // no run holds fewer than one thread or more than any OpenMP runtime starts
            return threads >= 1 && threads <= MAX_THREADS ? threads : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The start time of process {@code pid} ({@code /proc/PID/stat} field 22, clock ticks since
     * boot), or null when it is gone.
     */
    static String procStartTime(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Paths.get("/proc", Long.toString(pid), "stat"));
            String stat = new String(raw, StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return f[19]; // field 22 counted from 1; f[0] is field 3
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** @return the directory of the registry */
    Path getDirectory() {
        return dir;
    }

}
