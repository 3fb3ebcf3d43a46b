package io.fedpipe.cluster.wire;


import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Every class that may appear on the wire, with its fixed Kryo id.
 *
 * <p>The wire format owns ids 20..49 (the JDK arrays and read-only collections, actor
 * references); the application's classes, ids from {@value #FIRST_CATALOG_ID}, come from a
 * {@link Catalog} named by {@value #CATALOG_KEY}. The catalog lives with the code that wires the
 * roles together, so this package knows no role and every role may depend on it.
 *
 * <p>Kryo writes these ids instead of class names, so the list must be identical on every node
 * of a cluster (same FedPipe build); {@link #fingerprint()} summarises it for the start-up log.
 * Ids are never reused: a removed class leaves a gap. Kryo pre-registers the primitives and
 * String below id 10. Records use Kryo's record serializer (canonical constructor, so their
 * validation runs on arrival); read-only JDK collections use {@link ReadOnlyCollectionSerializers};
 * actor references travel as their serialized path.
 */
public final class WireRegistry {

    /** The config key naming the {@link Catalog} class. */
    public static final String CATALOG_KEY = "fedpipe.wire.registry";

    /** The lowest id a catalog may use; those below belong to the wire format itself. */
    public static final int FIRST_CATALOG_ID = 50;

    /** One registered class; {@code serializer} is null for Kryo's default (records, enums, arrays). */
    public record Entry(int id, Class<?> type, Function<ActorRefResolver, Serializer<?>> serializer) {}

    /**
     * The application's wire classes with their ids; an implementation has a public no-argument
     * constructor, as it is created from its name in {@value #CATALOG_KEY}.
     */
    public interface Catalog {
        List<Entry> entries();
    }

    private final String catalogName;
    private final List<Entry> entries;

    private WireRegistry(String catalogName, List<Entry> entries) {
        this.catalogName = catalogName;
        this.entries = entries;
    }

    /** The wire format's own entries followed by {@code catalog}'s. */
    public static WireRegistry of(Catalog catalog) {
        List<Entry> e = new ArrayList<>(formatEntries());
        for (Entry x : catalog.entries()) {
            if (x.id() < FIRST_CATALOG_ID) {
                throw new IllegalStateException("wire registry: " + catalog.getClass().getName() + " lists "
                        + x.type().getName() + " with id " + x.id() + "; catalog ids start at " + FIRST_CATALOG_ID);
            }
            e.add(x);
        }
        checkUnique(e);
        return new WireRegistry(catalog.getClass().getName(), List.copyOf(e));
    }

    /** The registry whose catalog {@code config} names under {@value #CATALOG_KEY}. */
    public static WireRegistry fromConfig(Config config) {
        String name;
        try {
            name = config.getString(CATALOG_KEY);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(CATALOG_KEY + " must name a " + Catalog.class.getName() + " class", e);
        }
        Object catalog;
        try {
            catalog = Class.forName(name, true, WireRegistry.class.getClassLoader()).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalArgumentException(CATALOG_KEY + ": cannot create " + name + " (" + e + ")", e);
        }
        if (!(catalog instanceof Catalog c)) {
            throw new IllegalArgumentException(CATALOG_KEY + ": " + name + " is not a " + Catalog.class.getName());
        }
        return of(c);
    }

    /** The JDK types (20..49) every message may contain. */
    private static List<Entry> formatEntries() {
        List<Entry> e = new ArrayList<>();
        e.add(new Entry(20, long[].class, null));
        e.add(new Entry(21, float[].class, null));
        e.add(new Entry(22, int[].class, null));
        e.add(new Entry(23, double[].class, null));
        e.add(new Entry(24, byte[].class, null));
        e.add(new Entry(26, List.of().getClass(), r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(27, List.of(0).getClass(), r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(28, Collections.unmodifiableList(new ArrayList<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(29, Map.of().getClass(), r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(30, Map.of(0, 0).getClass(), r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(31, Collections.unmodifiableMap(new HashMap<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(32, Set.of().getClass(), r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(33, Set.of(0).getClass(), r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(34, Collections.unmodifiableSet(new HashSet<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(35, ActorRef.class, ActorRefSerializer::new));
        return e;
    }

    private static void checkUnique(List<Entry> entries) {
        Set<Integer> ids = new HashSet<>();
        Set<Class<?>> types = new HashSet<>();
        for (Entry x : entries) {
            if (x.id() < 20 || !ids.add(x.id()) || !types.add(x.type())) {
                throw new IllegalStateException("wire registry: id " + x.id() + " or class " + x.type().getName()
                        + " is listed twice or below 20");
            }
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The catalog's class name, for error messages that say where a class must be listed. */
    public String catalogName() {
        return catalogName;
    }

    /** Registers every entry on {@code kryo}; actor references are resolved with {@code resolver}. */
    void registerAll(Kryo kryo, ActorRefResolver resolver) {
        for (Entry x : entries) {
            if (x.serializer() == null) {
                kryo.register(x.type(), x.id());
            } else {
                kryo.register(x.type(), x.serializer().apply(resolver), x.id());
            }
        }
    }

    /** The first 12 hex digits of SHA-256 over "id=class" lines: equal on nodes that can talk. */
    public String fingerprint() {
        StringBuilder s = new StringBuilder();
        for (Entry x : entries) {
            s.append(x.id()).append('=').append(x.type().getName()).append('\n');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** An actor reference as its serialized path, resolved again on the receiving node. */
    private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
        private final ActorRefResolver resolver;

        ActorRefSerializer(ActorRefResolver resolver) {
            this.resolver = resolver;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, ActorRef<?> ref) {
            output.writeString(resolver.toSerializationFormat(ref));
        }

        @Override
        public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
            return resolver.resolveActorRef(input.readString());
        }
    }
}
