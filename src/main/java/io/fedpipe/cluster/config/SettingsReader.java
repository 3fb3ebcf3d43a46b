package io.fedpipe.cluster.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads settings and collects every problem as one line that starts with the key, so a node
 * that cannot start says everything that is wrong with its file at once.
 */
final class SettingsReader {

    private final Config config;
    private final List<String> errors = new ArrayList<>();

    SettingsReader(Config config) {
        this.config = config;
    }

    void error(String key, String problem) {
        errors.add(key + ": " + problem);
    }

    /** Throws one exception listing every problem found, one per line. */
    void throwIfAny() {
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", errors));
        }
    }

    String string(String key) {
        try {
            String s = config.getString(key).strip();
            if (s.isEmpty()) {
                error(key, "must not be empty");
            }
            return s;
        } catch (ConfigException.Missing e) {
            error(key, "missing");
        } catch (ConfigException e) {
            error(key, "must be a string" + origin(e));
        }
        return "";
    }

    /** A port number; 0 asks the system for a free one. */
    int port(String key) {
        Double p = number(key, "a port number 0..65535");
        if (p == null) {
            return 0;
        }
        if (p < 0 || p > 65535 || p != Math.rint(p)) {
            error(key, "must be a port number 0..65535, got " + raw(key));
            return 0;
        }
        return p.intValue();
    }

    long bytes(String key) {
        try {
            long b = config.getBytes(key);
            if (b <= 0) {
                error(key, "must be a positive size, got " + b + " bytes");
            }
            return b;
        } catch (ConfigException.Missing e) {
            error(key, "missing");
        } catch (ConfigException e) {
            error(key, "must be a size in bytes such as 4 GiB or 512 MiB, got '" + raw(key) + "'");
        }
        return 1;
    }

    /** A finite number in {@code (0, max]}. */
    double positive(String key, double max) {
        Double v = number(key, "a positive number");
        if (v == null) {
            return 1;
        }
        if (!(v > 0) || v > max || v.isInfinite()) {
            error(key, Double.isInfinite(max) ? "must be a positive number, got " + raw(key)
                    : "must be in (0, " + max + "], got " + raw(key));
            return 1;
        }
        return v;
    }

    /** A list of strings, or one comma-separated string (how an environment variable can give one). */
    List<String> list(String key) {
        try {
            if (config.getValue(key).valueType() == ConfigValueType.STRING) {
                return Arrays.stream(config.getString(key).split(",")).map(String::strip)
                        .filter(s -> !s.isEmpty()).toList();
            }
            return config.getStringList(key).stream().map(String::strip).toList();
        } catch (ConfigException.Missing e) {
            error(key, "missing");
        } catch (ConfigException e) {
            error(key, "must be a list of strings" + origin(e));
        }
        return List.of();
    }

    /** The number at {@code key}, or null after recording why there is none. */
    private Double number(String key, String what) {
        try {
            return config.getNumber(key).doubleValue();
        } catch (ConfigException.Missing e) {
            error(key, "missing");
        } catch (ConfigException e) {
            error(key, "must be " + what + ", got '" + raw(key) + "'");
        }
        return null;
    }

    private String raw(String key) {
        try {
            Object v = config.getValue(key).unwrapped();
            return String.valueOf(v);
        } catch (ConfigException e) {
            return "?";
        }
    }

    private static String origin(ConfigException e) {
        return e.origin() == null ? "" : " (" + e.origin().description() + ")";
    }
}
