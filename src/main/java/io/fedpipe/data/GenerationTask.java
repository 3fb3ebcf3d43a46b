package io.fedpipe.data;

import java.util.List;

/**
 * A conditional-generation task: training and validation pairs (the loss is on the completion),
 * and test prompts with their references (several per prompt for E2E), scored by generating.
 *
 * @param name what the task was loaded from, for reports
 */
public record GenerationTask(String name, List<GenerationExample> train, List<GenerationExample> validation,
                             List<TestPrompt> test) {

    /** One prompt to generate from and the references its output is scored against. */
    public record TestPrompt(String prompt, List<String> references) {
        public TestPrompt {
            references = List.copyOf(references);
            if (references.isEmpty()) {
                throw new IllegalArgumentException("a test prompt needs at least one reference: " + prompt);
            }
        }
    }

    public GenerationTask {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
        if (train.isEmpty()) {
            throw new IllegalArgumentException(name + ": no training examples");
        }
    }
}
