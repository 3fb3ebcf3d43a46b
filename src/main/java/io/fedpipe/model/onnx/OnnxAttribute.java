package io.fedpipe.model.onnx;

/**
 * One node attribute ({@code AttributeProto}): the scalar, string, tensor and repeated
 * numeric forms; sub-graphs are not decoded (BERT exports have none).
 *
 * @param name    attribute name, e.g. {@code epsilon}
 * @param type    {@code AttributeProto.AttributeType} code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS)
 * @param f       value of a FLOAT attribute
 * @param i       value of an INT attribute
 * @param s       value of a STRING attribute (UTF-8), or empty
 * @param t       value of a TENSOR attribute, or null
 * @param floats  values of a FLOATS attribute
 * @param ints    values of an INTS attribute
 */
public record OnnxAttribute(String name, int type, float f, long i, String s, OnnxTensorProto t,
                            float[] floats, long[] ints) {

    /** Decodes an {@code AttributeProto}; field numbers from onnx.proto. */
    static OnnxAttribute parse(ProtoReader in) {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = "";
        OnnxTensorProto t = null;
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        ProtoReader.LongList ints = new ProtoReader.LongList();
        while (in.hasRemaining()) {
            int key = in.readKey();
            int wire = ProtoReader.wireType(key);
            switch (ProtoReader.fieldNumber(key)) {
                case 1 -> name = in.readString();
                case 2 -> f = Float.intBitsToFloat(in.readFixed32());
                case 3 -> i = in.readVarint();
                case 4 -> s = in.readString();
                case 5 -> t = OnnxTensorProto.parse(in.readMessage());
                case 7 -> in.readRepeatedFloat(wire, floats);
                case 8 -> in.readRepeatedVarint(wire, ints);
                case 20 -> type = (int) in.readVarint();
                default -> in.skip(wire);
            }
        }
        return new OnnxAttribute(name, type, f, i, s, t, floats.toArray(), ints.toArray());
    }
}
