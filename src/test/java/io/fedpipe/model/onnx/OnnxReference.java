package io.fedpipe.model.onnx;

import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Runs the original all-MiniLM-L6-v2 ONNX graph with ONNX Runtime, as the ground truth for
 * the imported weights. One intra-op thread: the machine's two cores are shared.
 */
public final class OnnxReference implements AutoCloseable {

    /** The graph's single output (checked in the file: not {@code token_embeddings}). */
    public static final String OUTPUT = "last_hidden_state";

    private final OrtEnvironment environment;
    private final OrtSession session;

    private OnnxReference(OrtEnvironment environment, OrtSession session) {
        this.environment = environment;
        this.session = session;
    }

    /** Opens a session on the class path model. */
    public static OnnxReference open() throws IOException, OrtException {
        byte[] model;
        try (InputStream in = OnnxReference.class.getClassLoader()
                .getResourceAsStream(MiniLmOnnxImporter.MODEL_RESOURCE)) {
            if (in == null) {
                throw new IOException(MiniLmOnnxImporter.MODEL_RESOURCE + " not on the class path");
            }
            model = in.readAllBytes();
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            return new OnnxReference(environment, environment.createSession(model, options));
        }
    }

    /** {@code last_hidden_state [batch][seq][hidden]}; all inputs are {@code [batch][seq]}. */
    public float[][][] lastHiddenState(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds)
            throws OrtException {
        try (ai.onnxruntime.OnnxTensor ids = ai.onnxruntime.OnnxTensor.createTensor(environment, inputIds);
             ai.onnxruntime.OnnxTensor mask = ai.onnxruntime.OnnxTensor.createTensor(environment, attentionMask);
             ai.onnxruntime.OnnxTensor types = ai.onnxruntime.OnnxTensor.createTensor(environment, tokenTypeIds);
             OrtSession.Result result = session.run(
                     Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            OnnxValue output = result.get(OUTPUT)
                    .orElseThrow(() -> new IllegalStateException("graph has no output " + OUTPUT));
            return (float[][][]) output.getValue();
        }
    }

    /** Output names as the session reports them. */
    public java.util.Set<String> outputNames() throws OrtException {
        return session.getOutputNames();
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
