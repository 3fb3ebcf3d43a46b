package io.fedpipe.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a {@link GenerationTask} by name:
 *
 * <ul>
 *   <li>{@code e2e}: the E2E NLG data in {@code data/e2e/}. There is no E2E training set here: the
 *       dev set (4,672 pairs, 547 MRs) is the training pool, 10% of its MRs (seeded) held out for
 *       validation, and the test set (630 MRs with all their references) is what is decoded and
 *       scored. Prompts are {@link E2ePromptFormat}.
 *   <li>a directory: {@code train.jsonl} ({@code {"prompt", "completion"}} or Alpaca
 *       {@code {"instruction", "input", "output"}} lines, told apart by the first line),
 *       {@code validation.jsonl} (same format, optional) and {@code test.jsonl} (optional;
 *       {@code {"prompt", "references": [...]}} or {@code {"prompt", "completion"}} lines).
 * </ul>
 *
 * Malformed lines are reported with their line numbers, as {@link JsonlReader} does; in
 * {@code test.jsonl} every line must be well-formed (predictions are matched by position).
 */
public final class GenerationTasks {

    public static final String E2E = "e2e";

    private GenerationTasks() {}

    public static GenerationTask load(String name, long seed) throws IOException {
        if (name.trim().equalsIgnoreCase(E2E)) {
            return e2e(seed);
        }
        Path dir = Path.of(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("unknown generation task '" + name + "'; use e2e or a directory with "
                    + "train.jsonl (and validation.jsonl, test.jsonl)");
        }
        List<GenerationExample> train = pairs(dir.resolve("train.jsonl"), true);
        Path val = dir.resolve("validation.jsonl");
        List<GenerationExample> validation = Files.exists(val) ? pairs(val, true) : List.of();
        Path test = dir.resolve("test.jsonl");
        List<GenerationTask.TestPrompt> tests = Files.exists(test) ? testPrompts(test) : List.of();
        return new GenerationTask(dir.toString(), train, validation, tests);
    }

    /** E2E: dev set split by MR (90/10, seeded) for training and validation; the test set to score. */
    public static GenerationTask e2e(long seed) throws IOException {
        E2eDataset dev = E2eData.devset().dataset();
        E2eSplit split = dev.splitByMr(seed, 0.1);
        E2eDataset test = E2eData.testset().dataset();
        List<GenerationTask.TestPrompt> tests = new ArrayList<>();
        List<String> prompts = test.prompts();
        List<List<String>> refs = test.references();
        for (int i = 0; i < prompts.size(); i++) {
            tests.add(new GenerationTask.TestPrompt(prompts.get(i), refs.get(i)));
        }
        return new GenerationTask("e2e (train: dev set minus 10% of MRs; test: test set)",
                split.train().trainingPairs().examples(), split.validation().trainingPairs().examples(), tests);
    }

    private static List<GenerationExample> pairs(Path file, boolean required) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " does not exist");
        }
        String first = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).findFirst().orElse("");
        boolean alpaca = first.contains("\"instruction\"");
        LoadResult<GenerationDataset> r = alpaca ? JsonlReader.readAlpaca(file) : JsonlReader.readGeneration(file);
        return r.dataset().examples();
    }

    private static List<GenerationTask.TestPrompt> testPrompts(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<GenerationTask.TestPrompt> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (JsonProcessingException e) {
                throw new DatasetFormatException(file + ":" + n + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.path("prompt").isTextual()) {
                throw new DatasetFormatException(file + ":" + n + ": no string field \"prompt\"");
            }
            List<String> refs = new ArrayList<>();
            if (node.path("references").isArray()) {
                for (JsonNode r : node.get("references")) {
                    if (!r.isTextual()) {
                        throw new DatasetFormatException(file + ":" + n + ": references must be strings");
                    }
                    refs.add(r.asText());
                }
            } else if (node.path("completion").isTextual()) {
                refs.add(node.get("completion").asText().strip());
            }
            if (refs.isEmpty()) {
                throw new DatasetFormatException(file + ":" + n + ": needs \"references\" (strings) or \"completion\"");
            }
            out.add(new GenerationTask.TestPrompt(node.get("prompt").asText(), refs));
        }
        return out;
    }
}
