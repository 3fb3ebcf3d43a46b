package io.fedpipe.eval;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The text normalization of NIST's {@code mteval-v13a.pl} ({@code sub tokenization}, the default,
 * non-international one), which the E2E challenge's BLEU and NIST use, re-implemented from the
 * script's rules:
 *
 * <ol>
 *   <li>remove {@code <skipped>}; join lines ({@code -\n} removed, {@code \n} to a space); decode
 *       {@code &quot; &amp; &lt; &gt;};</li>
 *   <li>lowercase ASCII A–Z (mteval's default; it has {@code -c} to keep case, E2E does not use it);</li>
 *   <li>surround with spaces every character of {@code { | } ~ [ \ ] ^ _ `}, space to {@code &},
 *       {@code ( ) * +}, {@code : ; < = > ? @} and {@code /};</li>
 *   <li>split a period or comma from a preceding non-digit, and from a following non-digit
 *       ({@code 3.5} and {@code 1,000} stay whole); split a dash that follows a digit;</li>
 *   <li>collapse whitespace; tokens are the space-separated pieces.</li>
 * </ol>
 * Apostrophes and hyphens between letters stay inside tokens ({@code family-friendly},
 * {@code it's}), as in mteval.
 */
public final class MtevalTokenizer {

    private static final Pattern PUNCTUATION = Pattern.compile("([{-~\\[-`\\u0020-&(-+:-@/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private MtevalTokenizer() {
    }

    public static List<String> tokenize(String text) {
        String s = text.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
                .replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        s = " " + lowerAscii(s) + " ";
        s = PUNCTUATION.matcher(s).replaceAll(" $1 ");
        s = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
        s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = SPACES.matcher(s).replaceAll(" ").strip();
        return s.isEmpty() ? List.of() : List.of(s.split(" "));
    }

    private static String lowerAscii(String s) {
        char[] chars = s.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= 'A' && chars[i] <= 'Z') {
                chars[i] = (char) (chars[i] + ('a' - 'A'));
            }
        }
        return new String(chars);
    }
}
