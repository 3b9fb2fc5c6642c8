package djlbridge.mxnet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import ai.djl.Device;
import ai.djl.mxnet.engine.MxNDManager;
import ai.djl.mxnet.jna.JnaUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * {@link OmpThreads#request} changes the threads of the operators that run after it: with two,
 * a second thread of the process does a share of a large matrix product's work; with one, only
 * the engine's worker does (CPU time per thread from {@code /proc/self/task}, so a busy machine
 * slows the test but does not change what it sees).
 */
public class OmpThreadsTest {

    /**
     * The CPU ticks of every thread of the process that carries {@code name}: the engine's worker
     * and its OpenMP threads inherit the name of the thread that started MXNet (the JVM's own
     * compiler and GC threads have theirs).
     */
    private static Map<String, Long> cpuTicksOfThreadsNamed(String name) throws IOException {
        Map<String, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String s = new String(Files.readAllBytes(task.resolve("stat")),
                            StandardCharsets.US_ASCII);
                    String comm = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                    if (!comm.equals(name)) {
                        continue;
                    }
                    String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split("\\s+");
                    ticks.put(task.getFileName().toString(),
                            Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException e) {
                    // the thread ended
                }
            }
        }
        return ticks;
    }

    /**
     * The CPU ticks of the busiest and the second-busiest native thread while products run for
     * {@code seconds}; this (the calling) thread, which only queues the calls, left out.
     */
    private static long[] busiestTwo(NDManager m, NDArray x, NDArray w, double seconds)
            throws IOException {
        Path self = Paths.get("/proc/thread-self");
        String tid = Files.readSymbolicLink(self).getFileName().toString();
        String name = new String(Files.readAllBytes(self.resolve("comm")), StandardCharsets.US_ASCII)
                .trim();
        PairList<String, Object> p = new PairList<>();
        p.add("num_hidden", 1024);
        p.add("no_bias", true);
        p.add("flatten", false);
        Map<String, Long> before = cpuTicksOfThreadsNamed(name);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            try (NDManager sub = m.newSubManager()) {
                ((MxNDManager) sub).invoke("FullyConnected", new NDList(x, w), p);
                JnaUtils.waitAll(); // no copy to Java: its garbage would keep the GC busy
            }
        }
        List<Long> deltas = new ArrayList<>();
        for (Map.Entry<String, Long> e : cpuTicksOfThreadsNamed(name).entrySet()) {
            if (!e.getKey().equals(tid)) {
                deltas.add(e.getValue() - before.getOrDefault(e.getKey(), 0L));
            }
        }
        deltas.sort((a, b) -> Long.compare(b, a));
        return new long[] {deltas.get(0), deltas.size() > 1 ? deltas.get(1) : 0};
    }

    @Test
    public void theWorkersThreadCountFollowsTheRequest() throws IOException {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2);
        assertTrue(OmpThreads.isAvailable());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.randomNormal(new Shape(256, 1024));
            NDArray w = m.randomNormal(new Shape(1024, 1024));
            try {
                OmpThreads.request(2);
                JnaUtils.waitAll();
                assertEquals(2, OmpThreads.getApplied());
                busiestTwo(m, x, w, 0.5); // first calls: oneDNN's kernels made
                long[] two = busiestTwo(m, x, w, 1.5);
                assertTrue("two threads: the second busiest did " + two[1] + " of " + two[0]
                        + " ticks", two[1] > two[0] / 3);
                OmpThreads.request(1);
                JnaUtils.waitAll();
                assertEquals(1, OmpThreads.getApplied());
                long[] one = busiestTwo(m, x, w, 1.5);
                assertTrue("one thread: the second busiest did " + one[1] + " of " + one[0]
                        + " ticks", one[1] < one[0] / 5);
            } finally {
                OmpThreads.request(Runtime.getRuntime().availableProcessors() / 2);
                JnaUtils.waitAll();
            }
        }
    }
}
