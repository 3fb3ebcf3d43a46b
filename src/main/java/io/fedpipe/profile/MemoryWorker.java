package io.fedpipe.profile;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.runtime.ChildJvm;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.quant.QuantFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Measures one base format's memory ({@link NodeProfiler#measureMemory}) in a fresh JVM, so
 * memory the allocator kept from another format's steps cannot hide this format's growth.
 * Prints one JSON {@link NodeProfile.FormatMemory} on the line starting with {@code RESULT }.
 *
 * <p>Arguments: {@code model seq threads format}.
 */
public final class MemoryWorker {

    private MemoryWorker() {}

    public static void main(String[] args) throws Exception {
        String model = args[0];
        int seq = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        QuantFormat format = QuantFormat.parse(args[3]);
        EngineSetup.start(threads);
        try (NDManager m = NDManager.newBaseManager()) {
            NodeProfiler profiler = new NodeProfiler(m, PretrainedModels.load(model), model, NodeProfiler.Settings.defaults(seq));
            System.out.println("RESULT " + new ObjectMapper().writeValueAsString(profiler.measureMemory(format)));
        }
    }

    /** Runs the worker for {@code format} with default settings and returns what it measured. */
    public static NodeProfile.FormatMemory measure(String model, int seq, int threads, QuantFormat format)
            throws IOException, InterruptedException {
        Process p = ChildJvm.forMain(MemoryWorker.class)
                .args(model, Integer.toString(seq), Integer.toString(threads), format.configName())
                .jvmOptions("-Xmx2g", "-XX:+UseSerialGC", "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5")
                .threads(threads).processBuilder().redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring("RESULT ".length());
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || result == null) {
            throw new IllegalStateException("memory worker for " + format.configName() + " failed with exit code " + code);
        }
        return new ObjectMapper().readValue(result, NodeProfile.FormatMemory.class);
    }
}
