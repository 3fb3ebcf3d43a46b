package io.fedpipe.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One federated run as written by {@code fedpipe simulate --json}: one JSON object per line, one
 * line per round, round 0 being the untrained start (no nodes, no traffic). Every field of the
 * schema below is required, except {@code nodes} in round 0; unknown fields are ignored so the
 * writer can add some without breaking old reports. Every line must name the same experiment,
 * method, setting and time label, and rounds must count up from 0 by one: a log that skips or
 * repeats a round is a concatenation mistake, and would silently distort time-to-target.
 *
 * @param source     the file it was read from, for messages
 * @param experiment the experiment file's name
 * @param method     e.g. {@code fedpipe}, {@code fedavg-lora}
 * @param setting    e.g. {@code hetero}
 * @param time       how the seconds were obtained: {@code emulated} or {@code measured}
 * @param rounds     round 0, 1, 2, ... in order
 * @param score      what {@link Round#accuracy()} holds: {@code accuracy} (a classifier), or
 *                   {@code bleu} (a causal-LM job's lines have no accuracy; its round score is the
 *                   BLEU of the round's greedy test prompts)
 * @param finalScores a causal-LM job's final decoding of the test set (its {@code "final"} line:
 *                   {@code bleu}, {@code nist}, {@code meteor}, {@code rouge_l}, {@code cider}, and the
 *                   base model's as {@code base_bleu}, ...); empty for a classifier
 */
public record RunLog(String source, String experiment, String method, String setting, String time,
                     List<Round> rounds, String score, Map<String, Double> finalScores) {

    /**
     * One round of the global model.
     *
     * @param roundSeconds   the round's duration
     * @param elapsedSeconds time since the start, after this round
     * @param bytesUp        summed over the nodes
     * @param nodes          per node id (sorted), what it did; empty in round 0
     */
    public record Round(int round, double accuracy, double macroF1, double roundSeconds, double elapsedSeconds,
                        long bytesUp, long bytesDown, int rejected, int failures, Map<String, NodeRound> nodes) {
        public Round {
            nodes = Collections.unmodifiableMap(new TreeMap<>(nodes));
        }
    }

    /**
     * One node in one round.
     *
     * @param rank             the node's largest LoRA rank; 0 for full fine-tuning
     * @param matrices         adapted matrices
     * @param computeSeconds   measured on the simulating machine
     * @param emulatedSeconds  from the virtual clock
     * @param peakMemoryBytes  -1 when unknown
     * @param lastLoss         NaN when the node failed
     */
    public record NodeRound(String bits, int batch, int steps, int rank, int matrices, long trainableParameters,
                            long bytesUp, long bytesDown, double computeSeconds, double emulatedSeconds,
                            long peakMemoryBytes, double lastLoss) {}

    public RunLog {
        rounds = List.copyOf(rounds);
        finalScores = Collections.unmodifiableMap(new TreeMap<>(finalScores));
    }

    /** A classifier's log: rounds scored by accuracy, no final decoding. */
    public RunLog(String source, String experiment, String method, String setting, String time, List<Round> rounds) {
        this(source, experiment, method, setting, time, rounds, "accuracy", Map.of());
    }

    public Round last() {
        return rounds.get(rounds.size() - 1);
    }

    // Jackson writes NaN as the string "NaN" by default; read it back, and bare NaN too.
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** Reads and validates one log; every problem is one line naming the file and line. */
    public static RunLog read(Path file) throws IOException {
        String name = file.toString();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, "no such run log");
        } catch (CharacterCodingException e) {
            throw new RunLogFormatException(name + ": not UTF-8 text");
        }
        Header header = null;
        List<Round> rounds = new ArrayList<>();
        Map<String, Double> finalScores = new TreeMap<>();
        String score = "accuracy";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode json = parse(name, i + 1, lines.get(i));
            if (json.has("final")) {
                // The causal-LM job's last line: its test-set scores, not a round.
                JsonNode f = json.get("final");
                if (!f.isObject()) {
                    throw new RunLogFormatException(name + ":" + (i + 1) + ": field 'final' must be an object of scores");
                }
                for (Map.Entry<String, JsonNode> e : f.properties()) {
                    if (!e.getValue().isNumber()) {
                        throw new RunLogFormatException(name + ":" + (i + 1) + ": final score '" + e.getKey()
                                + "' must be a number: " + e.getValue());
                    }
                    finalScores.put(e.getKey(), e.getValue().doubleValue());
                }
                continue;
            }
            if (!json.has("accuracy") && json.has("bleu")) {
                score = "bleu";
            }
            Line line = new Line(name, i + 1, json);
            Header h = new Header(line.text("experiment"), line.text("method"), line.text("setting"), line.text("time"));
            if (header == null) {
                header = h;
            } else if (!header.equals(h)) {
                throw line.error("experiment, method, setting and time must be the same on every line: " + h
                        + " after " + header);
            }
            Round r = line.round();
            if (r.round() != rounds.size()) {
                throw line.error("round " + r.round() + " where round " + rounds.size() + " was expected"
                        + " (rounds count up from 0 by one)");
            }
            if (!rounds.isEmpty() && r.elapsedSeconds() < rounds.get(rounds.size() - 1).elapsedSeconds()) {
                throw line.error("elapsedSeconds goes back in time: " + r.elapsedSeconds() + " after "
                        + rounds.get(rounds.size() - 1).elapsedSeconds());
            }
            rounds.add(r);
        }
        if (header == null) {
            throw new RunLogFormatException(name + ": empty run log (expected one JSON object per round)");
        }
        return new RunLog(name, header.experiment, header.method, header.setting, header.time, rounds, score,
                finalScores);
    }

    private record Header(String experiment, String method, String setting, String time) {
        @Override
        public String toString() {
            return experiment + "/" + method + "/" + setting + "/" + time;
        }
    }

    private static JsonNode parse(String name, int number, String text) throws RunLogFormatException {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                throw new RunLogFormatException(name + ":" + number + ": not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new RunLogFormatException(name + ":" + number + ": malformed JSON: " + e.getOriginalMessage());
        }
    }

    /** One line's object, with typed getters whose errors name the file, line and field. */
    private record Line(String file, int number, JsonNode json) {

        RunLogFormatException error(String message) {
            return new RunLogFormatException(file + ":" + number + ": " + message);
        }

        Round round() throws RunLogFormatException {
            int round = integer(json, "round", "");
            // A causal-LM job's round is scored by BLEU (in [0, 1] too) and has no macro-F1.
            boolean bleu = !json.has("accuracy") && json.has("bleu");
            double accuracy = unitInterval(json, bleu ? "bleu" : "accuracy");
            double macroF1 = bleu ? Double.NaN : unitInterval(json, "macroF1");
            Map<String, NodeRound> nodes = new TreeMap<>();
            JsonNode n = json.get("nodes");
            if (n == null || n.isNull()) {
                if (round > 0) {
                    throw error("missing field 'nodes' (required from round 1 on)");
                }
            } else if (!n.isObject()) {
                throw error("field 'nodes' must be an object of node id to node figures");
            } else {
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    nodes.put(e.getKey(), node(e.getKey(), e.getValue()));
                }
            }
            return new Round(round, accuracy, macroF1, seconds(json, "roundSeconds", ""),
                    seconds(json, "elapsedSeconds", ""), count(json, "bytesUp", ""), count(json, "bytesDown", ""),
                    integer(json, "rejected", ""), integer(json, "failures", ""), nodes);
        }

        private NodeRound node(String id, JsonNode j) throws RunLogFormatException {
            String where = "nodes." + id + ".";
            if (!j.isObject()) {
                throw error("field '" + where.substring(0, where.length() - 1) + "' must be an object");
            }
            long peak = number(j, "peakMemoryBytes", where).longValue();
            if (peak < -1) {
                throw error("field '" + where + "peakMemoryBytes' must be >= 0, or -1 when unknown: " + peak);
            }
            return new NodeRound(text(j, "bits", where), integer(j, "batch", where), integer(j, "steps", where),
                    integer(j, "rank", where), integer(j, "matrices", where), count(j, "trainableParameters", where),
                    count(j, "bytesUp", where), count(j, "bytesDown", where), seconds(j, "computeSeconds", where),
                    seconds(j, "emulatedSeconds", where), peak, loss(j, "lastLoss", where));
        }

        String text(String field) throws RunLogFormatException {
            return text(json, field, "");
        }

        private String text(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = required(j, field, where);
            if (!v.isTextual() || v.asText().isBlank()) {
                throw error("field '" + where + field + "' must be a non-empty string: " + v);
            }
            return v.asText();
        }

        private Number number(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = required(j, field, where);
            if (!v.isNumber()) {
                throw error("field '" + where + field + "' must be a number: " + v);
            }
            return v.numberValue();
        }

        private int integer(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = required(j, field, where);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
                throw error("field '" + where + field + "' must be an integer >= 0: " + v);
            }
            return v.intValue();
        }

        private long count(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = required(j, field, where);
            if (!v.canConvertToLong() || !v.isIntegralNumber() || v.longValue() < 0) {
                throw error("field '" + where + field + "' must be an integer >= 0: " + v);
            }
            return v.longValue();
        }

        private double seconds(JsonNode j, String field, String where) throws RunLogFormatException {
            double s = number(j, field, where).doubleValue();
            if (!(s >= 0) || !Double.isFinite(s)) {
                throw error("field '" + where + field + "' must be finite seconds >= 0: " + s);
            }
            return s;
        }

        private double unitInterval(JsonNode j, String field) throws RunLogFormatException {
            double x = number(j, field, "").doubleValue();
            if (!(x >= 0 && x <= 1)) {
                throw error("field '" + field + "' must be in [0, 1]: " + x);
            }
            return x;
        }

        /** A loss may be NaN (a failed node), written by Jackson as the string "NaN". */
        private double loss(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = required(j, field, where);
            if (v.isNumber()) {
                return v.doubleValue();
            }
            if (v.isTextual() && v.asText().equals("NaN")) {
                return Double.NaN;
            }
            throw error("field '" + where + field + "' must be a number or \"NaN\": " + v);
        }

        private JsonNode required(JsonNode j, String field, String where) throws RunLogFormatException {
            JsonNode v = j.get(field);
            if (v == null || v.isNull()) {
                throw error("missing field '" + where + field + "'");
            }
            return v;
        }
    }
}
