package io.fedpipe.data;

import java.util.List;
import java.util.Objects;

/**
 * One noun synset of WordNet's {@code data.noun}: where it is, which lexicographer file
 * (topic class) it belongs to, its words and its gloss.
 *
 * @param offset byte offset of the synset in {@code data.noun}, its identifier in WordNet 3.1
 * @param lexFileNumber the lexicographer file number, 03..28 for nouns
 * @param words the synset's words as WordNet writes them (spaces as underscores)
 * @param gloss the whole gloss: definition, then usually example sentences in double quotes
 */
public record WordNetSynset(long offset, int lexFileNumber, List<String> words, String gloss) {

    public WordNetSynset {
        Objects.requireNonNull(gloss, "gloss");
        words = List.copyOf(words);
    }

    /** The lexicographer file name, e.g. {@code noun.animal}: the topic label. */
    public String lexFileName() {
        return WordNetTopics.lexFileName(lexFileNumber);
    }

    /**
     * The gloss without its example sentences: the text before the first {@code ; "} or
     * {@code : "} (the separators WordNet puts before an example), trimmed of trailing
     * {@code ;}/{@code :} and spaces. Examples often name the word itself ("the dog barked all
     * night"), which would make the topic task a word-lookup; definitions describe the concept.
     */
    public String definition() {
        int cut = firstExampleStart(gloss);
        String definition = cut < 0 ? gloss : gloss.substring(0, cut);
        int end = definition.length();
        while (end > 0 && (definition.charAt(end - 1) == ' ' || definition.charAt(end - 1) == ';'
                || definition.charAt(end - 1) == ':')) {
            end--;
        }
        return definition.substring(0, end).strip();
    }

    private static int firstExampleStart(String gloss) {
        int semicolon = gloss.indexOf("; \"");
        int colon = gloss.indexOf(": \"");
        if (semicolon < 0) {
            return colon;
        }
        return colon < 0 ? semicolon : Math.min(semicolon, colon);
    }
}
