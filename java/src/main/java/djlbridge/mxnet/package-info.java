/**
 * What exists only because the engine is MXNet (DJL's MXNet engine on MXNet 1.9.1): speed, never
 * meaning. Each class computes what an engine-neutral piece of {@link djlbridge} computes, and a
 * test holds the two equal.
 *
 * <ul>
 *   <li>{@link djlbridge.mxnet.ScratchGraph} writes the scratch cells as one MXNet symbol graph
 *       unrolled over the sequence, and {@link djlbridge.mxnet.HybridScratchCells} runs it as a
 *       cached operator on the model's own parameters: a hybridized {@code RNNModelScratch}
 *       (held equal to the op-by-op cells of {@code ScratchCells} by {@code HybridScratchTest});
 *   <li>{@link djlbridge.mxnet.RnnOperator}: MXNet's RNN operator, called by {@code RNNModel} on
 *       its layer's parameters joined as rows (held equal to DJL's layer by {@code
 *       RnnOperatorTest});
 *   <li>{@link djlbridge.mxnet.ClipSgd}: the text's {@code gradClipping} and {@code sgd} as MXNet's
 *       multi-tensor operators (held equal to them by {@code ClipSgdTest});
 *   <li>{@link djlbridge.mxnet.NativeHeap}: glibc's malloc thresholds, so that the engine's
 *       per-batch buffers are reused instead of faulted in again;
 *   <li>{@link djlbridge.mxnet.OmpThreads}: the OpenMP thread count of the engine's CPU worker,
 *       changed while the process runs (the count itself is chosen by {@code
 *       djlbridge.threads.ThreadPolicy});
 *   <li>{@link djlbridge.mxnet.CellKind}: what the graph and the operator need to know of a kind
 *       of cell (the text's {@code ModelKind} implements it).
 * </ul>
 *
 * <p>What depends on what: the code here names no other package of djl_bridge (a kind of cell is
 * a {@code CellKind}; the javadoc names the text's classes it mirrors in {@code code} only).
 * {@link djlbridge} calls it at three points, {@link djlbridge.training} calls {@code NativeHeap}
 * once and {@link djlbridge.threads} calls {@code OmpThreads} from its thread policy.
 * <p>Why this cut: another engine would replace this package and those five calls, not edit the
 * text's classes or the training machinery.
 */
package djlbridge.mxnet;
