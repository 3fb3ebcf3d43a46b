package io.fedpipe.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChildJvmTest {

    private static final String SHIM = "/opt/fedpipe/target/native/libfedpipe_mklshim.so";

    @Test
    void preloadPutsShimFirstAndKeepsOtherLibraries() {
        assertEquals(SHIM + ":/usr/lib/libjemalloc.so", ChildJvm.preloadFor("/usr/lib/libjemalloc.so", SHIM));
        // The parent's own copy of the shim is not listed twice.
        assertEquals(SHIM + ":/a.so:/b.so", ChildJvm.preloadFor(SHIM + ":/a.so /b.so", SHIM));
        assertEquals(SHIM, ChildJvm.preloadFor(null, SHIM));
    }

    @Test
    void preloadWithoutShimDropsOnlyTheShim() {
        assertEquals("/a.so", ChildJvm.preloadFor("/elsewhere/libfedpipe_mklshim.so:/a.so", null));
        assertNull(ChildJvm.preloadFor(SHIM, null));
        assertNull(ChildJvm.preloadFor("", null));
    }

    @Test
    void commandCarriesFedPipeFlagsBeforeMainClass() {
        List<String> command = ChildJvm.forMain(MatmulProbe.class).threads(3).classPath("/cp.jar")
                .jvmOptions("-Xmx256m").property("fedpipe.node", "edge-1").args("out.bin").command();
        assertEquals(ChildJvm.javaBinary(), command.get(0));
        int main = command.indexOf(MatmulProbe.class.getName());
        assertEquals(List.of("-cp", "/cp.jar"), command.subList(main - 2, main));
        assertEquals(List.of("out.bin"), command.subList(main + 1, command.size()));
        List<String> options = command.subList(1, main - 2);
        assertTrue(options.containsAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=3", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dfedpipe.node=edge-1")), options.toString());
    }

    @Test
    void environmentRunsDjlOfflineAndShimFollowsThisProcess() {
        ProcessBuilder builder = ChildJvm.forMain("x.Main").processBuilder();
        assertEquals("true", builder.environment().get("DJL_OFFLINE"));
        assertEquals("true", builder.environment().get("OPT_OUT_TRACKING"));
        NativeTuning tuning = NativeTuning.detect();
        String preload = builder.environment().get("LD_PRELOAD");
        if (tuning.shimLoaded()) {
            assertTrue(preload.startsWith(tuning.shimPath()), preload);
        } else {
            assertTrue(preload == null || !preload.contains("libfedpipe_mklshim.so"), preload);
        }
        String off = ChildJvm.forMain("x.Main").withoutMklShim().processBuilder().environment().get("LD_PRELOAD");
        assertTrue(off == null || !off.contains("libfedpipe_mklshim.so"), off);
    }
}
