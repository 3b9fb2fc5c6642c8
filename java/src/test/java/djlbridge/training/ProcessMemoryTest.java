package djlbridge.training;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** Reading the resident set size from a {@code /proc/self/status} text. */
public class ProcessMemoryTest {

    private static final String STATUS =
            "Name:\tjava\nVmPeak:\t 5000000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t12\n";

    @Test
    public void parsesKibibytesAsMebibytes() {
        assertEquals(100.0, ProcessMemory.parseMb(STATUS, "VmRSS"), 0);
        assertEquals(200.0, ProcessMemory.parseMb(STATUS, "VmHWM"), 0);
        assertEquals(0.5, ProcessMemory.parseMb("VmRSS: 512 kB", "VmRSS"), 0);
    }

    @Test
    public void missingFieldOrFileIsNaN() {
        assertTrue(Double.isNaN(ProcessMemory.parseMb("Name:\tjava\n", "VmRSS")));
        assertTrue(Double.isNaN(ProcessMemory.parseMb(null, "VmRSS")));
    }

    @Test(expected = IllegalArgumentException.class)
    public void garbledLineIsAnError() {
        ProcessMemory.parseMb("VmRSS:\t12 MB\n", "VmRSS");
    }

    @Test
    public void readsThisProcessOnLinux() {
        if (!System.getProperty("os.name").startsWith("Linux")) {
            return;
        }
        double now = ProcessMemory.residentMb();
        double peak = ProcessMemory.peakResidentMb();
        assertTrue("rss " + now, now > 1);
        assertTrue("peak " + peak + " < rss " + now, peak >= now);
    }
}
