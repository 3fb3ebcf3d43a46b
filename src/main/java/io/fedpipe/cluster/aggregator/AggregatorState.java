package io.fedpipe.cluster.aggregator;

import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.protocol.PersistedJson;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.GlobalModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An aggregator partition's checkpoint, stored (Jackson JSON, floats as arrays) each time a
 * round closes: the job, the partition's {@link GlobalModel} after {@code roundsDone} rounds and
 * the summary of the last closed round, which is answered again when the scheduler re-issues that
 * round. Maps keyed by matrix become lists of entries (JSON keys are strings). A round in progress
 * is not part of it: after a restart the scheduler re-issues the round and the trainers re-send.
 *
 * @param job        the job, null before the first round closed
 * @param roundsDone rounds closed: rounds 1..roundsDone (the job's numbers), the next one is roundsDone + 1
 * @param lastClosed summary of round {@code roundsDone}, null before the first round closed
 */
public record AggregatorState(JobSpec job, int partition, int roundsDone, List<AdapterEntry> adapters,
        Map<String, HostTensor> dense, Map<String, List<AdapterEntry>> perNode, JobProtocol.RoundClosed lastClosed)
        implements PersistedJson {

    /** One matrix's adapter. */
    public record AdapterEntry(MatrixId id, ScaledAdapter adapter) {}

    public AggregatorState {
        adapters = List.copyOf(adapters);
        dense = Map.copyOf(dense);
        Map<String, List<AdapterEntry>> copy = new TreeMap<>();
        perNode.forEach((node, list) -> copy.put(node, List.copyOf(list)));
        perNode = Map.copyOf(copy);
    }

    /** Nothing closed yet. */
    public static AggregatorState empty(int partition) {
        return new AggregatorState(null, partition, 0, List.of(), Map.of(), Map.of(), null);
    }

    /** The checkpoint after a round closed with {@code summary}. */
    public static AggregatorState closed(JobSpec job, int partition, GlobalModel global,
            JobProtocol.RoundClosed summary) {
        Map<String, List<AdapterEntry>> perNode = new TreeMap<>();
        global.perNode().forEach((node, m) -> perNode.put(node, entries(m)));
        return new AggregatorState(job, partition, global.roundsDone(), entries(global.adapters()), global.dense(),
                perNode, summary);
    }

    /** The global model this checkpoint holds. */
    public GlobalModel global() {
        Map<String, Map<MatrixId, ScaledAdapter>> nodes = new TreeMap<>();
        perNode.forEach((node, list) -> nodes.put(node, map(list)));
        return new GlobalModel(roundsDone, map(adapters), dense, nodes);
    }

    private static List<AdapterEntry> entries(Map<MatrixId, ScaledAdapter> m) {
        List<AdapterEntry> out = new ArrayList<>();
        m.forEach((id, a) -> out.add(new AdapterEntry(id, a)));
        return out;
    }

    private static Map<MatrixId, ScaledAdapter> map(List<AdapterEntry> list) {
        Map<MatrixId, ScaledAdapter> out = new TreeMap<>();
        list.forEach(e -> out.put(e.id(), e.adapter()));
        return out;
    }
}
