package io.fedpipe.data;

import java.util.Objects;

/**
 * One text-classification example: the input text and its class label as written in the source.
 *
 * <p>Labels stay strings here; a {@link ClassificationDataset} maps them to indices through its
 * label vocabulary, so the same example means the same class on every node.
 */
public record ClassificationExample(String text, String label) {

    public ClassificationExample {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(label, "label");
    }
}
