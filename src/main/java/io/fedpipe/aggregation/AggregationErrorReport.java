package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Runs several strategies on the same round and prints, per matrix, each strategy's relative
 * Frobenius error against the exact weighted average of the updates: of the global adapter
 * ({@code global}) and the worst over the nodes of what each node receives ({@code node max}).
 */
public final class AggregationErrorReport {

    private AggregationErrorReport() {}

    /** Each strategy's result on the same inputs, in the given order, keyed by strategy name. */
    public static Map<String, AggregationResult> compare(List<AggregationStrategy> strategies, List<NodeUpdate> results,
            List<Failure> failures, RoundContext context) {
        Map<String, AggregationResult> out = new LinkedHashMap<>();
        for (AggregationStrategy s : strategies) {
            out.put(s.name(), s.aggregate(results, failures, context));
        }
        return out;
    }

    /** A fixed-width table: one row per matrix, two columns per strategy. */
    public static String table(Collection<AggregationResult> results) {
        TreeSet<MatrixId> ids = new TreeSet<>();
        results.forEach(r -> ids.addAll(r.errorVsExact().keySet()));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-12s", "matrix"));
        for (AggregationResult r : results) {
            sb.append(String.format(Locale.ROOT, " | %-24s", r.strategy()));
        }
        sb.append('\n').append(String.format(Locale.ROOT, "%-12s", ""));
        for (int i = 0; i < results.size(); i++) {
            sb.append(String.format(Locale.ROOT, " | %-11s %-12s", "global", "node max"));
        }
        sb.append('\n');
        for (MatrixId id : ids) {
            sb.append(String.format(Locale.ROOT, "%-12s", id));
            for (AggregationResult r : results) {
                Double g = r.errorVsExact().get(id);
                double worst = r.perNodeError().values().stream()
                        .mapToDouble(m -> m.getOrDefault(id, 0.0)).max().orElse(Double.NaN);
                sb.append(String.format(Locale.ROOT, " | %-11s %-12s", format(g), format(g == null ? null : worst)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3e", v);
    }
}
