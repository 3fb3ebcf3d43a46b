package io.fedpipe.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one attribute of an E2E-style meaning representation ({@code name[The Eagle], food[Italian],
 * area[city centre]}) out of each example's prompt, so that a generation task can be split over
 * nodes by what the examples are about: by {@code eatType}, {@code area}, {@code food},
 * {@code priceRange}, {@code customer rating}, {@code familyFriendly} or {@code near}.
 */
public final class MrAttributes {

    /** The label of an example whose MR lacks the attribute. */
    public static final String ABSENT = "(none)";

    private MrAttributes() {}

    /**
     * Label indices (in order of first appearance) and their values.
     *
     * @throws IllegalArgumentException when no prompt has the attribute (a typo, or not an MR task)
     */
    public record Labels(int[] indices, List<String> values) {}

    public static Labels of(List<GenerationExample> examples, String attribute) {
        Pattern p = Pattern.compile("(?:^|,)\\s*" + Pattern.quote(attribute) + "\\[([^\\]]*)\\]",
                Pattern.CASE_INSENSITIVE);
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] indices = new int[examples.size()];
        boolean found = false;
        for (int i = 0; i < examples.size(); i++) {
            Matcher m = p.matcher(examples.get(i).prompt());
            String value = ABSENT;
            if (m.find()) {
                value = m.group(1).strip().toLowerCase(Locale.ROOT);
                found = true;
            }
            indices[i] = ids.computeIfAbsent(value, v -> ids.size());
        }
        if (!found) {
            throw new IllegalArgumentException("no example's prompt has the attribute '" + attribute
                    + "' (an E2E meaning representation such as food[Italian]); E2E attributes: name, eatType, food,"
                    + " priceRange, customer rating, area, familyFriendly, near");
        }
        return new Labels(indices, new ArrayList<>(ids.keySet()));
    }
}
