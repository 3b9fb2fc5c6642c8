package djlbridge;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * What depends on what among the packages of {@code java/src/main/java}, read from the sources:
 * every {@code import djlbridge...} line and every fully qualified {@code djlbridge.x.Y} in code
 * (comments and strings left out). No two packages may use each other, directly or through
 * others; the machinery ({@code djlbridge.training}, {@code djlbridge.threads}) names no class of
 * the text ({@code djlbridge}); the engine code ({@code djlbridge.mxnet}) never names the
 * machinery.
 */
public final class PackageGraphTest {

    private static final Path MAIN = Paths.get("java", "src", "main", "java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern USE =
            Pattern.compile("\\b(djlbridge(?:\\.[a-z_]\\w*)*)\\.[A-Z]\\w*");
    private static final Pattern COMMENT_OR_STRING = Pattern.compile(
            "/\\*.*?\\*/|//[^\\n]*|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*'", Pattern.DOTALL);

    /** Reads the package graph of {@link #MAIN}: package to the other djlbridge packages it uses. */
    static Map<String, Set<String>> readGraph(Path root) throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
        }
        for (Path file : files) {
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            String code = COMMENT_OR_STRING.matcher(text).replaceAll(" ");
            Matcher pm = PACKAGE.matcher(code);
            if (!pm.find()) {
                continue;
            }
            String pkg = pm.group(1);
            Set<String> uses = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
            Matcher m = USE.matcher(code.substring(pm.end()));
            while (m.find()) {
                if (!m.group(1).equals(pkg)) {
                    uses.add(m.group(1));
                }
            }
        }
        return graph;
    }

    /**
     * Finds the circles of a graph: for every strongly connected set of two or more nodes, one
     * circle through it, as a path that ends where it starts.
     *
     * @param graph node to the nodes it points to
     * @return the circles, empty when there is none
     */
    static List<List<String>> circles(Map<String, Set<String>> graph) {
        List<List<String>> found = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            if (done.contains(start)) {
                continue;
            }
            List<String> path = shortestCircle(graph, start);
            if (path != null) {
                found.add(path);
                done.addAll(path); // one circle per set of nodes that reach each other
            }
        }
        return found;
    }

    /** The shortest path from {@code start} back to itself (breadth first), or null. */
    private static List<String> shortestCircle(Map<String, Set<String>> graph, String start) {
        Map<String, String> from = new TreeMap<>();
        List<String> queue = new ArrayList<>(Collections.singletonList(start));
        for (int i = 0; i < queue.size(); i++) {
            String node = queue.get(i);
            for (String next : graph.getOrDefault(node, Collections.emptySet())) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>(Collections.singletonList(start));
                    for (String n = node; !n.equals(start); n = from.get(n)) {
                        path.add(1, n);
                    }
                    path.add(start);
                    return path;
                }
                if (!from.containsKey(next)) {
                    from.put(next, node);
                    queue.add(next);
                }
            }
        }
        return null;
    }

    private static Map<String, Set<String>> graph(String... edges) {
        Map<String, Set<String>> g = new TreeMap<>();
        for (String e : edges) {
            String[] ab = e.split(">");
            g.computeIfAbsent(ab[0], k -> new TreeSet<>()).add(ab[1]);
            g.computeIfAbsent(ab[1], k -> new TreeSet<>());
        }
        return g;
    }

    @Test
    public void theCircleFinderFindsAHandMadeCircle() {
        assertEquals(Collections.singletonList(Arrays.asList("a", "b", "c", "a")),
                circles(graph("a>b", "b>c", "c>a", "c>d", "d>e")));
        assertEquals(Collections.singletonList(Arrays.asList("x", "y", "x")),
                circles(graph("x>y", "y>x")));
        assertEquals(Collections.emptyList(), circles(graph("a>b", "b>c", "a>c", "c>d")));
    }

    @Test
    public void theReaderSeesImportsAndQualifiedNamesButNotComments() throws IOException {
        Path dir = Files.createTempDirectory("graph");
        Path a = Files.createDirectories(dir.resolve("djlbridge/a"));
        Files.write(a.resolve("A.java"), ("package djlbridge.a;\nimport djlbridge.b.B;\n"
                + "/** {@link djlbridge.c.C} */ class A { String s = \"djlbridge.d.D\";"
                + " Object o = djlbridge.e.E.make(); }\n").getBytes(StandardCharsets.UTF_8));
        Map<String, Set<String>> g = readGraph(dir);
        assertEquals(new TreeSet<>(Arrays.asList("djlbridge.b", "djlbridge.e")), g.get("djlbridge.a"));
    }

    @Test
    public void noTwoPackagesUseEachOther() throws IOException {
        Map<String, Set<String>> g = readGraph(MAIN);
        assertTrue("the graph reads no packages: " + g, g.size() >= 5);
        assertTrue(g.toString(), g.get("djlbridge").contains("djlbridge.training"));
        List<List<String>> found = circles(g);
        assertTrue("package circles (a uses b uses ... a): " + found.stream()
                .map(c -> String.join(" -> ", c)).collect(Collectors.toList()) + " in " + g,
                found.isEmpty());
    }

    @Test
    public void theMachineryNamesNoClassOfTheText() throws IOException {
        Map<String, Set<String>> g = readGraph(MAIN);
        for (String machinery : new String[] {"djlbridge.training", "djlbridge.threads"}) {
            assertFalse(machinery + " uses the text's package: " + g.get(machinery),
                    g.get(machinery).contains("djlbridge"));
        }
        assertFalse("the thread policy uses the session: " + g.get("djlbridge.threads"),
                g.get("djlbridge.threads").contains("djlbridge.training"));
        assertFalse("the engine code uses the machinery: " + g.get("djlbridge.mxnet"),
                g.get("djlbridge.mxnet").contains("djlbridge.training"));
    }
}
