package io.fedpipe.data;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The E2E dev set split by MR into a training pool and a validation part; no MR is in both.
 */
public record E2eSplit(E2eDataset train, E2eDataset validation) {

    public E2eSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(validation, "validation");
        Set<String> trainMrs = new HashSet<>();
        train.instances().forEach(i -> trainMrs.add(i.mr()));
        for (E2eInstance instance : validation.instances()) {
            if (trainMrs.contains(instance.mr())) {
                throw new IllegalArgumentException("MR in both train and validation: " + instance.mr());
            }
        }
    }
}
