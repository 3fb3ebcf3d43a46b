package io.fedpipe.model.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads BERT hyper-parameters that live in a graph's structure rather than in tensor shapes:
 * the attention head count and the LayerNorm epsilon.
 */
final class OnnxGraphPatterns {

    /** ONNX's default {@code LayerNormalization.epsilon} (operator spec, opset 17). */
    private static final float ONNX_DEFAULT_LAYER_NORM_EPSILON = 1e-5f;

    private OnnxGraphPatterns() {}

    /**
     * The head count, read from the Reshape that splits the query projection
     * {@code [batch, seq, hidden]} into {@code [batch, seq, heads, headDim]}: the last two
     * entries of its target shape are constants even when batch and seq are dynamic.
     *
     * @param queryBias the named bias the query projection adds
     */
    static int attentionHeads(OnnxGraph graph, String queryBias, int hidden) {
        for (OnnxNode add : graph.consumersOf(queryBias)) {
            for (OnnxNode reshape : graph.consumersOf(add.outputs().get(0))) {
                if (!"Reshape".equals(reshape.opType())) {
                    continue;
                }
                long[] shape = constantVector(graph, reshape.inputs().get(1));
                if (shape != null && shape.length == 4 && shape[2] > 0 && shape[3] > 0
                        && shape[2] * shape[3] == hidden) {
                    return Math.toIntExact(shape[2]);
                }
            }
        }
        throw new OnnxFormatException("cannot derive the number of attention heads: no Reshape of the output of the "
                + "Add of '" + queryBias + "' has a constant target shape [batch, seq, heads, headDim] with "
                + "heads * headDim = " + hidden);
    }

    /** The epsilon shared by every LayerNorm whose weight is named; fails if they differ. */
    static double commonLayerNormEpsilon(OnnxGraph graph, List<String> layerNormWeights) {
        Float common = null;
        List<String> seen = new ArrayList<>();
        for (String weight : layerNormWeights) {
            float eps = layerNormEpsilon(graph, weight);
            seen.add(weight + "=" + eps);
            if (common == null) {
                common = eps;
            } else if (common != eps) {
                throw new OnnxFormatException("LayerNorms use different epsilons: " + seen);
            }
        }
        if (common == null) {
            throw new OnnxFormatException("no LayerNorm to read the epsilon from");
        }
        // The graph stores epsilon as float32 (1e-12f is 9.9999999600e-13 as a double); the
        // shortest decimal that rounds to that float is the value the model was configured with.
        return Double.parseDouble(Float.toString(common));
    }

    /**
     * The epsilon of the LayerNorm that multiplies by {@code weight}: the attribute of a
     * fused {@code LayerNormalization}, or, in the decomposed form
     * {@code (x - mean) / Sqrt(var + eps) * weight + bias}, the constant of the Add before Sqrt.
     */
    static float layerNormEpsilon(OnnxGraph graph, String weight) {
        for (OnnxNode node : graph.consumersOf(weight)) {
            if ("LayerNormalization".equals(node.opType())) {
                OnnxAttribute eps = node.attributes().get("epsilon");
                return eps == null ? ONNX_DEFAULT_LAYER_NORM_EPSILON : eps.f();
            }
            if ("Mul".equals(node.opType())) {
                Float eps = decomposedEpsilon(graph, node, weight);
                if (eps != null) {
                    return eps;
                }
            }
        }
        throw new OnnxFormatException("cannot find the epsilon of the LayerNorm with weight '" + weight
                + "': neither a LayerNormalization node nor the pattern Div(x - mean, Sqrt(var + eps)) * weight");
    }

    private static Float decomposedEpsilon(OnnxGraph graph, OnnxNode mul, String weight) {
        String normalized = mul.inputs().get(0).equals(weight) ? mul.inputs().get(1) : mul.inputs().get(0);
        OnnxNode div = graph.producerOf(normalized);
        if (div == null || !"Div".equals(div.opType())) {
            return null;
        }
        OnnxNode sqrt = graph.producerOf(div.inputs().get(1));
        if (sqrt == null || !"Sqrt".equals(sqrt.opType())) {
            return null;
        }
        OnnxNode add = graph.producerOf(sqrt.inputs().get(0));
        if (add == null || !"Add".equals(add.opType())) {
            return null;
        }
        for (String input : add.inputs()) {
            OnnxTensorProto constant = constantTensor(graph, input);
            if (constant != null && constant.dataType() == OnnxTensorProto.FLOAT && constant.elementCount() == 1) {
                return constant.floats()[0];
            }
        }
        return null;
    }

    /** A value that is an initializer or the output of a Constant node, else null. */
    static OnnxTensorProto constantTensor(OnnxGraph graph, String value) {
        OnnxTensorProto initializer = graph.initializers().get(value);
        if (initializer != null) {
            return initializer;
        }
        OnnxNode producer = graph.producerOf(value);
        if (producer != null && "Constant".equals(producer.opType())) {
            OnnxAttribute attribute = producer.attributes().get("value");
            return attribute == null ? null : attribute.t();
        }
        return null;
    }

    /**
     * An integer vector known before running the graph, with {@code -1} for entries that are
     * computed at run time; a Concat of per-dimension pieces (how torch.onnx writes dynamic
     * shapes) is resolved piece by piece, each computed piece taken as one entry. Null when
     * the value is neither constant nor such a Concat.
     */
    static long[] constantVector(OnnxGraph graph, String value) {
        OnnxTensorProto constant = constantTensor(graph, value);
        if (constant != null) {
            return constant.dataType() == OnnxTensorProto.INT64 || constant.dataType() == OnnxTensorProto.INT32
                    ? constant.longs() : null;
        }
        OnnxNode producer = graph.producerOf(value);
        if (producer == null || !"Concat".equals(producer.opType())) {
            return null;
        }
        List<Long> entries = new ArrayList<>();
        for (String piece : producer.inputs()) {
            OnnxTensorProto known = constantTensor(graph, piece);
            if (known != null && (known.dataType() == OnnxTensorProto.INT64 || known.dataType() == OnnxTensorProto.INT32)) {
                for (long v : known.longs()) {
                    entries.add(v);
                }
            } else {
                entries.add(-1L);
            }
        }
        long[] vector = new long[entries.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = entries.get(i);
        }
        return vector;
    }
}
