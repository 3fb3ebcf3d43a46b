package io.fedpipe.model.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main graph of an ONNX model file: initializers, nodes in file order, and the names of
 * the graph inputs and outputs, read with a small protobuf wire reader (no protobuf
 * dependency).
 *
 * <p>Field numbers are those of onnx.proto (onnx/onnx, IR version 3 onward):
 * {@code ModelProto.graph = 7}; {@code GraphProto}: node 1, name 2, initializer 5, input 11,
 * output 12; {@code ValueInfoProto.name = 1}. Unknown fields are skipped, so newer files read
 * as long as they keep these. Tensors stored as external data are rejected.
 */
public final class OnnxGraph {

    private final String name;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensorProto> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    OnnxGraph(String name, List<OnnxNode> nodes, Map<String, OnnxTensorProto> initializers,
              List<String> inputs, List<String> outputs) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (OnnxNode node : this.nodes) {
            for (String output : node.outputs()) {
                producers.put(output, node);
            }
            for (String input : node.inputs()) {
                consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
            }
        }
    }

    /** Reads a model from the class path, e.g. {@code "all-minilm-l6-v2.onnx"}. */
    public static OnnxGraph readResource(String resource) throws IOException {
        ClassLoader loader = OnnxGraph.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("class path resource '" + resource + "' not found");
            }
            return parse(in.readAllBytes(), resource);
        }
    }

    /**
     * Parses a serialized {@code ModelProto}.
     *
     * @param model  the whole file
     * @param source where it came from, for error messages
     */
    public static OnnxGraph parse(byte[] model, String source) {
        ProtoReader in = new ProtoReader(model, source);
        OnnxGraph graph = null;
        while (in.hasRemaining()) {
            int key = in.readKey();
            if (ProtoReader.fieldNumber(key) == 7 && ProtoReader.wireType(key) == ProtoReader.LENGTH_DELIMITED) {
                graph = parseGraph(in.readMessage());
            } else {
                in.skip(ProtoReader.wireType(key));
            }
        }
        if (graph == null) {
            throw new OnnxFormatException(source + ": no graph (ModelProto field 7) found; is this an ONNX model?");
        }
        return graph;
    }

    private static OnnxGraph parseGraph(ProtoReader in) {
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensorProto> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        while (in.hasRemaining()) {
            int key = in.readKey();
            switch (ProtoReader.fieldNumber(key)) {
                case 1 -> nodes.add(OnnxNode.parse(in.readMessage()));
                case 2 -> name = in.readString();
                case 5 -> {
                    OnnxTensorProto tensor = OnnxTensorProto.parse(in.readMessage());
                    if (initializers.put(tensor.name(), tensor) != null) {
                        throw in.error("initializer '" + tensor.name() + "' appears twice");
                    }
                }
                case 11 -> inputs.add(valueInfoName(in.readMessage()));
                case 12 -> outputs.add(valueInfoName(in.readMessage()));
                default -> in.skip(ProtoReader.wireType(key));
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }

    private static String valueInfoName(ProtoReader in) {
        String name = "";
        while (in.hasRemaining()) {
            int key = in.readKey();
            if (ProtoReader.fieldNumber(key) == 1) {
                name = in.readString();
            } else {
                in.skip(ProtoReader.wireType(key));
            }
        }
        return name;
    }

    public String name() {
        return name;
    }

    /** Nodes in file order (ONNX requires topological order). */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensorProto> initializers() {
        return initializers;
    }

    /** Graph input names; in IR versions before 4 these include the initializers. */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The node that writes a value, or null for graph inputs, initializers and unknown names. */
    public OnnxNode producerOf(String value) {
        return producers.get(value);
    }

    /** The nodes that read a value, in file order. */
    public List<OnnxNode> consumersOf(String value) {
        return Collections.unmodifiableList(consumers.getOrDefault(value, List.of()));
    }
}
