package io.fedpipe.runtime;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code fedpipe.trainer} settings of one process, read once and validated.
 *
 * @param device  auto (a GPU if the engine sees one), cpu or gpu
 * @param threads intra-op threads; 0 means all cores
 */
public record TrainerSettings(String device, int threads) {

    public TrainerSettings {
        device = device.toLowerCase(Locale.ROOT);
        if (!device.equals("auto") && !device.equals("cpu") && !device.equals("gpu")) {
            throw new IllegalArgumentException("fedpipe.trainer.device must be auto, cpu or gpu: '" + device + "'");
        }
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException("fedpipe.trainer.threads must be in [0, 1024]: " + threads);
        }
    }

    public static TrainerSettings fromConfig(Config config) {
        try {
            Config c = config.getConfig("fedpipe.trainer");
            return new TrainerSettings(c.getString("device"), c.getInt("threads"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("bad configuration: " + e.getMessage(), e);
        }
    }

    /** application.conf (packaged defaults) with an optional overlay file on top. */
    public static Config load(Path overlay) {
        Config defaults = ConfigFactory.load();
        if (overlay == null) {
            return defaults;
        }
        if (!Files.isRegularFile(overlay)) {
            throw new IllegalArgumentException("config file not found: " + overlay);
        }
        try {
            return ConfigFactory.parseFile(overlay.toFile()).withFallback(defaults).resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("bad configuration in " + overlay + ": " + e.getMessage(), e);
        }
    }

    /** Intra-op threads to use: the setting, or every core when it is 0. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /**
     * The DJL device for this process's model code, from what the (offline) PyTorch engine sees;
     * fails with one line when a GPU is demanded but absent, so a node never trains on the CPU
     * while its configuration says GPU.
     */
    public Device resolveDevice() {
        return resolveDevice(EngineSetup.start(0).getGpuCount());
    }

    /** The device when the engine sees {@code gpus} GPUs: auto takes the first GPU if there is one. */
    public Device resolveDevice(int gpus) {
        return switch (device) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpus == 0) {
                    throw new IllegalArgumentException("fedpipe.trainer.device = gpu, but the PyTorch engine sees no GPU"
                            + " on this machine; set it to auto or cpu (FEDPIPE_DEVICE)");
                }
                yield Device.gpu();
            }
            default -> gpus > 0 ? Device.gpu() : Device.cpu();
        };
    }
}
