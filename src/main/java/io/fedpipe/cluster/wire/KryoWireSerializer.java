package io.fedpipe.cluster.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.Pool;
import java.util.function.Supplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * FedPipe's wire format: Kryo with registration required (docs/decisions/0007).
 *
 * <p>Only classes listed in the {@link WireRegistry} (its catalog is named by
 * {@code fedpipe.wire.registry}) are written or read; anything else is refused
 * with a {@link WireFormatException} naming the class, which Pekko logs while the node goes on.
 * Messages above {@code fedpipe.wire.max-message-bytes} are refused the same way, so an adapter
 * slice that is too big is an error in the sender's log naming its class, not a silent drop
 * further down in Artery. Kryo instances are not thread-safe: they come from a pool.
 */
public final class KryoWireSerializer extends JSerializer {

    /** Fixed for the life of the format: it is written into every envelope. */
    public static final int IDENTIFIER = 7_260_407;

    private final int maxBytes;
    private final WireRegistry registry;
    private final Pool<Kryo> pool;

    /** The constructor Pekko calls. */
    public KryoWireSerializer(ExtendedActorSystem system) {
        this(WireSettings.fromConfig(system.settings().config()), WireRegistry.fromConfig(system.settings().config()),
                new Memo<>(() -> ActorRefResolver.get(Adapter.toTyped(system))));
    }

    /**
     * @param resolver supplies the resolver for actor references on first use (the extension is
     *                 not touched while Pekko is still creating its serializers)
     */
    KryoWireSerializer(WireSettings settings, WireRegistry registry, Supplier<ActorRefResolver> resolver) {
        this.maxBytes = settings.maxMessageBytes();
        this.registry = registry;
        this.pool = new Pool<>(true, false, 16) {
            @Override
            protected Kryo create() {
                return newKryo(registry, resolver.get());
            }
        };
    }

    static Kryo newKryo(WireRegistry registry, ActorRefResolver resolver) {
        // No reference tracking: messages are trees of records, and it costs a lookup per object.
        Kryo kryo = new Kryo(new WireClassResolver(), null);
        kryo.setRegistrationRequired(true);
        // Classes without a no-arg constructor (records are built through their canonical one).
        kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        registry.registerAll(kryo, resolver);
        return kryo;
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    @Override
    public byte[] toBinary(Object message) {
        Kryo kryo = pool.obtain();
        try {
            Output out = new Output(Math.min(4096, maxBytes), maxBytes);
            kryo.writeClassAndObject(out, message);
            return out.toBytes();
        } catch (KryoBufferOverflowException e) {
            throw new WireFormatException("wire: refusing " + message.getClass().getName() + ": it is larger than "
                    + WireSettings.MAX_MESSAGE_BYTES + " (" + maxBytes + " bytes); split it into chunks or raise "
                    + "that limit together with " + WireSettings.MAX_LARGE_FRAME, e);
        } catch (RuntimeException e) {
            throw new WireFormatException("wire: refusing " + message.getClass().getName() + ": " + reason(e), e);
        } finally {
            pool.free(kryo);
        }
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        Kryo kryo = pool.obtain();
        try {
            return kryo.readClassAndObject(new Input(bytes));
        } catch (RuntimeException e) {
            throw new WireFormatException("wire: cannot read a " + bytes.length + "-byte message: " + reason(e), e);
        } finally {
            pool.free(kryo);
        }
    }

    /** The innermost cause, stated for a person: Kryo's own text names the class and the field path. */
    private String reason(RuntimeException e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (m.startsWith("Class is not registered: ")) {
            String cls = m.substring("Class is not registered: ".length()).lines().findFirst().orElse("?");
            m = "class " + cls + " is not registered in " + registry.catalogName()
                    + " (every wire class needs a fixed id there)";
        }
        String trace = e instanceof KryoException k && k != t ? traceOf(k) : "";
        return m.lines().findFirst().orElse(m) + trace;
    }

    private static String traceOf(KryoException k) {
        String m = k.getMessage();
        int i = m == null ? -1 : m.indexOf("Serialization trace:");
        return i < 0 ? "" : " [" + m.substring(i + "Serialization trace:".length()).strip().replace('\n', ' ') + "]";
    }

    /**
     * Maps every typed actor reference implementation to the one {@link ActorRef} registration:
     * their concrete classes are Pekko internals, and registration-required would refuse them.
     */
    static final class WireClassResolver extends DefaultClassResolver {
        @Override
        @SuppressWarnings("rawtypes") // Kryo's signature
        public Registration getRegistration(Class type) {
            Registration r = super.getRegistration(type);
            if (r == null && type != null && ActorRef.class.isAssignableFrom(type)) {
                r = super.getRegistration(ActorRef.class);
            }
            return r;
        }
    }

    /** Computes once, on first use. */
    private static final class Memo<T> implements Supplier<T> {
        private final Supplier<T> source;
        private volatile T value;

        Memo(Supplier<T> source) {
            this.source = source;
        }

        @Override
        public T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        v = source.get();
                        value = v;
                    }
                }
            }
            return v;
        }
    }
}
