package io.fedpipe.cluster.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads journals written before the job became {@code io.fedpipe.job.JobSpec}: version 1 of the
 * classes that hold a job stored it as the flat {@code JobSpec} (26 fields); version 2
 * nests the data, planner and importance fields. The old planner fields become the job's planner
 * choices (a cluster job always had them) with the default objective; an importance budget of 0
 * (no importance stage) becomes no importance block. Registered in serialization.conf
 * ({@code pekko.serialization.jackson.migrations}).
 */
public abstract class JobSpecMigration extends JacksonMigration {

    static final int VERSION = 2;

    @Override
    public int currentVersion() {
        return VERSION;
    }

    /** A job written as the flat record, nested; a job already nested is returned as it is. */
    static JsonNode nest(JsonNode job) {
        if (!(job instanceof ObjectNode flat) || flat.has("data")) {
            return job;
        }
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode out = f.objectNode();
        copy(flat, out, "jobId", "model");
        out.set("data", pick(flat, "task", "limitTrain", "limitValidation", "partitionKind", "dirichletAlpha"));
        copy(flat, out, "strategy", "rounds", "targets", "alpha", "lr", "warmup", "maxLength", "seed", "partitions",
                "quorum", "roundTimeoutMs");
        ObjectNode planner = f.objectNode().put("device", "cpu-2core");
        planner.setAll(pick(flat, "formats", "batches", "ranks", "minSteps", "maxSteps"));
        planner.put("idleTolerance", 0.1).put("workWeight", 0.8).put("roundStretch", 3.0);
        out.set("planner", planner);
        if (flat.path("importanceMatrices").asInt(0) > 0) {
            out.set("importance", f.objectNode().put("matrices", flat.get("importanceMatrices").asInt())
                    .put("probeSteps", flat.path("probeSteps").asInt(10)).put("probeRank", 4)
                    .put("refreshEvery", flat.path("refreshEvery").asInt(0)));
        } else {
            out.putNull("importance");
        }
        out.set("maxSeconds", DoubleNode.valueOf(Double.POSITIVE_INFINITY));
        out.set("method", flat.get("strategy"));
        out.put("setting", "default");
        return out;
    }

    private static void copy(ObjectNode from, ObjectNode to, String... fields) {
        for (String field : fields) {
            if (from.has(field)) {
                to.set(field, from.get(field));
            }
        }
    }

    private static ObjectNode pick(ObjectNode from, String... fields) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        copy(from, out, fields);
        return out;
    }

    /** A class with the job in its {@code job} field: {@code JobSubmitted} ({@code AggregatorState} has its own). */
    public static final class InField extends JobSpecMigration {
        @Override
        public JsonNode transform(int fromVersion, JsonNode json) {
            if (fromVersion < VERSION && json instanceof ObjectNode o && o.has("job")) {
                o.set("job", nest(o.get("job")));
            }
            return json;
        }
    }

    /** The scheduler's snapshot: a job in each entry of {@code jobs}. */
    public static final class InJobEntries extends JobSpecMigration {
        @Override
        public JsonNode transform(int fromVersion, JsonNode json) {
            if (fromVersion < VERSION && json.get("jobs") instanceof ObjectNode jobs) {
                for (Map.Entry<String, JsonNode> e : List.copyOf(jobs.properties())) {
                    if (e.getValue() instanceof ObjectNode entry && entry.has("job")) {
                        entry.set("job", nest(entry.get("job")));
                    }
                }
            }
            return json;
        }
    }
}
