/**
 * Datasets and how they are spread over federated nodes; pure Java, no Pekko, no DJL.
 *
 * <ul>
 *   <li>Examples and datasets: {@link io.fedpipe.data.ClassificationDataset} (with a fixed label
 *       vocabulary shared by all nodes) and {@link io.fedpipe.data.GenerationDataset}.</li>
 *   <li>Users' data as JSON Lines: {@link io.fedpipe.data.JsonlReader} and
 *       {@link io.fedpipe.data.JsonlWriter}. Nothing is dropped silently: every skipped line is
 *       counted in a {@link io.fedpipe.data.LoadReport}, and too many bad lines fail the load
 *       ({@link io.fedpipe.data.LoadPolicy}).</li>
 *   <li>A built-in task: {@link io.fedpipe.data.WordNetTopics}, 26-way topic classification of
 *       WordNet 3.1 noun definitions, with fixed seeded splits
 *       ({@link io.fedpipe.data.DatasetSplits}).</li>
 *   <li>Non-IID emulation: {@link io.fedpipe.data.Partitioner} (IID, Dirichlet label skew,
 *       quantity skew) and {@link io.fedpipe.data.PartitionSummary} to show and measure the skew.</li>
 * </ul>
 *
 * <p>All randomness goes through {@link io.fedpipe.data.SeededRandom}, so a seed fixes a split or a
 * partition on every JVM.
 */
package io.fedpipe.data;
