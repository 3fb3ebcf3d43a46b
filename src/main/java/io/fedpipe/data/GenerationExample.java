package io.fedpipe.data;

import java.util.Objects;

/**
 * One conditional-generation example: the prompt the model sees and the completion it should
 * produce (the part the causal-LM loss is computed on).
 */
public record GenerationExample(String prompt, String completion) {

    public GenerationExample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(completion, "completion");
    }
}
