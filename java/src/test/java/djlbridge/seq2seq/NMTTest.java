package djlbridge.seq2seq;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.util.Pair;
import djlbridge.Vocab;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class NMTTest {

    /** Pairs of the real file's first lines (CC-BY 2.0 FR, tatoeba.org via manythings.org). */
    static final String TINY =
            "Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\nRun!\tCourez !\nWho?\tQui ?\n"
                    + "Wow!\tÇa alors\u00a0!\nI lost.\tJ'ai perdu.\nHe's calm.\tIl est calme.\n"
                    + "I'm home.\tJe suis chez moi.\nGo.\tBouge !\n";

    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    /** The real file beside the checkout, as CI has it; null when absent. */
    static Path realFile() {
        Path p = Paths.get(System.getProperty("djlbridge.fra", "../shared/data/fra-eng/fra.txt"));
        return Files.isRegularFile(p) ? p : null;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.getRoot().toPath().resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String refusal(byte[] bytes) throws IOException {
        Path p = write("bad.txt", bytes);
        try {
            NMT.readDataNMT(p);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        fail("accepted a bad file");
        return null;
    }

    @Test
    public void preprocessAsTheBook() {
        assertEquals(
                "go .\tva !\nrun !\tcours !\nça alors !\na ,b . c\n",
                NMT.preprocessNMT("Go.\tVa !\nRun!\tCours\u202f!\nÇa alors\u00a0!\nA,b. c\n"));
    }

    @Test
    public void tokenizeStopsAfterLineNumExamplesAndKeepsEmptyStrings() {
        String text = NMT.preprocessNMT(TINY);
        // line indices 0..3 are read: 4 pairs for numExamples 3
        assertEquals(4, NMT.tokenizeNMT(text, 3).getKey().size());
        assertEquals(10, NMT.tokenizeNMT(text, 0).getKey().size());
        Pair<List<String[]>, List<String[]>> p = NMT.tokenizeNMT("a  b \tc\nno tab\n", 0);
        // Python: 'a  b '.split(' ') == ['a', '', 'b', '']
        assertArrayEquals(new String[] {"a", "", "b", ""}, p.getKey().get(0));
        assertArrayEquals(new String[] {"c"}, p.getValue().get(0));
        assertEquals(1, p.getKey().size());
    }

    @Test
    public void truncatePad() {
        assertArrayEquals(new int[] {5, 6, 1, 1}, NMT.truncatePad(new int[] {5, 6}, 4, 1));
        assertArrayEquals(new int[] {5, 6}, NMT.truncatePad(new int[] {5, 6, 7}, 2, 1));
    }

    @Test
    public void buildArrayAppendsEosPadsAndCountsValid() {
        String[][] lines = {{"a", "b"}, {"a", "b", "c", "d", "e"}};
        Vocab v = new Vocab(lines, 1, NMT.RESERVED);
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<NDArray, NDArray> p = NMT.buildArrayNMT(Arrays.asList(lines), v, 4, m);
            int pad = v.getIdx("<pad>");
            int eos = v.getIdx("<eos>");
            assertArrayEquals(
                    new int[] {v.getIdx("a"), v.getIdx("b"), eos, pad, 4, 5, 6, 7},
                    p.getKey().toIntArray());
            // the truncated row lost its <eos> and counts every step
            assertArrayEquals(new int[] {3, 4}, p.getValue().toIntArray());
        }
    }

    @Test
    public void loadDataShapesAndShufflesWithLastPartialBatch() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            sb.append(TINY);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> d = NMT.loadDataNMT(sb.toString(), 4, 5, 0, m);
            assertEquals(30, d.getKey().size());
            List<Integer> sizes = new ArrayList<>();
            List<int[]> firstRows = new ArrayList<>();
            for (int epoch = 0; epoch < 2; epoch++) {
                for (Batch b : d.getKey().getData(m)) {
                    sizes.add((int) b.getData().get(0).getShape().get(0));
                    assertEquals(5, b.getData().get(0).getShape().get(1));
                    assertEquals(1, b.getLabels().get(1).getShape().dimension());
                    firstRows.add(b.getData().get(0).toIntArray());
                    b.close();
                }
            }
            // 30 rows in batches of 4: 7 full and one of 2, every epoch
            assertEquals(Arrays.asList(4, 4, 4, 4, 4, 4, 4, 2, 4, 4, 4, 4, 4, 4, 4, 2), sizes);
            assertTrue(
                    "two epochs drew the same order",
                    !Arrays.equals(firstRows.get(0), firstRows.get(8))
                            || !Arrays.equals(firstRows.get(1), firstRows.get(9)));
            // reserved tokens come right after <unk>
            assertEquals(
                    Arrays.asList("<unk>", "<pad>", "<bos>", "<eos>"),
                    d.getValue().getValue().getIdxToToken().subList(0, 4));
        }
    }

    @Test
    public void readsTextAndZip() throws IOException {
        byte[] bytes = TINY.getBytes(StandardCharsets.UTF_8);
        assertEquals(TINY, NMT.readDataNMT(write("fra.txt", bytes)));
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("fra-eng/_about.txt"));
            z.write("about".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("fra-eng/fra.txt"));
            z.write(bytes);
        }
        assertEquals(TINY, NMT.readDataNMT(write("fra-eng.zip", zip.toByteArray())));
        assertEquals(TINY, NMT.readDataNMT(new ByteArrayInputStream(zip.toByteArray()), "zip"));
        byte[] cut = Arrays.copyOf(zip.toByteArray(), zip.size() / 2);
        String msg = refusalOfZip(cut);
        assertTrue(msg, msg.contains("zip"));
    }

    private String refusalOfZip(byte[] bytes) throws IOException {
        try {
            NMT.readDataNMT(write("cut.zip", bytes));
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        fail("accepted a cut zip");
        return null;
    }

    @Test
    public void refusesWrongFilesWithOneMessage() throws IOException {
        assertTrue(refusal(new byte[0]).contains("is empty"));
        assertTrue(refusal(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2}).contains("not UTF-8"));
        assertTrue(refusal("go\0.\tva\n".getBytes(StandardCharsets.UTF_8)).contains("NUL"));
        assertTrue(refusal(utf8("go .\tva !\nhi .\n")).contains("line 2 has no tab"));
        String three = refusal(utf8("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n"));
        assertTrue(three, three.contains("3 columns"));
        assertTrue(refusal(utf8("Go.\tVa !\nHi.\tSal")).contains("truncated"));
        StringBuilder german = new StringBuilder();
        StringBuilder swapped = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            german.append("I am here.\tIch bin hier.\nWe run.\tWir laufen.\nGo.\tGeh.\n")
                    .append("Hi.\tHallo!\nIt's me.\tIch bin es.\nThe dog.\tDer Hund.\n");
            swapped.append(TINY.replaceAll("(?m)^([^\t\n]*)\t([^\n]*)$", "$2\t$1"));
        }
        String msg = refusal(german.toString().getBytes(StandardCharsets.UTF_8));
        assertTrue(msg, msg.contains("does not look like English<TAB>French"));
        msg = refusal(swapped.toString().getBytes(StandardCharsets.UTF_8));
        assertTrue(msg, msg.contains("does not look like English<TAB>French"));
        StringBuilder fine = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            fine.append(TINY);
        }
        String ok = fine.toString();
        assertEquals(ok, NMT.readDataNMT(write("ok.txt", utf8(ok))));
    }

    @Test
    public void theRealFileAsTheBookCountsIt() throws Exception {
        Path real = realFile();
        Assume.assumeTrue("fra.txt not beside the checkout", real != null);
        String text = NMT.preprocessNMT(NMT.readDataNMT(real));
        assertTrue(
                text.startsWith(
                        "go .\tva !\nhi .\tsalut !\nrun !\tcours !\nrun !\tcourez !\n"
                                + "who ?\tqui ?\nwow !\tça alors !"));
        Pair<List<String[]>, List<String[]>> p = NMT.tokenizeNMT(text, 600);
        assertEquals(601, p.getKey().size());
        assertEquals(184, new Vocab(p.getKey().toArray(new String[0][]), 2, NMT.RESERVED).length());
        String[][] tgt = p.getValue().toArray(new String[0][]);
        assertEquals(201, new Vocab(tgt, 2, NMT.RESERVED).length());
        List<String[]> all = NMT.tokenizeNMT(text, 0).getKey();
        assertEquals(10012, new Vocab(all.toArray(new String[0][]), 2, NMT.RESERVED).length());
        try (NDManager m = NDManager.newBaseManager()) {
            Pair<ArrayDataset, Pair<Vocab, Vocab>> d =
                    NMT.loadDataNMT(text.substring(0, 40000), 64, 10, 600, m);
            int batches = 0;
            for (Batch b : d.getKey().getData(m)) {
                batches++;
                b.close();
            }
            assertEquals(10, batches);
            assertEquals(2541, NMT.targetTokens(d.getKey(), m));
        }
    }
}
