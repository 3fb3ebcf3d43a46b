package io.fedpipe.round;

/**
 * What one node does in a round, given what it was sent and its private data: train locally and
 * return its update. The in-process simulator calls it node after node; a trainer actor calls the
 * same implementation for its own node. Throwing means the node failed this round.
 *
 * @param <D> the node's data as the task holds it: a {@code ClassificationDataset} for an encoder
 *            classifier, a tokenized {@code CausalLmShard} (training and local validation
 *            sequences) for a decoder
 */
@FunctionalInterface
public interface LocalRound<D> {

    /**
     * @param assignment what the aggregator sent
     * @param data       the node's private examples
     */
    LocalResult run(NodeAssignment assignment, D data);
}
