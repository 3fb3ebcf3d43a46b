package io.fedpipe.model.onnx;

import io.fedpipe.core.TransformerConfig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MiniLmOnnxImporterTest {

    /** WordPiece ids (bert-base-uncased vocabulary) of "[CLS] hello world [SEP]". */
    private static final long[] HELLO_WORLD = {101, 7592, 2088, 102};
    /** "[CLS] the cat sat on the mat. [SEP]". */
    private static final long[] CAT_SAT = {101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102};
    /** "[CLS] hello world [SEP] the cat sat on the mat. [SEP]" is this long. */
    private static final int SEQ = HELLO_WORLD.length + CAT_SAT.length - 1;

    private static OnnxGraph graph;
    private static ImportedBert imported;
    private static OnnxReference reference;

    @BeforeAll
    static void importOnce() throws Exception {
        graph = OnnxGraph.readResource(MiniLmOnnxImporter.MODEL_RESOURCE);
        imported = MiniLmOnnxImporter.fromGraph(graph);
        reference = OnnxReference.open();
    }

    @AfterAll
    static void closeReference() throws Exception {
        reference.close();
    }

    @Test
    void configComesFromTheGraph() {
        assertEquals(TransformerConfig.miniLmL6(), imported.config());
        assertEquals(32, imported.config().headDim());
    }

    @Test
    void stateDictHasHuggingFaceNamesShapesAndOrder() {
        LinkedHashMap<String, HostTensor> weights = imported.weights();
        // 5 embedding tensors + 6 layers x 16 tensors; this export has no pooler.
        assertEquals(5 + 6 * 16, weights.size());
        assertEquals(22_565_376L, imported.parameterCount());
        List<String> names = new ArrayList<>(weights.keySet());
        assertEquals("embeddings.word_embeddings.weight", names.get(0));
        assertEquals("encoder.layer.0.attention.self.query.weight", names.get(5));
        assertEquals("encoder.layer.5.output.LayerNorm.bias", names.get(names.size() - 1));
        assertArrayEquals(new long[] {30522, 384}, weights.get("embeddings.word_embeddings.weight").shape());
        assertArrayEquals(new long[] {1536, 384}, weights.get("encoder.layer.3.intermediate.dense.weight").shape());
        assertArrayEquals(new long[] {384, 1536}, weights.get("encoder.layer.3.output.dense.weight").shape());
        assertTrue(names.stream().noneMatch(n -> n.startsWith("onnx::") || n.startsWith("pooler.")), names::toString);
    }

    @Test
    void linearWeightsAreTheMatMulOperandsTransposed() {
        // Follow the graph independently of the importer: the MatMul feeding the Add of the
        // layer-2 value bias holds W^T as [in, out].
        OnnxNode add = graph.consumersOf("encoder.layer.2.attention.self.value.bias").get(0);
        OnnxNode matMul = graph.producerOf(add.inputs().get(1));
        OnnxTensorProto operand = graph.initializers().get(matMul.inputs().get(1));
        float[] weight = imported.weights().get("encoder.layer.2.attention.self.value.weight").data();
        int[][] probes = {{0, 0}, {1, 0}, {0, 1}, {383, 17}, {200, 383}};
        for (int[] p : probes) {
            int out = p[0];
            int in = p[1];
            assertEquals(operand.floats()[in * 384 + out], weight[out * 384 + in], 0.0, "W[" + out + "," + in + "]");
        }
    }

    @Test
    void plainJavaForwardOfImportedWeightsMatchesOnnxRuntime() throws Exception {
        // A batch with padding (rows 0, 1) and a sentence pair using token type 1 (row 2).
        long[][] ids = {
            pad(HELLO_WORLD, SEQ),
            pad(CAT_SAT, SEQ),
            concat(HELLO_WORLD, java.util.Arrays.copyOfRange(CAT_SAT, 1, CAT_SAT.length)),
        };
        long[][] mask = new long[3][SEQ];
        long[][] types = new long[3][SEQ];
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < SEQ; t++) {
                mask[b][t] = ids[b][t] == 0 ? 0 : 1;
                types[b][t] = b == 2 && t >= HELLO_WORLD.length ? 1 : 0;
            }
        }
        float[][][] expected = reference.lastHiddenState(ids, mask, types);
        double[][][] actual = new PlainJavaBert(imported.config(), imported.weights()).forward(ids, mask, types);
        double maxDiff = 0;
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < SEQ; t++) {
                for (int h = 0; h < 384; h++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[b][t][h] - actual[b][t][h]));
                }
            }
        }
        System.out.printf("max |ORT - plain Java| over last_hidden_state = %.3e%n", maxDiff);
        assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
        // Guard against a vacuous comparison: hidden states are O(1), not near zero.
        assertTrue(Math.abs(expected[1][2][0]) + Math.abs(expected[1][2][1]) > 1e-2);
    }

    @Test
    void graphOutputIsLastHiddenState() throws Exception {
        assertEquals(List.of("last_hidden_state"), graph.outputs());
        assertEquals(Set.of(OnnxReference.OUTPUT), reference.outputNames());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), graph.inputs());
    }

    @Test
    void missingTensorIsNamedInTheError() {
        Map<String, OnnxTensorProto> initializers = new LinkedHashMap<>(graph.initializers());
        initializers.remove("encoder.layer.2.attention.output.LayerNorm.bias");
        OnnxGraph broken = new OnnxGraph(graph.name(), graph.nodes(), initializers, graph.inputs(), graph.outputs());
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> MiniLmOnnxImporter.fromGraph(broken));
        assertTrue(e.getMessage().contains("encoder.layer.2.attention.output.LayerNorm.bias missing"), e.getMessage());
    }

    @Test
    void weightWithoutNamedBiasIsRejectedNotDropped() {
        Map<String, OnnxTensorProto> initializers = new LinkedHashMap<>(graph.initializers());
        initializers.remove("encoder.layer.4.intermediate.dense.bias");
        OnnxGraph broken = new OnnxGraph(graph.name(), graph.nodes(), initializers, graph.inputs(), graph.outputs());
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> MiniLmOnnxImporter.fromGraph(broken));
        assertTrue(e.getMessage().contains("weights with no Hugging Face name") && e.getMessage().contains("[384, 1536]"),
                e.getMessage());
    }

    @Test
    void erfAndGeluMatchReferenceValues() {
        // Reference values: Python math.erf (correctly rounded to about 1 ulp); gelu(1) = Phi(1).
        assertEquals(0.0, PlainJavaBert.erf(0.0), 0.0);
        assertEquals(0.5204998778130465, PlainJavaBert.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, PlainJavaBert.erf(1.0), 1e-15);
        assertEquals(-0.9953222650189527, PlainJavaBert.erf(-2.0), 1e-15);
        assertEquals(0.9999779095030014, PlainJavaBert.erf(3.0), 1e-15);
        assertEquals(0.8413447460685429, PlainJavaBert.gelu(1.0), 1e-15);
    }

    private static long[] pad(long[] ids, int length) {
        return java.util.Arrays.copyOf(ids, length);
    }

    private static long[] concat(long[] a, long[] b) {
        long[] joined = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}
