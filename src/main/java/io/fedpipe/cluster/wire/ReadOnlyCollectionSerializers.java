package io.fedpipe.cluster.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kryo serializers for the read-only collections our records hold ({@code List.copyOf},
 * {@code Map.copyOf}, {@code Collections.unmodifiableMap}). Kryo's own collection serializers
 * rebuild a collection by calling {@code add}/{@code put} on a new instance of the same class,
 * which these classes refuse; here elements are written in iteration order and read back into
 * an insertion-ordered read-only view. Element classes go through the registry like any other.
 */
final class ReadOnlyCollectionSerializers {

    private ReadOnlyCollectionSerializers() {}

    static final class ListSerializer extends Serializer<List<Object>> {
        ListSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, List<Object> list) {
            writeElements(kryo, output, list);
        }

        @Override
        public List<Object> read(Kryo kryo, Input input, Class<? extends List<Object>> type) {
            int n = input.readVarInt(true);
            List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableList(out);
        }
    }

    static final class SetSerializer extends Serializer<Set<Object>> {
        SetSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, Set<Object> set) {
            writeElements(kryo, output, set);
        }

        @Override
        public Set<Object> read(Kryo kryo, Input input, Class<? extends Set<Object>> type) {
            int n = input.readVarInt(true);
            Set<Object> out = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                out.add(kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableSet(out);
        }
    }

    static final class MapSerializer extends Serializer<Map<Object, Object>> {
        MapSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, Map<Object, Object> map) {
            output.writeVarInt(map.size(), true);
            for (Map.Entry<Object, Object> e : map.entrySet()) {
                kryo.writeClassAndObject(output, e.getKey());
                kryo.writeClassAndObject(output, e.getValue());
            }
        }

        @Override
        public Map<Object, Object> read(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type) {
            int n = input.readVarInt(true);
            Map<Object, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                Object key = kryo.readClassAndObject(input);
                out.put(key, kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    private static void writeElements(Kryo kryo, Output output, Collection<Object> elements) {
        output.writeVarInt(elements.size(), true);
        for (Object e : elements) {
            kryo.writeClassAndObject(output, e);
        }
    }
}
