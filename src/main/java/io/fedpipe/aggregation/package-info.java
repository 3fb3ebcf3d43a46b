/**
 * Aggregation of federated LoRA updates with heterogeneous ranks; pure Java, no Pekko, no DJL.
 *
 * <ul>
 *   <li>The round protocol: {@link io.fedpipe.aggregation.AggregationStrategy} configures a round
 *       ({@link io.fedpipe.aggregation.RoundConfig}) and aggregates the nodes'
 *       {@link io.fedpipe.aggregation.NodeUpdate}s and {@link io.fedpipe.aggregation.Failure}s
 *       given a {@link io.fedpipe.aggregation.RoundContext} into an
 *       {@link io.fedpipe.aggregation.AggregationResult}.</li>
 *   <li>Strategies: {@link io.fedpipe.aggregation.FedPipeAggregation} (default),
 *       {@link io.fedpipe.aggregation.FlexLoraSvd}, {@link io.fedpipe.aggregation.HetLoraZeroPadding},
 *       {@link io.fedpipe.aggregation.RankPartitionedAggregation} (raFLoRA),
 *       {@link io.fedpipe.aggregation.FloristAggregation} (FLoRIST),
 *       {@link io.fedpipe.aggregation.FedAvgLora}, {@link io.fedpipe.aggregation.FedAvgFull}.</li>
 *   <li>Every result reports each matrix's error against the exact weighted average of
 *       {@code s_n·B_n·A_n}; {@link io.fedpipe.aggregation.AggregationErrorReport} tabulates them, and
 *       {@link io.fedpipe.aggregation.AggregationResult#diagnostics()} sums a round up (segment energy
 *       shares, server time, bytes, global ranks).</li>
 * </ul>
 *
 * <p>Scales: a node's update is {@code ΔW_n = s_n·B_n·A_n}; strategies fold {@code s_n} into B before
 * combining and return adapters at PEFT's {@code α/r} for their rank. See docs/algorithm.md,
 * section "Aggregation".
 */
package io.fedpipe.aggregation;
