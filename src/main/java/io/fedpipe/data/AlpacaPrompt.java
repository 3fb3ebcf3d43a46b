package io.fedpipe.data;

/**
 * The Stanford Alpaca prompt template, which turns an {@code (instruction, input)} record into the
 * prompt of a {@link GenerationExample}; the record's {@code output} is the completion.
 *
 * <p>Source: tatsu-lab/stanford_alpaca, {@code train.py}, {@code PROMPT_DICT} (Taori et al.,
 * "Stanford Alpaca: An Instruction-following LLaMA model", 2023). Its two variants, quoted:
 * <pre>
 * "prompt_input":
 *   "Below is an instruction that describes a task, paired with an input that provides further context. "
 *   "Write a response that appropriately completes the request.\n\n"
 *   "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
 * "prompt_no_input":
 *   "Below is an instruction that describes a task. "
 *   "Write a response that appropriately completes the request.\n\n"
 *   "### Instruction:\n{instruction}\n\n### Response:"
 * </pre>
 * As there, the no-input variant is used when the input is absent or the empty string, and the
 * completion is the output exactly (Alpaca appends the tokenizer's end-of-sequence token to it;
 * that is the tokenizer's business, not the prompt's).
 */
public final class AlpacaPrompt {

    static final String WITH_INPUT = "Below is an instruction that describes a task, paired with an input that "
            + "provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Input:\n%s\n\n### Response:";
    static final String NO_INPUT = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n%s\n\n### Response:";

    private AlpacaPrompt() {
    }

    /** The prompt for an instruction with an optional input ({@code null} or empty: none). */
    public static String prompt(String instruction, String input) {
        if (input == null || input.isEmpty()) {
            return NO_INPUT.formatted(instruction);
        }
        return WITH_INPUT.formatted(instruction, input);
    }

    public static GenerationExample example(String instruction, String input, String output) {
        return new GenerationExample(prompt(instruction, input), output);
    }
}
