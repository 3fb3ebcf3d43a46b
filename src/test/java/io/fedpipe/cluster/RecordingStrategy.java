package io.fedpipe.cluster;

import io.fedpipe.aggregation.AggregationResult;
import io.fedpipe.aggregation.AggregationStrategy;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.FedPipeAggregation;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.RoundConfig;
import io.fedpipe.aggregation.RoundContext;
import java.util.List;

/** FedPipe's aggregation that keeps the result of the last round, which the simulator does not return. */
public final class RecordingStrategy implements AggregationStrategy {
    private final AggregationStrategy inner = new FedPipeAggregation();
    private AggregationResult last;

    public AggregationResult last() {
        return last;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public RoundConfig configureRound(RoundConfig planned) {
        return inner.configureRound(planned);
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        last = inner.aggregate(results, failures, context);
        return last;
    }
}
