package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * E2E data grouped by meaning representation: one {@link E2eInstance} per distinct MR, in the
 * order the MRs first appear, each with its references in file order.
 *
 * <p>Two views for a decoder LM, both built with {@link E2ePromptFormat}: for training every
 * (MR, reference) pair is one {@link GenerationExample} ({@link #trainingPairs()}); for
 * evaluation there is one prompt per MR ({@link #prompts()}) scored against all its references
 * ({@link #references()}), as the E2E challenge scores systems.
 */
public final class E2eDataset {

    private final List<E2eInstance> instances;

    private E2eDataset(List<E2eInstance> instances) {
        this.instances = List.copyOf(instances);
        Set<String> seen = new HashSet<>();
        for (E2eInstance instance : this.instances) {
            if (!seen.add(instance.mr())) {
                throw new IllegalArgumentException("MR listed twice: " + instance.mr());
            }
        }
    }

    /** Rejects an MR listed twice (group its references into one instance instead). */
    public static E2eDataset of(List<E2eInstance> instances) {
        return new E2eDataset(instances);
    }

    public List<E2eInstance> instances() {
        return instances;
    }

    /** Distinct MRs. */
    public int size() {
        return instances.size();
    }

    /** (MR, reference) pairs over all MRs. */
    public int pairCount() {
        return instances.stream().mapToInt(i -> i.references().size()).sum();
    }

    /** Every (MR, reference) pair as prompt → completion, MRs in order, references in order. */
    public GenerationDataset trainingPairs() {
        List<GenerationExample> pairs = new ArrayList<>(pairCount());
        for (E2eInstance instance : instances) {
            String prompt = E2ePromptFormat.prompt(instance.mr());
            for (String reference : instance.references()) {
                pairs.add(new GenerationExample(prompt, reference));
            }
        }
        return GenerationDataset.of(pairs);
    }

    /** One prompt per MR, in order: what a model generates from at evaluation. */
    public List<String> prompts() {
        return instances.stream().map(i -> E2ePromptFormat.prompt(i.mr())).toList();
    }

    /** The references of each MR, aligned with {@link #prompts()}. */
    public List<List<String>> references() {
        return instances.stream().map(E2eInstance::references).toList();
    }

    /**
     * A seeded split by MR: {@code round(size · validationFraction)} MRs (at least one, and at
     * least one left for training) go to validation, the rest to training, every MR with all its
     * references. Both parts keep file order; the choice depends only on the seed and the MR
     * count (it is {@link SeededRandom}'s permutation, the same on every JVM).
     */
    public E2eSplit splitByMr(long seed, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        }
        if (instances.size() < 2) {
            throw new IllegalArgumentException("need at least 2 MRs to split, got " + instances.size());
        }
        int validationCount = (int) Math.round(instances.size() * validationFraction);
        validationCount = Math.max(1, Math.min(instances.size() - 1, validationCount));
        int[] order = SeededRandom.forPurpose(seed, "e2e-mr-split").permutation(instances.size());
        int[] validationIndices = Arrays.copyOf(order, validationCount);
        Arrays.sort(validationIndices);
        boolean[] inValidation = new boolean[instances.size()];
        for (int index : validationIndices) {
            inValidation[index] = true;
        }
        List<E2eInstance> train = new ArrayList<>();
        List<E2eInstance> validation = new ArrayList<>();
        for (int i = 0; i < instances.size(); i++) {
            (inValidation[i] ? validation : train).add(instances.get(i));
        }
        return new E2eSplit(new E2eDataset(train), new E2eDataset(validation));
    }

    @Override
    public String toString() {
        return "E2eDataset[" + instances.size() + " MRs, " + pairCount() + " pairs]";
    }
}
