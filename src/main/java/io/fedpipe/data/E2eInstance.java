package io.fedpipe.data;

import java.util.List;
import java.util.Objects;

/**
 * One distinct E2E meaning representation with all its human references, in file order.
 *
 * @param mr the meaning representation exactly as in the file, e.g. {@code name[Alimentum], area[city centre]}
 * @param references at least one reference sentence
 */
public record E2eInstance(String mr, List<String> references) {

    public E2eInstance {
        Objects.requireNonNull(mr, "mr");
        references = List.copyOf(references);
        if (references.isEmpty()) {
            throw new IllegalArgumentException("MR " + mr + " has no reference");
        }
    }
}
