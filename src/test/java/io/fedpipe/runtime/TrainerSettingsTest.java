package io.fedpipe.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerSettingsTest {

    @Test
    void defaultsComeFromApplicationConf() {
        TrainerSettings s = TrainerSettings.fromConfig(TrainerSettings.load(null));
        assertEquals("auto", s.device());
        assertEquals(0, s.threads());
        assertEquals(Runtime.getRuntime().availableProcessors(), s.effectiveThreads());
    }

    @Test
    void overlayFileWinsOverDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("node.conf");
        Files.writeString(f, "fedpipe.trainer { device = cpu, threads = 1 }");
        TrainerSettings s = TrainerSettings.fromConfig(TrainerSettings.load(f));
        assertEquals("cpu", s.device());
        assertEquals(1, s.effectiveThreads());
    }

    @Test
    void badValuesNameTheKey(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainerSettings.fromConfig(
                ConfigFactory.parseString("fedpipe.trainer { device = tpu, threads = 1 }")));
        assertTrue(e.getMessage().contains("fedpipe.trainer.device"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainerSettings.fromConfig(
                ConfigFactory.parseString("fedpipe.trainer { device = cpu, threads = -3 }")));
        assertTrue(e.getMessage().contains("fedpipe.trainer.threads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainerSettings.fromConfig(
                ConfigFactory.parseString("fedpipe.trainer { device = cpu, threads = many }")));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
        Path broken = dir.resolve("broken.conf");
        Files.writeString(broken, "fedpipe.trainer { threads = ");
        e = assertThrows(IllegalArgumentException.class, () -> TrainerSettings.load(broken));
        assertTrue(e.getMessage().contains("broken.conf"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainerSettings.load(dir.resolve("missing.conf")));
        assertTrue(e.getMessage().contains("missing.conf"), e.getMessage());
    }

    @Test
    void cpuDeviceResolvesWithoutAGpu() {
        assertEquals(Device.cpu(), new TrainerSettings("cpu", 1).resolveDevice());
    }

    @Test
    void autoTakesAGpuOnlyWhenTheEngineSeesOne() {
        assertEquals(Device.cpu(), new TrainerSettings("auto", 1).resolveDevice(0));
        assertEquals(Device.gpu(), new TrainerSettings("auto", 1).resolveDevice(2));
        assertEquals(Device.cpu(), new TrainerSettings("cpu", 1).resolveDevice(2));
        assertEquals(Device.gpu(), new TrainerSettings("gpu", 1).resolveDevice(1));
    }

    @Test
    void onThisMachineAutoIsTheCpuAndGpuIsRefusedInOneLine() {
        assumeTrue(EngineSetup.start(0).getGpuCount() == 0, "a machine without a GPU");
        assertEquals(Device.cpu(), new TrainerSettings("auto", 1).resolveDevice());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainerSettings("GPU", 1).resolveDevice());
        assertTrue(e.getMessage().startsWith("fedpipe.trainer.device = gpu, but the PyTorch engine sees no GPU"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
