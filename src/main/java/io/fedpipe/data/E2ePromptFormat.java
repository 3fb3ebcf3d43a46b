package io.fedpipe.data;

/**
 * How an E2E meaning representation becomes a prompt for a decoder LM, in one place so that
 * training and evaluation cannot drift apart.
 *
 * <p>The prompt is the MR exactly as in the file followed by {@link #SEPARATOR} (one newline);
 * the completion is the reference sentence unchanged. So the model reads
 * {@code name[Alimentum], area[city centre], familyFriendly[no]\n} and learns to continue with
 * {@code There is a place in the city centre, Alimentum, that is not family-friendly.}
 */
public final class E2ePromptFormat {

    /** Between the MR and the completion. */
    public static final String SEPARATOR = "\n";

    private E2ePromptFormat() {
    }

    public static String prompt(String mr) {
        return mr + SEPARATOR;
    }
}
