package djlbridge.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The parameter files of a model, in two formats: a model that is one DJL {@link Block} (the
 * language model's concise model) in DJL's own block format ({@code
 * Block.saveParameters}/{@code loadParameters}), every other model as DJL's NPZ encoding of its
 * parameter list ({@code NDList.encode(os, Encoding.NPZ)}), which {@code numpy.load} reads
 * without pickle. Loading copies into the model's existing arrays, so whatever holds them (a
 * cached graph, the optimizer) sees the new values. A task picks the format of its model (pass its
 * block, or null for NPZ); nothing here knows a task's classes.
 */
public final class ParameterFiles {

    /** The parameter file name of the concise model (DJL block format). */
    public static final String CONCISE_PARAMS = "model.params";

    /** The parameter file name of the scratch model (NPZ). */
    public static final String SCRATCH_PARAMS = "params.npz";

    private ParameterFiles() {}

    /**
     * Returns the parameter file name for an implementation.
     *
     * @param impl "scratch" or "concise"
     * @return {@link #SCRATCH_PARAMS} or {@link #CONCISE_PARAMS}
     */
    public static String fileName(String impl) {
        return "concise".equals(impl) ? CONCISE_PARAMS : SCRATCH_PARAMS;
    }

    /**
     * Encodes the model's parameters as the bytes of its parameter file.
     *
     * @param block the model as one DJL block (block format), or null (NPZ)
     * @param params the model's parameters, in its order (NPZ)
     * @return the file's bytes
     */
    public static byte[] encode(Block block, NDList params) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try {
            if (block != null) {
                try (DataOutputStream dos = new DataOutputStream(bos)) {
                    block.saveParameters(dos);
                }
            } else {
                params.encode(bos, NDList.Encoding.NPZ);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not encode the parameters: " + e.getMessage(), e);
        }
        return bos.toByteArray();
    }

    /**
     * Encodes other values for the model's parameters (copies of them, taken earlier) as the
     * bytes of the model's parameter file: the same bytes {@link #encode(Block, NDList)} gives
     * while the model's parameters hold these values. The model's own values are left as they
     * are; for the concise model they are swapped out while DJL writes its block format and then
     * copied back, so call this while the model is not training on another thread.
     *
     * @param block the model as one DJL block (block format), or null (NPZ)
     * @param params the model's parameters, whose names and order the values follow
     * @param values one array per parameter, in the order of {@code params},
     *     with the same shapes, data types and (for NPZ entry names) array names
     * @return the file's bytes
     */
    public static byte[] encode(Block block, NDList params, NDList values) {
        if (values.size() != params.size()) {
            throw new IllegalArgumentException(
                    values.size() + " arrays given for a model with " + params.size() + " parameters");
        }
        for (int i = 0; i < params.size(); i++) {
            NDArray v = values.get(i);
            NDArray p = params.get(i);
            if (!v.getShape().equals(p.getShape()) || v.getDataType() != p.getDataType()
                    || !Objects.equals(v.getName(), p.getName())) {
                throw new IllegalArgumentException("array " + i + " is " + v.getName() + " "
                        + v.getDataType() + " " + v.getShape() + ", the parameter is "
                        + p.getName() + " " + p.getDataType() + " " + p.getShape());
            }
        }
        if (block == null) {
            // NPZ holds nothing but the arrays: their names, shapes and values.
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try {
                values.encode(bos, NDList.Encoding.NPZ);
            } catch (IOException e) {
                throw new IllegalStateException("could not encode the parameters: " + e.getMessage(), e);
            }
            return bos.toByteArray();
        }
        // DJL's block format also holds each block's version and metadata, which only the block
        // itself writes: the model writes the file while its arrays hold the values.
        try (NDManager tmp = params.head().getManager().newSubManager()) {
            NDList own = new NDList(params.size());
            for (NDArray p : params) {
                NDArray copy = p.duplicate();
                copy.attach(tmp);
                own.add(copy);
            }
            try {
                copyAll(values, params);
                return encode(block, params);
            } finally {
                copyAll(own, params);
            }
        }
    }

    private static void copyAll(NDList from, NDList to) {
        for (int i = 0; i < from.size(); i++) {
            from.get(i).copyTo(to.get(i));
        }
    }

    /**
     * Loads the bytes of a parameter file into the model, checking that they fit. The caller
     * reads (and may verify) the bytes, so that what was checked is what is loaded and no file
     * is opened here by a name the JVM's locale may not be able to spell.
     *
     * @param block the model as one DJL block (block format), or null (NPZ)
     * @param params the model's parameters, in its order (NPZ)
     * @param bytes the whole parameter file
     * @param source what the bytes are, for messages (the file's path)
     * @param what the model in words, for messages ("scratch gru with 256 hidden units ...")
     * @param scratch a manager for temporary arrays
     * @throws IOException if the bytes do not hold the parameters of this model
     */
    public static void load(Block block, NDList params, byte[] bytes, String source, String what,
            NDManager scratch) throws IOException {
        if (block != null) {
            loadBlock(block, bytes, source, what);
        } else {
            loadNpz(params, bytes, source, what, scratch);
        }
    }

    private static void loadBlock(Block block, byte[] bytes, String file, String what)
            throws IOException {
        NDManager owner = block.getParameters().valueAt(0).getArray().getManager();
        List<NDArray> old = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            old.add(p.getValue().getArray());
        }
        try (DataInputStream dis = new DataInputStream(new ByteArrayInputStream(bytes))) {
            block.loadParameters(owner, dis);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            throw new IOException(
                    file + " does not hold the parameters of a " + what + ": " + e.getMessage(), e);
        }
        int i = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            if (!a.getShape().equals(old.get(i++).getShape())) {
                throw new IOException(file + " does not hold the parameters of a " + what + " ("
                        + p.getKey() + " has shape " + a.getShape() + ")");
            }
            // Parameter.load does not attach a gradient; training needs one.
            a.setRequiresGradient(true);
        }
        old.forEach(NDArray::close);
    }

    private static void loadNpz(NDList params, byte[] bytes, String file, String what,
            NDManager parent)
            throws IOException {
        try (NDManager tmp = parent.newSubManager()) {
            NDList loaded;
            try {
                loaded = NDList.decode(tmp, bytes);
            } catch (RuntimeException e) {
                throw new IOException(file + " is not a DJL NPZ parameter file: " + e.getMessage(), e);
            }
            if (loaded.size() != params.size()) {
                throw new IOException(
                        file + " holds " + loaded.size() + " arrays, a " + what + " has " + params.size());
            }
            for (int i = 0; i < params.size(); i++) {
                if (!loaded.get(i).getShape().equals(params.get(i).getShape())
                        || loaded.get(i).getDataType() != params.get(i).getDataType()) {
                    throw new IOException(file + " does not hold the parameters of a " + what
                            + " (array " + i + " has shape " + loaded.get(i).getShape() + ", expected "
                            + params.get(i).getShape() + ")");
                }
            }
            for (int i = 0; i < params.size(); i++) {
                params.get(i).set(loaded.get(i).toByteBuffer());
            }
        }
    }
}
