package djlbridge.threads;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.Test;

/**
 * {@link RunRegistry} with scripted processes: a map from pid to start time says which are
 * alive; and {@link ThreadPolicy} of two runs started together on an idle machine.
 */
public class RunRegistryTest {

    private final Map<Long, String> alive = new HashMap<>();

    private RunRegistry run(Path dir, long pid) {
        alive.put(pid, "100" + pid);
        return new RunRegistry(dir, pid, alive::get);
    }

    @Test
    public void aRunTakesTheCpusTheOthersLeave() throws Exception {
        Path dir = Files.createTempDirectory("runs");
        RunRegistry first = run(dir, 11);
        RunRegistry second = run(dir, 12);
        RunRegistry third = run(dir, 13);
        assertEquals(2, first.claim(2, 2));
        assertEquals(1, second.claim(2, 2)); // nothing is left: still one thread
        assertEquals(1, third.claim(2, 2));
        assertEquals(3, second.othersThreads()); // first's 2 and third's 1
        first.record(1); // the first lowered its count
        assertEquals(2, second.othersThreads()); // first's 1 and third's 1
        second.release();
        third.release();
        assertEquals(0, first.othersThreads());
        assertEquals(3, run(dir, 14).claim(4, 4)); // 4 CPUs, first holds 1
    }

    @Test
    public void entriesOfGoneProcessesAndReusedPidsAreIgnoredAndRemoved() throws Exception {
        Path dir = Files.createTempDirectory("runs");
        RunRegistry mine = run(dir, 21);
        run(dir, 22).claim(2, 2);
        run(dir, 23).claim(2, 2);
        alive.remove(22L); // killed with -9: its entry stayed
        alive.put(23L, "999"); // the pid now names another process
        Files.write(dir.resolve("24"), "x".getBytes(StandardCharsets.US_ASCII)); // garbage
        Files.write(dir.resolve("notes.txt"), "1 1".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0, mine.othersThreads());
        assertFalse(Files.exists(dir.resolve("22")));
        assertFalse(Files.exists(dir.resolve("23")));
        assertTrue("not a run's entry: left alone", Files.exists(dir.resolve("notes.txt")));
        assertEquals(2, mine.claim(2, 2));
    }

    @Test
    public void thisProcessHasARegistryOfItsOwn() {
        RunRegistry registry = RunRegistry.ofThisProcess();
        assertNotNull("Linux with /proc and a temporary directory", registry);
        assertTrue(Files.isDirectory(registry.getDirectory()));
        assertNotNull(RunRegistry.procStartTime(ProcessHandle.current().pid()));
        assertEquals(null, RunRegistry.procStartTime(Long.MAX_VALUE));
    }

    @Test
    public void twoRunsStartedTogetherOnAnIdleMachineShareItsCpus() throws Exception {
        Path dir = Files.createTempDirectory("runs");
        long[] now = {0};
        CpuLoad.Sample[] idle = {new CpuLoad.Sample(0, 0, 0)};
        ThreadEngine engine =
                new ThreadEngine() {
                    private int last;

                    @Override
                    public void request(int threads) {
                        last = threads;
                    }

                    @Override
                    public int lastRequested() {
                        return last;
                    }
                };
        ThreadPolicy a = new ThreadPolicy(2, 2, true, () -> idle[0], engine, () -> now[0],
                run(dir, 31));
        ThreadPolicy b = new ThreadPolicy(2, 2, true, () -> idle[0], engine, () -> now[0],
                run(dir, 32));
        now[0] += ThreadPolicy.FIRST_SAMPLE_NANOS;
        idle[0] = new CpuLoad.Sample(200, 200, 0); // both waited for their sample: all idle
        a.startTraining(); // b reserved 2 as it opened: a takes what is left, one
        b.startTraining(); // a holds 1 now: one left for b
        assertEquals("the load alone would give it 2", 1, a.getThreads());
        assertEquals(1, b.getThreads());
        b.stopTraining(); // b is done: a raises once two readings agree
        for (int i = 1; i <= 2; i++) {
            now[0] += ThreadPolicy.INTERVAL_NANOS;
            idle[0] = new CpuLoad.Sample(200 + 200 * i, 200 + 200 * i, 0);
            a.step();
        }
        assertEquals(2, a.getThreads());
        a.stopTraining();
        a.close();
        ThreadPolicy alone = new ThreadPolicy(2, 2, true, () -> idle[0], engine, () -> now[0],
                run(dir, 33));
        now[0] += ThreadPolicy.FIRST_SAMPLE_NANOS;
        idle[0] = new CpuLoad.Sample(800, 800, 0);
        alone.startTraining();
        assertEquals("a run alone takes every CPU", 2, alone.getThreads());
    }

    @Test
    public void entriesOutOfRangeAreIgnoredAndTheSumNeverOverflows() throws Exception {
        Path dir = Files.createTempDirectory("runs");
        RunRegistry mine = run(dir, 41);
        run(dir, 42).record(Integer.MAX_VALUE);
        run(dir, 43).record(Integer.MAX_VALUE); // two of these summed to -2 in an int
        run(dir, 44).record(0);
        assertEquals(0, mine.othersThreads());
        assertFalse("not a run's entry: removed", Files.exists(dir.resolve("42")));
        run(dir, 45).record(RunRegistry.MAX_THREADS);
        run(dir, 46).record(RunRegistry.MAX_THREADS);
        assertEquals(2 * RunRegistry.MAX_THREADS, mine.othersThreads());
        assertEquals("the others hold every CPU: one thread", 1, mine.claim(4, 4));
    }

    @Test(timeout = 10_000)
    public void aLockThatIsNotARegularFileIsNeverWaitedOn() throws Exception {
        Path dir = Files.createTempDirectory("runs");
        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve(".lock").toString()).start();
        assertEquals(0, mkfifo.waitFor());
        run(dir, 52).record(1);
        assertEquals("claimed without the lock, the other's thread counted", 1,
                run(dir, 51).claim(2, 2));
        assertEquals("51 recorded beside 52", 2, run(dir, 53).othersThreads());
    }

    @Test
    public void aRegistryFolderOthersMayWriteIsNotUsed() throws Exception {
        Path parent = Files.createTempDirectory("tmp");
        Path open = parent.resolve("runs-777");
        Files.createDirectory(open);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertNull(RunRegistry.inDirectory(open));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwx------"));
        assertNotNull("mode 700 of our own", RunRegistry.inDirectory(open));
        Path made = parent.resolve("runs-new");
        assertNotNull(RunRegistry.inDirectory(made));
        assertEquals("rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
    }
}
