package io.fedpipe.cluster.protocol;

import io.fedpipe.cluster.gateway.ClusterClientEndpoint;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.job.JobSpecReader;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * What users ask the cluster about jobs, and what it answers: plain records with no actor
 * references, so any transport can carry them. Cluster Client is one ({@link ClusterClientEndpoint},
 * {@link GatewayClient}); the management routes ask the scheduler for the same replies. The view
 * records ({@link PlanRow}, {@link RoundMetrics}, ...) are also what the scheduler journals.
 */
public interface GatewayProtocol {

    /** A request a client sends. */
    sealed interface Request extends WireMessage permits SubmitJob, GetJobStatus, ListJobs, CancelJob, GetGlobalModel {}

    /** Submit a job: the text of a job file ({@link io.fedpipe.job.JobSpecReader}) and a name for it (the file name). */
    record SubmitJob(String name, String jobFile) implements Request {
        public SubmitJob {
            if (name == null || name.isBlank() || jobFile == null) {
                throw new IllegalArgumentException("a job submission needs a name and the job file's text");
            }
        }
    }

    record GetJobStatus(String jobId) implements Request {}

    record ListJobs() implements Request {}

    record CancelJob(String jobId) implements Request {}

    /**
     * A job's global model as its aggregator partitions hold it now (after its last closed round):
     * what a user merges into the base once the job finished. Answered with {@link GlobalModel}.
     */
    record GetGlobalModel(String jobId) implements Request {}

    /** An answer. */
    sealed interface Reply extends WireMessage
            permits JobAccepted, JobRejected, JobStatus, JobList, JobCancelled, UnknownJob, RequestFailed, GlobalModel {}

    record JobAccepted(String jobId) implements Reply {}

    /** The job was not accepted: an invalid file (one line naming file, line and key) or no node to run it. */
    record JobRejected(String reason) implements Reply {}

    record JobCancelled(String jobId) implements Reply {}

    record UnknownJob(String jobId) implements Reply {}

    /** The request could not be answered (e.g. the scheduler did not answer in time). */
    record RequestFailed(String reason) implements Reply {}

    /**
     * A job's global adapters (each at the PEFT scale α/r of its own rank) and dense tensors (the
     * classification head), gathered from all its partitions.
     *
     * @param roundsDone rounds aggregated into it: the smallest over the partitions
     */
    record GlobalModel(String jobId, int roundsDone, Map<MatrixId, ScaledAdapter> adapters,
            Map<String, HostTensor> dense) implements Reply {
        public GlobalModel {
            adapters = Map.copyOf(adapters);
            dense = Map.copyOf(dense);
        }
    }

    /** A job's lifecycle. */
    enum JobState {
        /** Trainers load the model and data and probe importance. */
        PREPARING,
        /** Rounds are running. */
        RUNNING,
        FINISHED,
        CANCELLED,
        FAILED;

        public boolean over() {
            return this == FINISHED || this == CANCELLED || this == FAILED;
        }
    }

    record JobSummary(String jobId, String name, JobState state, int round, int rounds) {}

    record JobList(List<JobSummary> jobs) implements Reply {
        public JobList {
            jobs = List.copyOf(jobs);
        }
    }

    /**
     * One node's row of the current plan.
     *
     * @param ranks                  LoRA rank per adapted target (q, k, ...)
     * @param plannedComputeSeconds  the planner's predicted compute time per round
     * @param plannedFinishSeconds   predicted compute plus transfer
     */
    record PlanRow(String nodeId, String bits, int batch, java.util.Map<String, Integer> ranks, int steps,
            double plannedComputeSeconds, double plannedFinishSeconds, long memoryBytes, long memoryBudget) {
        public PlanRow {
            ranks = java.util.Map.copyOf(ranks);
        }
    }

    /** A node the planner left out, and why. */
    record Excluded(String nodeId, String reason) {}

    /**
     * One node's part in a closed round (over all partitions: bytes summed, times the longest).
     *
     * @param computeSeconds the node's measured compute time
     * @param trainSeconds   the node's wall time for the round's training
     * @param plannedSeconds the plan's predicted compute time for it
     */
    record NodeMetrics(String nodeId, int steps, double computeSeconds, double trainSeconds, double plannedSeconds,
            long bytesUp, long bytesDown, double loss, double validationLoss, int validationExamples) {

        /** A node that reported no local evaluation. */
        public NodeMetrics(String nodeId, int steps, double computeSeconds, double trainSeconds, double plannedSeconds,
                long bytesUp, long bytesDown, double loss) {
            this(nodeId, steps, computeSeconds, trainSeconds, plannedSeconds, bytesUp, bytesDown, loss, Double.NaN, 0);
        }

        /** {@code exp(validationLoss)}: a causal-LM node's local perplexity (NaN without an evaluation). */
        public double validationPerplexity() {
            return Math.exp(validationLoss);
        }
    }

    /**
     * A closed round.
     *
     * @param roundSeconds from opening to the last partition's close
     * @param accuracy     validation accuracy, when the data plane reports one (NaN otherwise)
     */
    record RoundMetrics(int round, double roundSeconds, List<NodeMetrics> nodes, List<String> failures,
            double accuracy) {
        public RoundMetrics {
            nodes = List.copyOf(nodes);
            failures = List.copyOf(failures);
        }

        /**
         * The nodes' local validation losses averaged over their examples: how the models trained this
         * round do on data that never left the nodes (NaN when no node evaluated).
         */
        public double validationLoss() {
            double sum = 0;
            long n = 0;
            for (NodeMetrics m : nodes) {
                if (m.validationExamples() > 0 && Double.isFinite(m.validationLoss())) {
                    sum += m.validationLoss() * m.validationExamples();
                    n += m.validationExamples();
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }
    }

    /**
     * A causal-LM job's final evaluation: one node decoded the test prompts (its own copy of the
     * task's test set) with the base model and with the merged global model, and scored both.
     *
     * @param nodeId   the node that decoded
     * @param prompts  test prompts decoded
     * @param decoding the decoding settings, e.g. {@code greedy} or {@code beam 10, lp 0.9, no-repeat 4}
     * @param base     the base model's scores by metric ({@code bleu}, {@code nist}, {@code meteor},
     *                 {@code rouge_l}, {@code cider})
     * @param tuned    the fine-tuned model's scores
     * @param examples a few prompts with both outputs
     * @param seconds  wall time of the fine-tuned model's decoding
     * @param error    why no scores came back (then the maps are empty); null on success
     */
    record GenerationEvaluation(String nodeId, int prompts, String decoding, java.util.Map<String, Double> base,
            java.util.Map<String, Double> tuned, List<GenerationSample> examples, double seconds, String error) {
        public GenerationEvaluation {
            base = java.util.Map.copyOf(base);
            tuned = java.util.Map.copyOf(tuned);
            examples = List.copyOf(examples);
        }
    }

    /** One test prompt: the base model's output, the fine-tuned model's, and the first reference. */
    record GenerationSample(String prompt, String before, String after, String reference) {}

    /** A re-plan: before which round, and why. */
    record PlanChange(int beforeRound, String reason, List<String> nodes) {
        public PlanChange {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * Everything about one job.
     *
     * @param round     the round now open (0 before the first)
     * @param selected  matrices that carry adapters ({@code layer.target})
     * @param partitions the job's aggregator partitions (where its global model lives)
     */
    record JobStatus(String jobId, String name, JobState state, int round, int rounds, String model, String task,
            String strategy, String reason, List<String> participants, List<String> selected, double plannedRoundSeconds,
            List<PlanRow> plan, List<Excluded> excluded, List<RoundMetrics> history, List<PlanChange> planChanges,
            int partitions, GenerationEvaluation evaluation) implements Reply {

        /** A job without a generation evaluation (a classifier, or a decoder still running). */
        public JobStatus(String jobId, String name, JobState state, int round, int rounds, String model, String task,
                String strategy, String reason, List<String> participants, List<String> selected,
                double plannedRoundSeconds, List<PlanRow> plan, List<Excluded> excluded, List<RoundMetrics> history,
                List<PlanChange> planChanges, int partitions) {
            this(jobId, name, state, round, rounds, model, task, strategy, reason, participants, selected,
                    plannedRoundSeconds, plan, excluded, history, planChanges, partitions, null);
        }

        public JobStatus {
            participants = List.copyOf(participants);
            selected = List.copyOf(selected);
            plan = List.copyOf(plan);
            excluded = List.copyOf(excluded);
            history = List.copyOf(history);
            planChanges = List.copyOf(planChanges);
        }
    }
}
