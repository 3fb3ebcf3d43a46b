package io.fedpipe.simulation;

import io.fedpipe.round.VirtualClock;
import io.fedpipe.round.LocalEvaluation;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.RoundDiagnostics;
import io.fedpipe.aggregation.Rejection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One round of a simulation, as reported. Round 0 is the starting model (nothing trained, no
 * traffic). Seconds named {@code emulated} come from the {@link VirtualClock}; {@code measured}
 * seconds are real time on this machine.
 *
 * @param round                 0 for the start, then 1, 2, ...
 * @param accuracy              of the global model on the validation set (NaN for a causal-LM job)
 * @param macroF1               of the global model on the validation set (NaN for a causal-LM job)
 * @param emulatedRoundSeconds  the round's emulated duration (its slowest delivering node)
 * @param emulatedElapsedSeconds emulated time since the start, after this round
 * @param nodes                 per node id, what it did this round
 * @param rejected              entries the aggregation left out, with reasons
 * @param failures              nodes that delivered nothing, with reasons
 * @param metrics               further scores of the global model by name ({@link RoundScores}), e.g.
 *                              a causal-LM job's {@code validation_loss}, {@code perplexity} and the
 *                              generation metrics of the round's test prompts ({@code bleu}, ...)
 * @param aggregation           how the round's aggregation went (error against the exact average,
 *                              energy per rank segment, server time, bytes); null for round 0
 */
public record RoundReport(int round, double accuracy, double macroF1, double emulatedRoundSeconds,
        double emulatedElapsedSeconds, Map<String, NodeReport> nodes, List<Rejection> rejected,
        List<Failure> failures, Map<String, Double> metrics, RoundDiagnostics aggregation) {

    /**
     * One node in one round.
     *
     * @param bytesDown              float32 bytes sent to it (adapters and head)
     * @param bytesUp                float32 bytes it sent back (0 when it failed)
     * @param measuredComputeSeconds its local training time on this machine
     * @param emulatedSeconds        its emulated time ({@link VirtualClock#nodeSeconds})
     * @param lastLoss               its last training loss (NaN when it failed)
     * @param plan                   what it was asked to do
     * @param trainableParameters    parameters it trained (adapter factors, or full weights, and the head)
     * @param setupSeconds           emulated seconds of work before training (the importance probe), in
     *                               {@code emulatedSeconds} already
     * @param peakMemoryBytes        modelled peak training memory of its plan ({@code MemoryModel}),
     *                               or -1 where unknown
     * @param validation             its trained model on its own held-out split (NONE when it has none
     *                               or failed)
     */
    public record NodeReport(long bytesDown, long bytesUp, double measuredComputeSeconds, double emulatedSeconds,
            double lastLoss, NodeRoundPlan plan, long trainableParameters, double setupSeconds,
            long peakMemoryBytes, LocalEvaluation validation) {}

    public RoundReport {
        nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        rejected = List.copyOf(rejected);
        failures = List.copyOf(failures);
        metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    }

    /** The named metric, or NaN when this round did not report it. */
    public double metric(String name) {
        return metrics.getOrDefault(name, Double.NaN);
    }
}
