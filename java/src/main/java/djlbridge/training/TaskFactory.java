package djlbridge.training;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import java.io.IOException;

/** Makes a {@link TrainingTask} on the device and manager a session opened for it. */
@FunctionalInterface
public interface TaskFactory {

    /**
     * Makes the task: reads its data, builds its model (initialized from DJL's seeded random
     * source, which the session seeded first).
     *
     * @param device the device the session computes on
     * @param manager the session's manager (the task's arrays go there; the session frees it)
     * @return the task
     * @throws IOException if the data cannot be read
     * @throws TranslateException if the data cannot be prepared
     */
    TrainingTask create(Device device, NDManager manager) throws IOException, TranslateException;
}
