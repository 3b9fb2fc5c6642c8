package djlbridge.threads;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.BitSet;
import org.junit.Test;

/** Reading {@code /proc}: the CPU list, the per-CPU ticks, this process's time, and the others' CPUs. */
public class CpuLoadTest {

    private static final String STAT =
            "cpu  300 0 30 600 10 0 0 0 0 0\n"
                    + "cpu0 100 0 10 200 5 0 0 0 0 0\n"
                    + "cpu1 100 0 10 200 5 0 0 0 0 0\n"
                    + "cpu2 100 0 10 200 0 0 0 0 0 0\n"
                    + "intr 5 0 0\n";

    private static BitSet cpus(int... n) {
        BitSet b = new BitSet();
        for (int i : n) {
            b.set(i);
        }
        return b;
    }

    @Test
    public void parsesCpuLists() {
        assertEquals(cpus(0, 1, 2, 3, 8, 10, 11), CpuLoad.parseCpuList("0-3,8,10-11\n"));
        assertEquals(cpus(5), CpuLoad.parseCpuList("5"));
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesABackwardRange() {
        CpuLoad.parseCpuList("3-1");
    }

    @Test
    public void sumsOnlyTheAllowedCpusAndCountsIowaitAsIdle() {
        // cpu0 and cpu2: 315 + 310 ticks, idle 205 + 200
        assertArrayEquals(new long[] {625, 405}, CpuLoad.parseStat(STAT, cpus(0, 2)));
    }

    @Test(expected = IllegalArgumentException.class)
    public void noLineOfTheAllowedCpusIsAnError() {
        CpuLoad.parseStat(STAT, cpus(7));
    }

    @Test
    public void readsUserPlusSystemTimeEvenWithParenthesesInTheName() {
        String stat = "4242 (java (main) x) S 1 2 3 0 -1 4194304 10 0 0 0 70 30 0 0 20 0 24 0 1 2 3";
        assertEquals(100, CpuLoad.parseSelfTicks(stat));
    }

    @Test
    public void othersAreTheBusyCpusLessThisProcess() {
        // 2 CPUs over 100 ticks each: 200 ticks, 50 idle -> 1.5 CPUs busy, 0.5 of them ours
        CpuLoad.Sample a = new CpuLoad.Sample(1000, 400, 70);
        CpuLoad.Sample b = new CpuLoad.Sample(1200, 450, 120);
        assertEquals(1.0, CpuLoad.otherCpus(a, b, 2), 1e-9);
        // never below 0 (our time counted on a tick boundary) nor above the CPUs
        assertEquals(0.0, CpuLoad.otherCpus(a, new CpuLoad.Sample(1200, 500, 190), 2), 1e-9);
        assertTrue(Double.isNaN(CpuLoad.otherCpus(a, a, 2)));
    }

    @Test
    public void readsThisProcessOnLinux() {
        if (!System.getProperty("os.name").startsWith("Linux")) {
            return;
        }
        CpuLoad load = CpuLoad.ofThisProcess();
        assertNotNull(load);
        assertEquals(Runtime.getRuntime().availableProcessors(), load.getCpus());
        assertNotNull(load.sample());
    }
}
