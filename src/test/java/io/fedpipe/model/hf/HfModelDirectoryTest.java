package io.fedpipe.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelDirectoryTest {

    @TempDir
    Path tmp;

    private static ObjectNode config() throws IOException {
        return (ObjectNode) new ObjectMapper().readTree("{\"architectures\":[\"GPT2LMHeadModel\"],"
                + "\"model_type\":\"gpt2\",\"n_embd\":8,\"n_layer\":2,\"layer_norm_epsilon\":1e-05,"
                + "\"task_specific_params\":{\"text-generation\":{\"do_sample\":true,\"max_length\":50}}}");
    }

    private static LinkedHashMap<String, HostTensor> weights() {
        Random random = new Random(5);
        LinkedHashMap<String, HostTensor> w = new LinkedHashMap<>();
        for (String name : List.of("wte.weight", "h.0.attn.c_attn.weight", "h.0.ln_1.bias", "h.1.mlp.c_fc.weight")) {
            float[] data = new float[24];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) random.nextGaussian();
            }
            w.put(name, new HostTensor(new long[] {4, 6}, data));
        }
        return w;
    }

    private Path source() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("tok"));
        Files.writeString(src.resolve("tokenizer.json"), "{\"version\":\"1.0\"}");
        Files.writeString(src.resolve("special_tokens_map.json"), "{\"eos_token\":\"<|endoftext|>\"}");
        return src;
    }

    @Test
    void writeThenReadGivesIdenticalConfigTensorsAndTokenizerFiles() throws IOException {
        Path src = source();
        Path out = tmp.resolve("single");

        List<Path> written = HfModelDirectory.write(out, config(), weights(),
                List.of(src.resolve("tokenizer.json"), src.resolve("special_tokens_map.json")), 1L << 30);
        HfModelDirectory model = HfModelDirectory.read(out);

        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json", "special_tokens_map.json"),
                written.stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(config(), model.config());
        assertEquals(weights(), model.weights());
        assertEquals(List.copyOf(weights().keySet()), List.copyOf(model.weights().keySet()));
        assertEquals(Optional.of(out.resolve("tokenizer.json")), model.tokenizerJson());
        assertEquals(List.of(out.resolve("tokenizer.json"), out.resolve("special_tokens_map.json")),
                model.tokenizerFiles());
        assertEquals("{\"eos_token\":\"<|endoftext|>\"}", Files.readString(out.resolve("special_tokens_map.json")));
        assertEquals(Map.of("format", "pt"), SafetensorsFile.readHeader(out.resolve("model.safetensors")).metadata());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\n  \"model_type\""), "pretty config");
    }

    @Test
    void shardedDirectoryRoundTripsAndRewritesAsSingleFile() throws IOException {
        Path sharded = tmp.resolve("sharded");
        // Each tensor holds 96 bytes; 200 bytes per shard gives shards of 2 + 2 tensors.
        HfModelDirectory.write(sharded, config(), weights(), List.of(), 200);
        assertTrue(Files.exists(sharded.resolve("model-00002-of-00002.safetensors")));

        HfModelDirectory model = HfModelDirectory.read(sharded);
        assertEquals(weights(), model.weights());
        assertEquals(Optional.empty(), model.tokenizerJson());

        model.writeTo(sharded, 1L << 30);
        assertTrue(Files.notExists(sharded.resolve("model.safetensors.index.json")));
        assertTrue(Files.notExists(sharded.resolve("model-00001-of-00002.safetensors")));
        assertEquals(weights(), HfModelDirectory.read(sharded).weights());
    }

    @Test
    void missingConfigIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("noconfig"));
        SafetensorsFile.write(dir.resolve("model.safetensors"), weights(), Map.of());

        assertEquals(dir + ": no config.json (a Hugging Face model directory needs one)", message(dir));
    }

    @Test
    void missingWeightsNameBothFilesLookedFor() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("noweights"));
        Files.writeString(dir.resolve("config.json"), "{}");

        assertEquals(dir + ": no weights: looked for model.safetensors and model.safetensors.index.json",
                message(dir));

        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {0});
        assertTrue(message(dir).endsWith("it has pytorch_model.bin, which FedPipe does not read"
                + " (convert it to safetensors)"), message(dir));
    }

    @Test
    void badConfigJsonIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("badconfig"));
        Files.writeString(dir.resolve("config.json"), "{\"n_layer\": 2,");

        String m = message(dir);

        assertTrue(m.startsWith(dir.resolve("config.json") + ": not valid JSON"), m);
    }

    @Test
    void configMayHoldPythonNonFiniteNumbers() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("nan"));
        Files.writeString(dir.resolve("config.json"), "{\"clip\": Infinity}");
        SafetensorsFile.write(dir.resolve("model.safetensors"), weights(), Map.of());

        assertEquals(Double.POSITIVE_INFINITY, HfModelDirectory.read(dir).config().get("clip").doubleValue());
    }

    @Test
    void damagedWeightsFileIsNamedThroughTheDirectory() throws IOException {
        Path dir = tmp.resolve("damaged");
        HfModelDirectory.write(dir, config(), weights(), List.of(), 1L << 30);
        Path weightsFile = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weightsFile);
        Files.write(weightsFile, java.util.Arrays.copyOf(bytes, bytes.length - 1));

        String m = message(dir);

        assertTrue(m.startsWith(weightsFile + ": tensor 'h.1.mlp.c_fc.weight' data ends at byte " + bytes.length
                + " but the file has " + (bytes.length - 1) + " bytes"), m);
    }

    @Test
    void configAccessorIsACopy() throws IOException {
        Path dir = tmp.resolve("copy");
        HfModelDirectory.write(dir, config(), weights(), List.of(), 1L << 30);
        HfModelDirectory model = HfModelDirectory.read(dir);

        model.config().put("n_layer", 99);

        assertEquals(2, model.config().get("n_layer").intValue());
        assertArrayEquals(new long[] {4, 6}, model.weights().get("wte.weight").shape());
    }

    private static String message(Path dir) {
        return assertThrows(ModelFileFormatException.class, () -> HfModelDirectory.read(dir)).getMessage();
    }
}
