package io.fedpipe.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Whether this process runs with the oneMKL vendor shim (native/build-mkl-shim.sh) and
 * what a child JVM needs to run the same way.
 *
 * <p>The shim can only take effect through {@code LD_PRELOAD} at process start, so the
 * launcher, Surefire and every child JVM FedPipe starts pass it on explicitly.
 */
public record NativeTuning(String cpuVendor, boolean amdWithAvx2, boolean shimLoaded, String shimPath) {

    /** Reads /proc to find the CPU vendor and whether the shim is mapped into this process. */
    public static NativeTuning detect() {
        String vendor = "unknown";
        boolean avx2 = false;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("vendor_id") && "unknown".equals(vendor)) {
                    vendor = line.substring(line.indexOf(':') + 1).trim();
                } else if (line.startsWith("flags")) {
                    String flags = " " + line.substring(line.indexOf(':') + 1).trim() + " ";
                    avx2 = flags.contains(" avx2 ") && flags.contains(" fma ");
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc unreadable: no tuning known.
        }
        String loaded = null;
        try {
            List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
            for (String line : maps) {
                if (line.endsWith("libfedpipe_mklshim.so")) {
                    loaded = line.substring(line.indexOf('/'));
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Leave as not loaded.
        }
        boolean amd = vendor.toLowerCase(Locale.ROOT).contains("amd");
        return new NativeTuning(vendor, amd && avx2, loaded != null, loaded);
    }

    public String describe() {
        if (!amdWithAvx2) {
            return "MKL shim not needed (" + cpuVendor + ")";
        }
        return shimLoaded ? "MKL vendor shim active" : "MKL vendor shim OFF (AMD CPU: GEMM runs at about half speed)";
    }
}
