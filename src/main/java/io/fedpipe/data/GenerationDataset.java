package io.fedpipe.data;

import java.util.ArrayList;
import java.util.List;

/** An immutable list of {@link GenerationExample}s (prompt → completion pairs). */
public final class GenerationDataset {

    private final List<GenerationExample> examples;

    private GenerationDataset(List<GenerationExample> examples) {
        this.examples = List.copyOf(examples);
    }

    public static GenerationDataset of(List<GenerationExample> examples) {
        return new GenerationDataset(examples);
    }

    public int size() {
        return examples.size();
    }

    public GenerationExample get(int index) {
        return examples.get(index);
    }

    public List<GenerationExample> examples() {
        return examples;
    }

    /** The examples at {@code indices}, in that order. */
    public GenerationDataset subset(int[] indices) {
        List<GenerationExample> picked = new ArrayList<>(indices.length);
        for (int index : indices) {
            picked.add(examples.get(index));
        }
        return new GenerationDataset(picked);
    }

    /** The first {@code n} examples (all if fewer). */
    public GenerationDataset head(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("head size must be >= 0, got " + n);
        }
        return new GenerationDataset(examples.subList(0, Math.min(n, examples.size())));
    }

    @Override
    public String toString() {
        return "GenerationDataset[" + examples.size() + " examples]";
    }
}
