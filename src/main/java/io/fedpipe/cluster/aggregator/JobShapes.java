package io.fedpipe.cluster.aggregator;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.job.JobSpec;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code [out, in]} shape of every candidate matrix of a job, from the model's configuration
 * alone: an aggregator validates deltas against them without loading any weights (a node with
 * only the aggregator role need not hold the model, only its {@code config.json}).
 */
public final class JobShapes {

    private JobShapes() {}

    /** Every layer's {@code job.targets()}; throws with a one-line reason for an unknown model or target. */
    public static Map<MatrixId, MatrixShape> of(JobSpec job) {
        // The config's own shapes: k and v are narrower than q under grouped-query attention.
        TransformerConfig config = config(job.model());
        Map<MatrixId, MatrixShape> out = new TreeMap<>();
        for (String key : job.targets()) {
            LoraTarget t = LoraTarget.parse(key);
            if (!config.targets().contains(t)) {
                throw new IllegalArgumentException(config.family() + " model " + job.model() + " has no '" + key
                        + "' matrix to adapt");
            }
            int[] shape = config.linearShape(t);
            for (int layer = 0; layer < config.layers(); layer++) {
                out.put(new MatrixId(layer, t), new MatrixShape(shape[0], shape[1]));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("job " + job.jobId() + " names no target matrices");
        }
        return out;
    }

    private static TransformerConfig config(String model) {
        String key = model.trim().toLowerCase(Locale.ROOT);
        if (key.equals(PretrainedModels.MINILM_L6) || key.equals("all-minilm-l6-v2")) {
            return TransformerConfig.miniLmL6();
        }
        Path dir = key.equals(PretrainedModels.FEDPIPE_LM_SMALL)
                ? PretrainedModels.builtinDirectory(PretrainedModels.FEDPIPE_LM_SMALL) : Path.of(model);
        Path file = dir.resolve(HfModelDirectory.CONFIG_FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("unknown model '" + model + "': neither " + PretrainedModels.MINILM_L6
                    + " nor a directory with " + HfModelDirectory.CONFIG_FILE_NAME);
        }
        try {
            return HfConfigs.fromJson(new ObjectMapper().readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
