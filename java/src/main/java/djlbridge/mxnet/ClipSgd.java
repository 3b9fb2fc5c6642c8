package djlbridge.mxnet;

import ai.djl.mxnet.engine.MxNDManager;
import ai.djl.mxnet.engine.MxOpParams;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The trainer's update after each backward pass: the text's {@code TimeMachine.gradClipping}
 * followed by {@code TimeMachine.sgd}, computed by MXNet's multi-tensor operators in a handful of
 * calls instead of about six per parameter.
 *
 * <p>Same arithmetic as the text: with {@code norm} the joint L2 norm of all gradients, every
 * parameter becomes {@code p - lr * (theta / max(norm, theta)) * grad}. The clipping scale is
 * folded into the learning rate ({@code preloaded_multi_sgd_update} reads one learning rate per
 * parameter from an array on the device), so the norm is never read to the host and the gradient
 * arrays are left as the backward pass wrote them. The operators:
 *
 * <ol>
 *   <li>{@code multi_sum_sq}: the sum of squares of every gradient, one call;
 *   <li>sum, square root, {@code max(norm, theta)} and {@code lr * theta / that}: the learning
 *       rate, an array on the device;
 *   <li>{@code preloaded_multi_sgd_update} per parameter, in place, weight decay 0 (one call per
 *       parameter: DJL's {@code invoke} passes MXNet one output, so the operator's form with
 *       several weights per call cannot write its results in place through it).
 * </ol>
 *
 * <p>About {@code n + 8} operator calls per batch instead of about {@code 6n + 4}: 19 instead of
 * 70 for the scratch GRU.
 *
 * <p>Equal to the text's two functions to rounding (a test holds them together).
 */
public final class ClipSgd {

    private ClipSgd() {}

    /**
     * Clips the joint gradient norm of {@code params} to {@code theta} and takes one SGD step with
     * learning rate {@code lr}, all parameters at once.
     *
     * @param params the parameters, with their gradients from the last backward pass
     * @param theta the clipping threshold (positive)
     * @param lr the learning rate
     * @param manager the manager the temporary arrays go to (e.g. the batch's)
     */
    public static void step(NDList params, float theta, float lr, NDManager manager) {
        if (!(theta > 0)) {
            throw new IllegalArgumentException("the clipping threshold must be positive: " + theta);
        }
        int n = params.size();
        if (n == 0) {
            return;
        }
        MxNDManager mx = (MxNDManager) manager;
        NDArray[] grads = new NDArray[n];
        for (int i = 0; i < n; i++) {
            grads[i] = params.get(i).getGradient();
            grads[i].attach(manager);
        }
        MxOpParams sumSqParams = new MxOpParams();
        sumSqParams.addParam("num_arrays", n);
        NDArray norm = mx.invoke("multi_sum_sq", grads, sumSqParams).sum().sqrt();
        // lr * theta / max(norm, theta): the learning rate of every parameter, on the device
        NDArray rate = norm.maximum(theta).pow(-1).mul(lr * theta).reshape(1);
        NDArray noDecay = manager.zeros(new Shape(1), DataType.FLOAT32, rate.getDevice());
        MxOpParams update = new MxOpParams();
        update.addParam("num_weights", 1);
        update.addParam("rescale_grad", 1f);
        update.addParam("clip_gradient", -1f);
        for (int i = 0; i < n; i++) {
            NDArray p = params.get(i);
            // DJL's invoke declares one output, so one weight per call
            mx.invoke("preloaded_multi_sgd_update", new NDArray[] {p, grads[i], rate, noDecay},
                    new NDArray[] {p}, update);
        }
    }
}
