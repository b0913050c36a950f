package dev.probe.proposals;

import ai.djl.Device;
import ai.djl.engine.Engine;

import dev.probe.runtime.InvalidSettingException;

/**
 * Where networks run: {@code cpu} (the default), {@code gpu} (the first CUDA device; an error when
 * PyTorch sees none) or {@code auto} (a GPU when there is one). Probe ships PyTorch's CPU natives
 * only; docs/inference-compilation.md says how to supply CUDA ones.
 */
public final class Devices {

    /** What to tell a user who asked for a GPU that PyTorch cannot see. */
    public static final String GPU_HELP = "PyTorch sees no GPU: Probe ships CPU natives only. On a CUDA machine, point"
            + " PYTORCH_LIBRARY_PATH at a CUDA build of libtorch 2.7.1 (with PYTORCH_VERSION=2.7.1 and PYTORCH_FLAVOR=cu124 or"
            + " the like), or run once without ai.djl.offline=true so DJL downloads its CUDA natives; see"
            + " docs/inference-compilation.md. Use the cpu or auto device meanwhile.";

    private Devices() {
    }

    /**
     * Settles what must be fixed before the PyTorch engine starts, where the user has not chosen:
     * its threads per operation ({@code ai.djl.pytorch.num_threads}) and offline mode
     * ({@code ai.djl.offline}: nothing downloaded at run time). Has no effect once it is running.
     */
    public static void prepare(int threads) {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    /**
     * The device named by {@code spec}.
     *
     * @throws InvalidSettingException for an unknown name, or {@code gpu} without one
     */
    public static Device choose(String spec) {
        switch (spec) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus() == 0) {
                    throw new InvalidSettingException("device", "gpu: " + GPU_HELP);
                }
                return Device.gpu();
            case "auto":
                return gpus() > 0 ? Device.gpu() : Device.cpu();
            default:
                throw new InvalidSettingException("device", spec + ": unknown device; choose cpu, gpu or auto");
        }
    }

    /** GPUs PyTorch can use. */
    public static int gpus() {
        return Engine.getInstance().getGpuCount();
    }
}
