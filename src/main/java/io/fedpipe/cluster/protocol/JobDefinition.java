package io.fedpipe.cluster.protocol;

import java.util.List;

/**
 * A validated job as every actor sees it: what to fine-tune on which data, how to aggregate, and
 * the planner's and the round barrier's knobs. Built from a user's job file by the gateway (which
 * validates it); travels to the scheduler, aggregators and trainers, and is persisted in the
 * scheduler's journal, so it is plain data (names, numbers, lists of names).
 *
 * @param jobId            unique job id (the gateway assigns it)
 * @param model            {@code minilm-l6} or a Hugging Face directory present on every edge node
 * @param task             {@code wordnet-topics} (built in: each trainer takes shard i of n of the
 *                         seeded split) or a dataset name: each trainer reads
 *                         {@code <data-dir>/<task>/train.jsonl} and {@code validation.jsonl}
 * @param limitTrain       at most this many training examples before sharding (0: all)
 * @param limitValidation  at most this many validation examples (0: all)
 * @param partitionKind    {@code iid} or {@code dirichlet}: how the built-in task is sharded
 * @param dirichletAlpha   label-skew concentration for {@code dirichlet}
 * @param strategy         aggregation strategy key: fedpipe, flexlora, hetlora, fedavg-lora
 * @param rounds           rounds to run
 * @param targets          candidate matrix kinds ({@code LoraTarget} keys: q, k, v, o, ffn_in, ffn_out)
 * @param alpha            LoRA α
 * @param lr               peak local learning rate
 * @param warmup           local warm-up steps
 * @param maxLength        tokens per example
 * @param seed             seeds data split, initial head and adapters, batches
 * @param partitions       aggregator partitions (sharded entities {@code jobId/p}) the matrices are spread over
 * @param quorum           fraction of the round's planned nodes whose deltas close a round early (0, 1]
 * @param roundTimeoutMs   a round closes at this deadline with the deltas it has (if at least one)
 * @param importanceMatrices matrices to select by importance; 0: every candidate, no probe
 * @param probeSteps       importance probe steps per node
 * @param refreshEvery     re-probe importance every this many rounds; 0: only before round 1
 * @param formats          base formats the planner may choose (QuantFormat config names)
 * @param batches          batch sizes the planner may choose
 * @param ranks            ranks the planner may choose
 * @param minSteps         local steps per round, at least
 * @param maxSteps         local steps per round, at most
 */
public record JobDefinition(String jobId, String model, String task, int limitTrain, int limitValidation,
        String partitionKind, double dirichletAlpha, String strategy, int rounds, List<String> targets, float alpha,
        float lr, int warmup, int maxLength, long seed, int partitions, double quorum, long roundTimeoutMs,
        int importanceMatrices, int probeSteps, int refreshEvery, List<String> formats, List<Integer> batches,
        List<Integer> ranks, int minSteps, int maxSteps) implements WireMessage, PersistedJson {

    public JobDefinition {
        if (jobId == null || jobId.isBlank()) {
            throw new IllegalArgumentException("a job needs an id");
        }
        if (partitions < 1 || rounds < 1 || !(quorum > 0 && quorum <= 1) || roundTimeoutMs <= 0) {
            throw new IllegalArgumentException("job " + jobId + ": needs partitions >= 1, rounds >= 1, quorum in (0, 1]"
                    + " and a positive round timeout");
        }
        targets = List.copyOf(targets);
        formats = List.copyOf(formats);
        batches = List.copyOf(batches);
        ranks = List.copyOf(ranks);
    }
}
