package io.fedpipe.model.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator of an ONNX graph ({@code NodeProto}): its type, the value names it reads
 * and writes (an empty name is an omitted optional input), and its attributes.
 */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Map.copyOf(attributes);
    }

    /** Decodes a {@code NodeProto}: input=1, output=2, name=3, op_type=4, attribute=5 (onnx.proto). */
    static OnnxNode parse(ProtoReader in) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        String name = "";
        String opType = "";
        while (in.hasRemaining()) {
            int key = in.readKey();
            switch (ProtoReader.fieldNumber(key)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 3 -> name = in.readString();
                case 4 -> opType = in.readString();
                case 5 -> {
                    OnnxAttribute attribute = OnnxAttribute.parse(in.readMessage());
                    attributes.put(attribute.name(), attribute);
                }
                default -> in.skip(ProtoReader.wireType(key));
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }
}
