package djlbridge.training;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** The device of a run, from the {@code --device} name of its settings. */
final class DeviceChoice {

    private DeviceChoice() {}

    /**
     * Picks the device: "auto" (a GPU when DJL sees one, else the CPU), "cpu" or "gpu".
     *
     * @param name the device name
     * @return the device
     */
    static Device pick(String name) {
        int gpus = Engine.getInstance().getGpuCount();
        switch (name) {
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalStateException(
                            "--device gpu: DJL's MXNet engine sees no GPU: run `djl-bridge doctor`;"
                                    + " pip install 'djl-bridge[cuda11]' on a GPU of compute capability"
                                    + " 5.0-8.x, or use --device cpu");
                }
                return Device.gpu();
            default:
                throw new IllegalArgumentException("unknown device '" + name + "': use auto, cpu or gpu");
        }
    }
}
