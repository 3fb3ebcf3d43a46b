package io.fedpipe.local;

import io.fedpipe.runtime.EngineSetup;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Measures a node's local compute in one process shared with other work (the simulator's other
 * nodes, a build, a second simulation): with one intra-op thread PyTorch runs every CPU kernel,
 * backward included, on the calling thread, so that thread's CPU time is the compute the node
 * did, unaffected by what else the machine runs. With more threads the kernels run on a pool and
 * only wall time is meaningful, which other processes inflate.
 *
 * <p>Start it on the thread that trains and read it on the same thread.
 */
public final class ComputeClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final boolean cpuTime;
    private final long startCpu;
    private final long startWall;

    private ComputeClock(boolean cpuTime) {
        this.cpuTime = cpuTime;
        this.startCpu = cpuTime ? THREADS.getCurrentThreadCpuTime() : 0;
        this.startWall = System.nanoTime();
    }

    /** Thread CPU time when the engine runs one intra-op thread and the JVM supports it, else wall time. */
    public static ComputeClock start() {
        return new ComputeClock(EngineSetup.threads() == 1 && THREADS.isCurrentThreadCpuTimeSupported());
    }

    /** Seconds since {@link #start()}: CPU seconds of this thread or wall seconds (see {@link #measuresCpu()}). */
    public double seconds() {
        return cpuTime ? (THREADS.getCurrentThreadCpuTime() - startCpu) / 1e9 : wallSeconds();
    }

    public double wallSeconds() {
        return (System.nanoTime() - startWall) / 1e9;
    }

    public boolean measuresCpu() {
        return cpuTime;
    }
}
