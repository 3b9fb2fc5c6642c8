package djlbridge.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The resident set size of the calling process, as Linux reports it in {@code /proc/self/status}
 * ({@code VmRSS} now, {@code VmHWM} its peak). The process is the one hosting the JVM: the {@code
 * java} launcher of {@link Main}, or the Python interpreter when JPype started the JVM, so both
 * launchers are measured by the same code. Values are in MiB; NaN where {@code /proc} is missing
 * (not Linux).
 */
public final class ProcessMemory {

    private static final Path STATUS = Paths.get("/proc/self/status");

    private ProcessMemory() {}

    /**
     * Returns the resident set size now.
     *
     * @return MiB, or NaN when unknown
     */
    public static double residentMb() {
        return parseMb(readStatus(), "VmRSS");
    }

    /**
     * Returns the peak resident set size of the process so far (the high-water mark).
     *
     * @return MiB, or NaN when unknown
     */
    public static double peakResidentMb() {
        return parseMb(readStatus(), "VmHWM");
    }

    /**
     * Reads one field of a {@code /proc/PID/status} text, a line like {@code "VmRSS:  123456 kB"}.
     *
     * @param status the text of the file
     * @param field the field name, e.g. "VmRSS" or "VmHWM"
     * @return the value in MiB, or NaN when the text is null or lacks the field
     * @throws IllegalArgumentException when the field is there but not a count of kB
     */
    public static double parseMb(String status, String field) {
        if (status == null) {
            return Double.NaN;
        }
        String prefix = field + ':';
        for (String line : status.split("\n")) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            String[] parts = line.substring(prefix.length()).trim().split("\\s+");
            if (parts.length != 2 || !"kB".equals(parts[1]) || !parts[0].matches("[0-9]+")) {
                throw new IllegalArgumentException("unexpected " + field + " line: '" + line + "'");
            }
            return Long.parseLong(parts[0]) / 1024.0;
        }
        return Double.NaN;
    }

    private static String readStatus() {
        try {
            return new String(Files.readAllBytes(STATUS), StandardCharsets.US_ASCII);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }
}
