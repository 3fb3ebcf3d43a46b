package io.fedpipe.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The tokenization coco-caption applies before METEOR, ROUGE-L and CIDEr, approximated: the
 * E2E scripts run Stanford CoreNLP 3.4.1's {@code PTBTokenizer -preserveLines -lowerCase} and
 * then drop the punctuation tokens {@code '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;}.
 *
 * <p>What this class does instead of the full PTB rules: lowercase; split on whitespace; peel
 * leading and trailing punctuation off each piece; split commas and semicolons inside a piece
 * unless between digits; split the clitics {@code n't 's 're 've 'll 'd 'm} as PTB does; then
 * drop the punctuation tokens above (brackets included, which PTB turns into {@code -LRB-} and
 * so on). Hyphenated words and numbers such as {@code £20-25} stay whole, as in PTB. It differs
 * from CoreNLP on rarer cases (abbreviations with periods, URLs, quotes inside words, and
 * symbols such as {@code £} that PTB may split off a number); on E2E outputs these are rare.
 */
public final class CaptionTokenizer {

    private static final Set<String> DROPPED = Set.of("''", "'", "``", "`", ".", "?", "!", ",", ":", "-", "--",
            "...", ";", "(", ")", "[", "]", "{", "}", "\"");
    private static final String LEADING = "\"'`([{";
    private static final String TRAILING = "\"'`)]}.,;:!?";
    private static final String[] CLITICS = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"};

    private CaptionTokenizer() {
    }

    public static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        for (String piece : text.toLowerCase(Locale.ROOT).replace('\u2019', '\'').trim().split("\\s+")) {
            if (!piece.isEmpty()) {
                splitPiece(piece, tokens);
            }
        }
        tokens.removeIf(DROPPED::contains);
        return tokens;
    }

    private static void splitPiece(String piece, List<String> out) {
        int start = 0;
        int end = piece.length();
        while (start < end && LEADING.indexOf(piece.charAt(start)) >= 0) {
            out.add(String.valueOf(piece.charAt(start)));
            start++;
        }
        List<String> trailing = new ArrayList<>();
        while (end > start && TRAILING.indexOf(piece.charAt(end - 1)) >= 0) {
            trailing.add(0, String.valueOf(piece.charAt(end - 1)));
            end--;
        }
        String core = piece.substring(start, end);
        int from = 0;
        for (int i = 0; i < core.length(); i++) {
            char c = core.charAt(i);
            boolean betweenDigits = i > 0 && i + 1 < core.length()
                    && Character.isDigit(core.charAt(i - 1)) && Character.isDigit(core.charAt(i + 1));
            if ((c == ',' || c == ';') && !betweenDigits) {
                addWithClitic(core.substring(from, i), out);
                out.add(String.valueOf(c));
                from = i + 1;
            }
        }
        addWithClitic(core.substring(from), out);
        out.addAll(trailing);
    }

    private static void addWithClitic(String word, List<String> out) {
        if (word.isEmpty()) {
            return;
        }
        for (String clitic : CLITICS) {
            if (word.length() > clitic.length() && word.endsWith(clitic)) {
                out.add(word.substring(0, word.length() - clitic.length()));
                out.add(clitic);
                return;
            }
        }
        out.add(word);
    }
}
