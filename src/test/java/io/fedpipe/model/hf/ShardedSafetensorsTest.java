package io.fedpipe.model.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedSafetensorsTest {

    @TempDir
    Path dir;

    /** Data sizes 40, 40, 100 and 8 bytes. */
    private static LinkedHashMap<String, HostTensor> tensors() {
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("embed.weight", filled(new long[] {2, 5}, 1));
        t.put("layer.0.q.weight", filled(new long[] {10}, 100));
        t.put("layer.0.big.weight", filled(new long[] {5, 5}, 200));
        t.put("a.bias", filled(new long[] {2}, 300));
        return t;
    }

    private static HostTensor filled(long[] shape, int start) {
        float[] data = new float[(int) HostTensor.elementCount(shape)];
        for (int i = 0; i < data.length; i++) {
            data[i] = start + i * 0.5f;
        }
        return new HostTensor(shape, data);
    }

    @Test
    void splitsAtMaxShardSizeLikeHuggingFaceAndReadsBackInOrder() throws IOException {
        List<Path> written = ShardedSafetensors.write(dir, "model", tensors(), Map.of("format", "pt"), 96);

        // 40 + 40 = 80 fits in 96; +100 does not, and 100 alone exceeds 96 so it stands alone;
        // 100 + 8 > 96 starts a third shard.
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"),
                written.stream().map(p -> p.getFileName().toString()).toList());
        SafetensorsIndex index = SafetensorsIndex.read(dir.resolve("model.safetensors.index.json"));
        assertEquals(188, index.totalSize());
        assertEquals(Map.of("embed.weight", "model-00001-of-00003.safetensors",
                "layer.0.q.weight", "model-00001-of-00003.safetensors",
                "layer.0.big.weight", "model-00002-of-00003.safetensors",
                "a.bias", "model-00003-of-00003.safetensors"), index.weightMap());
        assertEquals(Map.of("format", "pt"),
                SafetensorsFile.readHeader(dir.resolve("model-00002-of-00003.safetensors")).metadata());

        LinkedHashMap<String, HostTensor> back = ShardedSafetensors.read(dir.resolve(SafetensorsIndex.FILE_NAME));

        assertEquals(List.copyOf(tensors().keySet()), List.copyOf(back.keySet()));
        assertEquals(tensors(), back);
    }

    @Test
    void everythingInOneShardWritesASingleFileAndRemovesStaleShards() throws IOException {
        ShardedSafetensors.write(dir, "model", tensors(), Map.of(), 96);

        List<Path> written = ShardedSafetensors.write(dir, "model", tensors(), Map.of(), 1 << 20);

        assertEquals(List.of(dir.resolve("model.safetensors")), written);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(tensors(), SafetensorsFile.read(dir.resolve("model.safetensors")));
    }

    @Test
    void missingShardFileIsNamed() throws IOException {
        ShardedSafetensors.write(dir, "model", tensors(), Map.of(), 96);
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));

        String m = message();

        assertTrue(m.contains("shard file 'model-00002-of-00003.safetensors' (holding 1 tensors, e.g."
                + " 'layer.0.big.weight') does not exist in " + dir.toAbsolutePath()), m);
    }

    @Test
    void indexAndShardsMustAgreeBothWays() throws IOException {
        ShardedSafetensors.write(dir, "model", tensors(), Map.of(), 96);
        Path indexFile = dir.resolve(SafetensorsIndex.FILE_NAME);
        SafetensorsIndex index = SafetensorsIndex.read(indexFile);

        LinkedHashMap<String, String> extra = new LinkedHashMap<>(index.weightMap());
        extra.put("ghost.weight", "model-00003-of-00003.safetensors");
        new SafetensorsIndex(index.totalSize(), extra).write(indexFile);
        assertTrue(message().contains("lists tensor 'ghost.weight' in shard 'model-00003-of-00003.safetensors'"
                + " but that shard has no such tensor"), message());

        LinkedHashMap<String, String> missing = new LinkedHashMap<>(index.weightMap());
        missing.remove("layer.0.q.weight");
        new SafetensorsIndex(index.totalSize(), missing).write(indexFile);
        assertTrue(message().contains("shard 'model-00001-of-00003.safetensors' holds tensor 'layer.0.q.weight'"
                + " which the index does not list"), message());

        LinkedHashMap<String, String> moved = new LinkedHashMap<>(index.weightMap());
        moved.put("a.bias", "model-00001-of-00003.safetensors");
        new SafetensorsIndex(index.totalSize(), moved).write(indexFile);
        assertTrue(message().contains("lists tensor 'a.bias' in shard 'model-00001-of-00003.safetensors' but that"
                + " shard has no such tensor"), message());
    }

    @Test
    void indexCannotPointOutsideItsDirectory() throws IOException {
        Path indexFile = dir.resolve(SafetensorsIndex.FILE_NAME);
        Files.writeString(indexFile, "{\"metadata\":{\"total_size\":4},"
                + "\"weight_map\":{\"w\":\"../elsewhere.safetensors\"}}");

        String m = message();

        assertTrue(m.startsWith(indexFile + ": weight_map entry for tensor 'w' is \"../elsewhere.safetensors\""), m);
    }

    @Test
    void indexWithoutWeightMapIsRefused() throws IOException {
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"metadata\":{}}");

        assertTrue(message().contains("has no \"weight_map\" object"), message());
    }

    @Test
    void nonPositiveShardSizeIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> ShardedSafetensors.write(dir, "model", tensors(), Map.of(), 0));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
    }

    private String message() {
        return assertThrows(ModelFileFormatException.class,
                () -> ShardedSafetensors.read(dir.resolve(SafetensorsIndex.FILE_NAME))).getMessage();
    }
}
