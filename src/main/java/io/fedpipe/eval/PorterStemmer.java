package io.fedpipe.eval;

/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980),
 * steps 1a–5b as published, for METEOR's stem module. Works on lowercase ASCII words; a word
 * with any other character, or of two letters or fewer, is returned unchanged.
 *
 * <p>In each step the longest listed suffix that ends the word is the only one tried: if its
 * condition on the stem fails, the step does nothing (as in Porter's reference implementation).
 * Step 2 includes the reference implementation's {@code abli → able}.
 */
public final class PorterStemmer {

    private static final String[][] STEP2 = {
        {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
        {"abli", "able"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
        {"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"},
        {"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
    };
    private static final String[][] STEP3 = {
        {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"}, {"ical", "ic"}, {"ful", ""},
        {"ness", ""},
    };
    private static final String[] STEP4 = {
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
        "ate", "iti", "ous", "ive", "ize",
    };

    private PorterStemmer() {
    }

    public static String stem(String word) {
        if (word.length() <= 2 || !word.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
            return word;
        }
        String w = step1a(word);
        w = step1b(w);
        w = step1c(w);
        w = replaceLongest(w, STEP2, 0);
        w = replaceLongest(w, STEP3, 0);
        w = step4(w);
        return step5(w);
    }

    private static String step1a(String w) {
        if (w.endsWith("sses")) {
            return cut(w, 2);
        }
        if (w.endsWith("ies")) {
            return cut(w, 2);
        }
        if (w.endsWith("ss")) {
            return w;
        }
        if (w.endsWith("s")) {
            return cut(w, 1);
        }
        return w;
    }

    private static String step1b(String w) {
        if (w.endsWith("eed")) {
            return measure(cut(w, 3)) > 0 ? cut(w, 1) : w;
        }
        String stem;
        if (w.endsWith("ed") && hasVowel(cut(w, 2))) {
            stem = cut(w, 2);
        } else if (w.endsWith("ing") && hasVowel(cut(w, 3))) {
            stem = cut(w, 3);
        } else {
            return w;
        }
        if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) {
            return stem + "e";
        }
        if (endsDoubleConsonant(stem)) {
            char last = stem.charAt(stem.length() - 1);
            return last == 'l' || last == 's' || last == 'z' ? stem : cut(stem, 1);
        }
        if (measure(stem) == 1 && endsCvc(stem)) {
            return stem + "e";
        }
        return stem;
    }

    private static String step1c(String w) {
        return w.endsWith("y") && hasVowel(cut(w, 1)) ? cut(w, 1) + "i" : w;
    }

    /** The longest suffix of {@code rules} ending {@code w}; replaced when the stem's measure exceeds {@code minMeasure}. */
    private static String replaceLongest(String w, String[][] rules, int minMeasure) {
        String[] best = null;
        for (String[] rule : rules) {
            if (w.endsWith(rule[0]) && (best == null || rule[0].length() > best[0].length())) {
                best = rule;
            }
        }
        if (best == null) {
            return w;
        }
        String stem = cut(w, best[0].length());
        return measure(stem) > minMeasure ? stem + best[1] : w;
    }

    private static String step4(String w) {
        String best = null;
        for (String suffix : STEP4) {
            if (w.endsWith(suffix) && (best == null || suffix.length() > best.length())) {
                best = suffix;
            }
        }
        if (best == null) {
            return w;
        }
        String stem = cut(w, best.length());
        if (measure(stem) <= 1) {
            return w;
        }
        if (best.equals("ion") && !(stem.endsWith("s") || stem.endsWith("t"))) {
            return w;
        }
        return stem;
    }

    private static String step5(String w) {
        if (w.endsWith("e")) {
            String stem = cut(w, 1);
            int m = measure(stem);
            if (m > 1 || (m == 1 && !endsCvc(stem))) {
                w = stem;
            }
        }
        if (w.endsWith("ll") && measure(w) > 1) {
            w = cut(w, 1);
        }
        return w;
    }

    private static String cut(String w, int n) {
        return w.substring(0, w.length() - n);
    }

    private static boolean isConsonant(String w, int i) {
        char c = w.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') {
            return false;
        }
        return c != 'y' || i == 0 || !isConsonant(w, i - 1);
    }

    /** m in [C](VC)^m[V]. */
    static int measure(String w) {
        int n = 0;
        int i = 0;
        int length = w.length();
        while (i < length && isConsonant(w, i)) {
            i++;
        }
        while (i < length) {
            while (i < length && !isConsonant(w, i)) {
                i++;
            }
            if (i >= length) {
                break;
            }
            while (i < length && isConsonant(w, i)) {
                i++;
            }
            n++;
        }
        return n;
    }

    private static boolean hasVowel(String w) {
        for (int i = 0; i < w.length(); i++) {
            if (!isConsonant(w, i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    /** *o: consonant–vowel–consonant at the end, the last not w, x or y. */
    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n < 3 || !isConsonant(w, n - 3) || isConsonant(w, n - 2) || !isConsonant(w, n - 1)) {
            return false;
        }
        char last = w.charAt(n - 1);
        return last != 'w' && last != 'x' && last != 'y';
    }
}
