package io.fedpipe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process (native + heap, everything the OS counts), from
 * {@code /proc/self/status}. The peak ({@code VmHWM}) can be reset so that a benchmark
 * measures the peak of one phase only.
 */
public final class ProcessMemory {

    private ProcessMemory() {}

    /** Current resident set in bytes, or -1 where /proc is unavailable. */
    public static long residentBytes() {
        return statusField("VmRSS:");
    }

    /** Peak resident set since start or the last {@link #resetPeak()}, in bytes, or -1. */
    public static long peakResidentBytes() {
        return statusField("VmHWM:");
    }

    /** Resets the kernel's peak-RSS counter (Linux: "5" to clear_refs); false where unsupported. */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
