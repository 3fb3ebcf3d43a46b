package io.fedpipe.round;

import io.fedpipe.data.ClassificationDataset;

/**
 * What one node does in a round, given what it was sent and its private data: train locally and
 * return its update. The in-process simulator calls it node after node; a trainer actor will call
 * the same implementation for its own node. Throwing means the node failed this round.
 */
@FunctionalInterface
public interface LocalRound {

    /**
     * @param assignment what the aggregator sent
     * @param data       the node's private training examples
     */
    LocalResult run(NodeAssignment assignment, ClassificationDataset data);
}
