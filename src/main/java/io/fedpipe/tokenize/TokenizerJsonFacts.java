package io.fedpipe.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;

/** What FedPipe reads from a tokenizer.json itself, because DJL's binding does not expose it. */
record TokenizerJsonFacts(long padId, int vocabularySize) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerJsonFacts of(byte[] tokenizerJson, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson);
        } catch (IOException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(source + ": not a JSON object");
        }
        return new TokenizerJsonFacts(padId(root), vocabularySize(root));
    }

    private static long padId(JsonNode root) {
        JsonNode padding = root.path("padding");
        if (padding.path("pad_id").isIntegralNumber()) {
            return padding.get("pad_id").longValue();
        }
        Long firstSpecial = null;
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText();
            if (content.equals("[PAD]") || content.equals("<pad>")) {
                return t.path("id").longValue();
            }
            if (firstSpecial == null && t.path("special").asBoolean()) {
                firstSpecial = t.path("id").longValue();
            }
        }
        return firstSpecial == null ? 0 : firstSpecial;
    }

    private static int vocabularySize(JsonNode root) {
        long largest = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                largest = Math.max(largest, e.getValue().longValue());
            }
        } else if (vocab.isArray()) {
            largest = vocab.size() - 1L;
        }
        for (JsonNode t : root.path("added_tokens")) {
            largest = Math.max(largest, t.path("id").longValue());
        }
        return Math.toIntExact(largest + 1);
    }
}
