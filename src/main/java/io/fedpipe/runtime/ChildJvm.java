package io.fedpipe.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds the command line of a child JVM that runs a FedPipe main class the way the
 * launcher runs FedPipe: same Java binary and class path as this process, DJL offline
 * (property and environment, ../shared/STACK.md rule 1), native access enabled (rule 10),
 * one intra-op thread count, and the oneMKL vendor shim preloaded exactly when it is
 * active in this process.
 *
 * <p>The shim only takes effect through {@code LD_PRELOAD} at process start
 * ({@link NativeTuning}), so a child inherits it explicitly; {@link Builder#withoutMklShim()}
 * starts a child without it (for parity checks), keeping any other preloaded libraries.
 *
 * <pre>{@code
 * Process p = ChildJvm.forMain(Worker.class).threads(1).args("--port", "0").processBuilder()
 *         .inheritIO().start();
 * }</pre>
 */
public final class ChildJvm {

    private static final String SHIM_FILE = "libfedpipe_mklshim.so";

    private ChildJvm() {}

    /** A builder for a child running {@code mainClass}. */
    public static Builder forMain(Class<?> mainClass) {
        return forMain(mainClass.getName());
    }

    /** A builder for a child running the named main class. */
    public static Builder forMain(String mainClass) {
        return new Builder(mainClass);
    }

    /** The path of this process's Java binary, falling back to {@code java.home}. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * The {@code LD_PRELOAD} a child should get: the parent's entries without the shim, and
     * the shim first when {@code shimPath} is not null. Null when nothing is left to preload.
     */
    static String preloadFor(String parentPreload, String shimPath) {
        List<String> entries = new ArrayList<>();
        if (shimPath != null) {
            entries.add(shimPath);
        }
        if (parentPreload != null) {
            // ld.so separates LD_PRELOAD entries by colons or spaces (ld.so(8)).
            for (String entry : parentPreload.split("[: ]")) {
                if (!entry.isEmpty() && !entry.endsWith(SHIM_FILE)) {
                    entries.add(entry);
                }
            }
        }
        return entries.isEmpty() ? null : String.join(":", entries);
    }

    /** Collects the child's settings; {@link #processBuilder()} makes the process builder. */
    public static final class Builder {
        private final String mainClass;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String classPath = System.getProperty("java.class.path");
        private int threads;
        private boolean mklShim = true;

        private Builder(String mainClass) {
            this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
        }

        /** Program arguments. */
        public Builder args(String... values) {
            args.addAll(List.of(values));
            return this;
        }

        /** Extra JVM options such as {@code -Xmx512m}, placed before the main class. */
        public Builder jvmOptions(String... values) {
            jvmOptions.addAll(List.of(values));
            return this;
        }

        /** A system property for the child. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** An environment variable for the child, on top of this process's environment. */
        public Builder env(String key, String value) {
            environment.put(key, value);
            return this;
        }

        /** Replaces the class path (default: this process's {@code java.class.path}). */
        public Builder classPath(String value) {
            classPath = Objects.requireNonNull(value, "classPath");
            return this;
        }

        /** Intra-op threads of the child's PyTorch engine; {@code <= 0} leaves DJL's default. */
        public Builder threads(int value) {
            threads = value;
            return this;
        }

        /** Starts the child without the oneMKL vendor shim even where this process has it. */
        public Builder withoutMklShim() {
            mklShim = false;
            return this;
        }

        /** The full command: java binary, options, properties, class path, main class, arguments. */
        public List<String> command() {
            List<String> command = new ArrayList<>();
            command.add(javaBinary());
            command.add("--enable-native-access=ALL-UNNAMED");
            if (Runtime.version().feature() >= 23) {
                // JDK 23+ warns on sun.misc.Unsafe memory access used by Pekko; JDK 17 refuses the flag.
                command.add("--sun-misc-unsafe-memory-access=allow");
            }
            command.addAll(jvmOptions);
            command.add("-Dai.djl.offline=true");
            if (threads > 0) {
                command.add("-Dai.djl.pytorch.num_threads=" + threads);
                command.add("-Dai.djl.pytorch.num_interop_threads=1");
            }
            properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
            command.add("-cp");
            command.add(classPath);
            command.add(mainClass);
            command.addAll(args);
            return command;
        }

        /** A process builder with the command and the environment set; I/O is left to the caller. */
        public ProcessBuilder processBuilder() {
            ProcessBuilder builder = new ProcessBuilder(command());
            Map<String, String> env = builder.environment();
            env.put("DJL_OFFLINE", "true");
            env.put("OPT_OUT_TRACKING", "true");
            NativeTuning tuning = NativeTuning.detect();
            String shim = mklShim && tuning.shimLoaded() ? tuning.shimPath() : null;
            String preload = preloadFor(env.get("LD_PRELOAD"), shim);
            if (preload == null) {
                env.remove("LD_PRELOAD");
            } else {
                env.put("LD_PRELOAD", preload);
            }
            env.putAll(environment);
            return builder;
        }
    }
}
