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
        try {
            String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
            Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "djl-bridge-runs-" + user);
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
                            .equals(System.getProperty("user.name"))) {
                return null;
            }
            RunRegistry registry =
                    new RunRegistry(dir, ProcessHandle.current().pid(), RunRegistry::procStartTime);
            return registry.startTime == null ? null : registry;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
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
        try (FileChannel lock =
                        FileChannel.open(
                                dir.resolve(LOCK),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE,
                                LinkOption.NOFOLLOW_LINKS);
                FileLock held = lock.lock()) {
            int count = Math.max(1, Math.min(wanted, cpus - othersThreads()));
            record(count);
            return count;
        } catch (IOException e) {
            return wanted;
        }
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
        int sum = 0;
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
        return sum;
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
            return Math.max(0, Integer.parseInt(parts[0]));
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
