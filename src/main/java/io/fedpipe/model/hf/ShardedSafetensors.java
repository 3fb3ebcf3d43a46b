package io.fedpipe.model.hf;

import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Checkpoints split over several safetensors files with a {@link SafetensorsIndex}, named as
 * Hugging Face names them: {@code model-00001-of-00003.safetensors} … and
 * {@code model.safetensors.index.json}.
 *
 * <p>Reading checks the index against the shards both ways: every tensor the index lists must be
 * in the shard it names, and a shard must hold no tensor the index does not assign to it. Tensors
 * come back shard by shard in file-name order, each shard in data order, so a checkpoint this
 * class wrote reads back in the order it was given.
 *
 * <p>Writing fills shards in iteration order and starts a new one when the next tensor would push
 * the current shard's data past {@code maxShardBytes} (a tensor larger than that gets a shard of
 * its own), which is Hugging Face's {@code save_pretrained} rule. If everything fits in one shard
 * it writes a single {@code model.safetensors} and no index, as Hugging Face does.
 */
public final class ShardedSafetensors {

    private ShardedSafetensors() {}

    /** Reads every tensor of the checkpoint whose index is {@code indexFile}. */
    public static LinkedHashMap<String, HostTensor> read(Path indexFile) throws IOException {
        SafetensorsIndex index = SafetensorsIndex.read(indexFile);
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, Set<String>> namesByShard = new TreeMap<>();
        index.weightMap().forEach((name, shard) ->
                namesByShard.computeIfAbsent(shard, s -> new LinkedHashSet<>()).add(name));
        for (Map.Entry<String, Set<String>> e : namesByShard.entrySet()) {
            if (!Files.isRegularFile(dir.resolve(e.getKey()))) {
                throw SafetensorsHeader.bad(indexFile, "shard file '" + e.getKey() + "' (holding "
                        + e.getValue().size() + " tensors, e.g. '" + e.getValue().iterator().next()
                        + "') does not exist in " + dir);
            }
        }
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Set<String>> e : namesByShard.entrySet()) {
            Path shardFile = dir.resolve(e.getKey());
            LinkedHashMap<String, HostTensor> shard = SafetensorsFile.read(shardFile);
            for (String expected : e.getValue()) {
                if (!shard.containsKey(expected)) {
                    throw SafetensorsHeader.bad(indexFile, "lists tensor '" + expected + "' in shard '" + e.getKey()
                            + "' but that shard has no such tensor");
                }
            }
            for (Map.Entry<String, HostTensor> t : shard.entrySet()) {
                if (!e.getValue().contains(t.getKey())) {
                    String listed = index.weightMap().get(t.getKey());
                    throw SafetensorsHeader.bad(indexFile, "shard '" + e.getKey() + "' holds tensor '" + t.getKey()
                            + "' which the index " + (listed == null ? "does not list" : "places in '" + listed + "'"));
                }
                tensors.put(t.getKey(), t.getValue());
            }
        }
        return tensors;
    }

    /**
     * Writes {@code tensors} into {@code dir} as {@code baseName.safetensors} or as shards plus
     * index, first deleting any {@code baseName} checkpoint files already there (a stale single
     * file would otherwise shadow a new sharded one). Returns the files written, index last.
     *
     * @param metadata stored in every shard's header
     * @param maxShardBytes data bytes per shard before a new shard starts; must be positive
     */
    public static List<Path> write(Path dir, String baseName, Map<String, HostTensor> tensors,
            Map<String, String> metadata, long maxShardBytes) throws IOException {
        return write(dir, baseName, tensors, metadata, maxShardBytes, SafetensorsDtype.F32);
    }

    /**
     * As {@link #write(Path, String, Map, Map, long)}, storing every tensor as {@code dtype} (F32,
     * F16 or BF16); shard sizes count the bytes in that dtype.
     */
    public static List<Path> write(Path dir, String baseName, Map<String, HostTensor> tensors,
            Map<String, String> metadata, long maxShardBytes, SafetensorsDtype dtype) throws IOException {
        // Checked before the old checkpoint is deleted, so a refused value leaves the directory as it was.
        SafetensorsFile.requireStorable(tensors, dtype);
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        if (!SafetensorsIndex.isPlainFileName(baseName)) {
            throw new IllegalArgumentException("baseName must be a plain file name, got '" + baseName + "'");
        }
        Files.createDirectories(dir);
        deleteCheckpointFiles(dir, baseName);
        List<Map<String, HostTensor>> shards = planShards(tensors, maxShardBytes, dtype);
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            Path single = dir.resolve(baseName + ".safetensors");
            SafetensorsFile.write(single, shards.isEmpty() ? Map.of() : shards.get(0), metadata, dtype);
            written.add(single);
            return written;
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        long totalSize = 0;
        for (int i = 0; i < shards.size(); i++) {
            String shardName = shardFileName(baseName, i + 1, shards.size());
            Path shardFile = dir.resolve(shardName);
            SafetensorsFile.write(shardFile, shards.get(i), metadata, dtype);
            written.add(shardFile);
            for (Map.Entry<String, HostTensor> t : shards.get(i).entrySet()) {
                weightMap.put(t.getKey(), shardName);
                totalSize += SafetensorsFile.dataBytes(t.getValue(), dtype);
            }
        }
        Path indexFile = dir.resolve(baseName + ".safetensors.index.json");
        new SafetensorsIndex(totalSize, weightMap).write(indexFile);
        written.add(indexFile);
        return written;
    }

    /** {@code model-00002-of-00003.safetensors} for {@code ("model", 2, 3)}. */
    public static String shardFileName(String baseName, int shard, int shardCount) {
        return String.format("%s-%05d-of-%05d.safetensors", baseName, shard, shardCount);
    }

    static List<Map<String, HostTensor>> planShards(Map<String, HostTensor> tensors, long maxShardBytes,
            SafetensorsDtype dtype) {
        List<Map<String, HostTensor>> shards = new ArrayList<>();
        Map<String, HostTensor> current = new LinkedHashMap<>();
        long currentBytes = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            long bytes = SafetensorsFile.dataBytes(e.getValue(), dtype);
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    private static void deleteCheckpointFiles(Path dir, String baseName) throws IOException {
        Pattern shard = Pattern.compile(Pattern.quote(baseName) + "-\\d{5}-of-\\d{5}\\.safetensors");
        Files.deleteIfExists(dir.resolve(baseName + ".safetensors"));
        Files.deleteIfExists(dir.resolve(baseName + ".safetensors.index.json"));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (shard.matcher(f.getFileName().toString()).matches()) {
                    Files.delete(f);
                }
            }
        }
    }
}
