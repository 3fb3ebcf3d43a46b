package io.fedpipe.runtime;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * One place that prepares the DJL PyTorch engine for a FedPipe process.
 *
 * <p>Offline mode must be on before DJL starts, otherwise it contacts a cloud metadata
 * address and a telemetry endpoint (../shared/STACK.md rule 1). The launcher and the
 * test JVMs already set it; setting it again here protects programs that embed FedPipe.
 */
public final class EngineSetup {

    private EngineSetup() {}

    /**
     * Starts the PyTorch engine offline with the given intra-op thread count, and readies the calling
     * thread for it. PyTorch's grad mode is per thread and on by default; DJL turns it off only on the
     * thread that first starts the engine, and its gradient collector restores the mode it found. A
     * thread that trains after the engine was started elsewhere (a dispatcher, a test after an actor
     * test) would keep grad mode on, and the optimizer's in-place update of a leaf that requires a
     * gradient is then refused. Call this on the thread that will train.
     *
     * @param threads intra-op threads for this process; {@code <= 0} keeps the configured default
     * @return the started engine
     */
    public static synchronized Engine start(int threads) {
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("PyTorch");
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        JniUtils.setGradMode(false);
        return engine;
    }

    /** Intra-op threads the engine uses now. */
    public static int threads() {
        return JniUtils.getNumThreads();
    }

    /** A one-line description of the engine and native tuning, for logs and {@code fedpipe info}. */
    public static String describe() {
        Engine engine = start(0);
        return "DJL " + Engine.getDjlVersion() + ", " + engine.getEngineName() + " " + engine.getVersion()
                + ", threads=" + threads() + ", " + NativeTuning.detect().describe();
    }
}
