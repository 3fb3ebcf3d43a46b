package io.fedpipe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed, validated access to a HOCON object that collects every problem instead of stopping at
 * the first: a user fixes a file in one pass. Each getter records what is wrong with its key and
 * returns a stand-in (the fallback or the smallest valid value) so that reading goes on;
 * {@link #throwIfAny()} then throws one {@link ConfigProblems} whose message has one line per
 * problem. Readers made by {@link #child} and {@link #objects} share their parent's problems.
 *
 * <p>Two ways to name a problem: a file a user wrote ({@link #forFile}) says where, as
 * {@code file:line: key 'planner.ranks' must be ...}; a layered settings config
 * ({@link #forSettings}: reference.conf, an overlay and environment variables, so no single file
 * to point at) says which key, as {@code fedpipe.node.port: must be ...}.
 */
public final class ConfigReader {

    private static final Pattern TYPESAFE_LOCATION = Pattern.compile("^(.*?): (\\d+): (.*)$", Pattern.DOTALL);

    private final Config c;
    private final String source;
    private final String prefix;
    private final List<String> problems;

    private ConfigReader(Config c, String source, String prefix, List<String> problems) {
        this.c = c;
        this.source = source;
        this.prefix = prefix;
        this.problems = problems;
    }

    /** Problems are reported as {@code source:line: key '...' ...}; {@code source} names the text when no file does. */
    public static ConfigReader forFile(Config c, String source) {
        return new ConfigReader(c, source, "", new ArrayList<>());
    }

    /** Problems are reported as {@code full.key: ...}, without a location. */
    public static ConfigReader forSettings(Config c) {
        return new ConfigReader(c, null, "", new ArrayList<>());
    }

    /**
     * Parses and resolves a HOCON file ({@code include}s relative to it); a syntax error is one
     * line {@code name:line: what}. {@code kind} names the file in the missing-file error.
     */
    public static Config parseFile(Path file, String kind) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such " + kind);
        }
        try {
            return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw syntaxError(e, file.getFileName().toString());
        }
    }

    /** Parses and resolves HOCON text; {@code source} names it in errors. */
    public static Config parseString(String text, String source) {
        try {
            return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(source)).resolve();
        } catch (ConfigException e) {
            throw syntaxError(e, source);
        }
    }

    private static ConfigProblems syntaxError(ConfigException e, String source) {
        // Typesafe's message starts with "<origin>: <line>: "; keep it as "<source>:<line>: ".
        Matcher m = TYPESAFE_LOCATION.matcher(e.getMessage());
        String line = m.matches() ? source + ":" + m.group(2) + ": " + oneLine(m.group(3))
                : source + ": " + oneLine(e.getMessage());
        return new ConfigProblems(line, e);
    }

    /** The underlying config, for checks this class has no getter for. */
    public Config config() {
        return c;
    }

    public boolean has(String key) {
        return c.hasPath(key);
    }

    /** The full name of {@code key} here ({@code nodes[1].rank}). */
    private String path(String key) {
        return prefix + key;
    }

    // ---- problems

    /** Records that {@code key} {@code problem} ("must be ..., got ..."). */
    public void error(String key, String problem) {
        problems.add(location(key) + (source == null ? path(key) + ": " : "key '" + path(key) + "' ") + problem);
    }

    /** Records a problem another parser described in its own words. */
    public void errorIn(String key, String message) {
        problems.add(location(key) + (source == null ? path(key) : "key '" + path(key) + "'") + ": " + message);
    }

    /** Records a problem that is about this object rather than one key ({@code node name 'a' is used twice}). */
    public void problem(String text) {
        problems.add(location(c.origin()) + text);
    }

    private void missing(String key) {
        problems.add(location(key) + (source == null ? path(key) + ": missing" : "missing key '" + path(key) + "'"));
    }

    /** Throws one exception listing every problem found, one per line. */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigProblems(problems);
        }
    }

    /** Where {@code key} was written: {@code file:line: }, or empty for settings. */
    private String location(String key) {
        return location(key != null && c.hasPath(key) ? c.getValue(key).origin() : c.origin());
    }

    private String location(ConfigOrigin origin) {
        if (source == null) {
            return "";
        }
        // A value from an included file is reported in that file.
        String file = origin.filename() != null ? Path.of(origin.filename()).getFileName().toString() : source;
        return file + (origin.lineNumber() > 0 ? ":" + origin.lineNumber() : "") + ": ";
    }

    /**
     * Records every key not in {@code known}. A key that is valid elsewhere ({@code elsewhere}:
     * key to the reason) is refused with that reason rather than as a typo.
     */
    public void refuseUnknown(Set<String> known, Map<String, String> elsewhere) {
        for (String key : new TreeSet<>(c.root().keySet())) {
            if (known.contains(key)) {
                continue;
            }
            String where = location(c.root().get(key).origin());
            String name = source == null ? path(key) : "key '" + path(key) + "'";
            if (elsewhere.containsKey(key)) {
                problems.add(where + name + " " + elsewhere.get(key));
            } else {
                problems.add(where + (source == null ? name + ": unknown key" : "unknown " + name) + "; valid: "
                        + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    public void refuseUnknown(Set<String> known) {
        refuseUnknown(known, Map.of());
    }

    // ---- nested objects

    /**
     * The object at {@code key} with its unknown keys refused; an empty object when it is absent
     * (so its getters give their fallbacks) or not an object (recorded).
     */
    public ConfigReader child(String key, Set<String> known, Map<String, String> elsewhere) {
        Config nested = ConfigFactory.empty();
        if (c.hasPath(key)) {
            if (c.getValue(key).valueType() == ConfigValueType.OBJECT) {
                nested = c.getConfig(key);
            } else {
                error(key, "must be an object { ... }, got " + raw(key));
            }
        }
        ConfigReader r = new ConfigReader(nested, source, path(key) + ".", problems);
        r.refuseUnknown(known, elsewhere);
        return r;
    }

    public ConfigReader child(String key, Set<String> known) {
        return child(key, known, Map.of());
    }

    /** The required list of objects at {@code key}, each a reader named {@code key[i]}. */
    public List<ConfigReader> objects(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return List.of();
        }
        List<? extends Config> entries;
        try {
            entries = c.getConfigList(key);
        } catch (ConfigException e) {
            error(key, "must be a list of objects [{ ... }, ...], got " + raw(key));
            return List.of();
        }
        List<ConfigReader> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            out.add(new ConfigReader(entries.get(i), source, path(key) + "[" + i + "].", problems));
        }
        return out;
    }

    // ---- values

    /** A required non-blank string, stripped. */
    public String string(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return "";
        }
        ConfigValueType type = c.getValue(key).valueType();
        if (type == ConfigValueType.OBJECT || type == ConfigValueType.LIST) {
            error(key, "must be a string, got " + raw(key));
            return "";
        }
        String s = c.getString(key).strip();
        if (s.isEmpty()) {
            error(key, "must not be empty");
        }
        return s;
    }

    public String string(String key, String fallback) {
        return c.hasPath(key) ? string(key) : fallback;
    }

    /** A required integer of at least {@code min}. */
    public int atLeast(String key, int min) {
        long v = longAtLeast(key, min);
        if (v > Integer.MAX_VALUE) {
            error(key, "must be an integer >= " + min + ", got " + raw(key));
            return min;
        }
        return (int) v;
    }

    /** An integer of at least {@code min}, or {@code fallback} when absent. */
    public int atLeast(String key, int fallback, int min) {
        return c.hasPath(key) ? atLeast(key, min) : fallback;
    }

    public long longValue(String key, long fallback) {
        if (!c.hasPath(key)) {
            return fallback;
        }
        try {
            return c.getLong(key);
        } catch (ConfigException e) {
            error(key, "must be an integer, got " + raw(key));
            return fallback;
        }
    }

    /** A required integer of at least {@code min}, for counts beyond {@code int}. */
    public long longAtLeast(String key, long min) {
        if (!c.hasPath(key)) {
            missing(key);
            return min;
        }
        try {
            long v = c.getLong(key);
            if (v < min) {
                error(key, "must be >= " + min + ", got " + v);
                return min;
            }
            return v;
        } catch (ConfigException e) {
            error(key, "must be an integer >= " + min + ", got " + raw(key));
            return min;
        }
    }

    /** A finite number of at least 0, or {@code fallback} when absent. */
    public double nonNegative(String key, double fallback) {
        if (!c.hasPath(key)) {
            return fallback;
        }
        Double v = number(key);
        if (v == null || !(v >= 0) || v.isInfinite()) {
            if (v != null) {
                error(key, "must be a number >= 0, got " + raw(key));
            }
            return fallback;
        }
        return v;
    }

    /** A required finite number above 0. */
    public double positive(String key) {
        Double v = number(key);
        if (v == null) {
            return 1;
        }
        if (!(v > 0) || v.isInfinite()) {
            error(key, "must be a positive number, got " + raw(key));
            return 1;
        }
        return v;
    }

    /** A finite number above 0, or {@code fallback} when absent. */
    public double positive(String key, double fallback) {
        return c.hasPath(key) ? positive(key) : fallback;
    }

    /** A required finite number in {@code (0, max]}. */
    public double positiveAtMost(String key, double max) {
        double v = positive(key);
        if (v > max) {
            error(key, "must be in (0, " + max + "], got " + raw(key));
            return max;
        }
        return v;
    }

    private Double number(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return null;
        }
        try {
            return c.getDouble(key);
        } catch (ConfigException e) {
            error(key, "must be a number, got " + raw(key));
            return null;
        }
    }

    /** A positive duration ({@code 120s}, {@code 10m}) in milliseconds, or {@code fallbackMs} when absent. */
    public long durationMs(String key, long fallbackMs) {
        if (!c.hasPath(key)) {
            return fallbackMs;
        }
        try {
            long ms = c.getDuration(key, TimeUnit.MILLISECONDS);
            if (ms <= 0) {
                error(key, "must be a positive duration, got " + raw(key));
                return fallbackMs;
            }
            return ms;
        } catch (ConfigException e) {
            error(key, "must be a duration such as 120s or 10m, got " + raw(key));
            return fallbackMs;
        }
    }

    /** A required positive size in bytes ({@code 4 GiB}, {@code 512 MiB}). */
    public long bytes(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return 1;
        }
        try {
            long b = c.getBytes(key);
            if (b <= 0) {
                error(key, "must be a positive size, got " + b + " bytes");
                return 1;
            }
            return b;
        } catch (ConfigException e) {
            error(key, "must be a size in bytes such as 4 GiB or 512 MiB, got " + raw(key));
            return 1;
        }
    }

    /** A required port number; 0 asks the system for a free one. */
    public int port(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return 0;
        }
        double p;
        try {
            p = c.getDouble(key);
        } catch (ConfigException e) {
            p = -1;
        }
        if (p < 0 || p > 65535 || p != Math.rint(p)) {
            error(key, "must be a port number 0..65535, got " + raw(key));
            return 0;
        }
        return (int) p;
    }

    /** A non-empty list of positive integers, sorted and without repeats, or {@code fallback} when absent. */
    public List<Integer> positiveInts(String key, List<Integer> fallback) {
        if (!c.hasPath(key)) {
            return fallback;
        }
        List<Integer> values;
        try {
            values = c.getIntList(key);
        } catch (ConfigException e) {
            error(key, "must be a non-empty list of positive integers, got " + raw(key));
            return fallback;
        }
        if (values.isEmpty() || values.stream().anyMatch(v -> v <= 0)) {
            error(key, "must be a non-empty list of positive integers, got " + values);
            return fallback;
        }
        return List.copyOf(new TreeSet<>(values));
    }

    /**
     * A required list of strings, or one comma-separated string (how an environment variable can
     * give a list); blank entries are dropped.
     */
    public List<String> strings(String key) {
        if (!c.hasPath(key)) {
            missing(key);
            return List.of();
        }
        try {
            if (c.getValue(key).valueType() == ConfigValueType.LIST) {
                return c.getStringList(key).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            }
            return Arrays.stream(c.getString(key).split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (ConfigException e) {
            error(key, "must be a list of strings, got " + raw(key));
            return List.of();
        }
    }

    /**
     * The value at {@code key} read by {@code parser} (a string, or a list given to it
     * comma-separated: {@code [q, v]} reads as {@code "q,v"}); {@code fallback} is parsed when
     * the key is absent. A parser's {@link IllegalArgumentException} is recorded in its words,
     * and then null is returned.
     */
    public <T> T parsed(String key, Function<String, T> parser, String fallback) {
        if (!c.hasPath(key)) {
            return parser.apply(fallback);
        }
        return parsed(key, parser);
    }

    /** As {@link #parsed(String, Function, String)} for a required key. */
    public <T> T parsed(String key, Function<String, T> parser) {
        if (!c.hasPath(key)) {
            missing(key);
            return null;
        }
        String text = c.getValue(key).valueType() == ConfigValueType.LIST ? String.join(",", strings(key)) : string(key);
        if (text.isEmpty()) {
            return null;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            errorIn(key, e.getMessage());
            return null;
        }
    }

    /**
     * The constant of {@code values} whose {@code keyOf} equals the value (ignoring case), or
     * {@code fallback} when absent.
     */
    public <E extends Enum<E>> E oneOf(String key, List<E> values, Function<E, String> keyOf, E fallback) {
        if (!c.hasPath(key)) {
            return fallback;
        }
        String text = string(key);
        for (E v : values) {
            if (keyOf.apply(v).equalsIgnoreCase(text)) {
                return v;
            }
        }
        if (!text.isEmpty()) {
            error(key, "must be one of " + String.join(", ", values.stream().map(keyOf).toList()) + ", got " + raw(key));
        }
        return fallback;
    }

    /** The value at {@code key} as written, for messages; strings are quoted. */
    public String raw(String key) {
        try {
            ConfigValue v = c.getValue(key);
            Object u = v.unwrapped();
            return v.valueType() == ConfigValueType.STRING ? "'" + u + "'" : String.valueOf(u);
        } catch (ConfigException e) {
            return "?";
        }
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
