package io.fedpipe.cluster.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads aggregator checkpoints ({@code io.fedpipe.cluster.aggregator.AggregatorState}) of every
 * earlier version. Version 3: the data plane numbers rounds as the job does (1..n), so the
 * summary of the last closed round ({@code lastClosed.round}) is round {@code roundsDone}; up to
 * version 2 the data plane counted from 0 and stored {@code roundsDone - 1} there. Without this
 * shift a partition restarted from an old checkpoint would answer a re-issued round with a
 * summary the scheduler takes for another round, and the job would wait for it. {@code roundsDone}
 * is a count and did not change. Before version 2 the job is the flat record
 * ({@link JobSpecMigration}). Registered in serialization.conf.
 */
public final class AggregatorStateMigration extends JacksonMigration {

    static final int VERSION = 3;

    @Override
    public int currentVersion() {
        return VERSION;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
        if (!(json instanceof ObjectNode o)) {
            return json;
        }
        if (fromVersion < JobSpecMigration.VERSION && o.has("job")) {
            o.set("job", JobSpecMigration.nest(o.get("job")));
        }
        if (fromVersion < VERSION && o.get("lastClosed") instanceof ObjectNode closed && closed.has("round")) {
            closed.put("round", closed.get("round").asInt() + 1);
        }
        return json;
    }
}
