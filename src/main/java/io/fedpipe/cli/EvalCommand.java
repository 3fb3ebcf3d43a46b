package io.fedpipe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.data.E2eCsvReader;
import io.fedpipe.data.E2eData;
import io.fedpipe.data.JsonlReader;
import io.fedpipe.data.LoadPolicy;
import io.fedpipe.eval.GenerationMetrics;
import io.fedpipe.eval.GenerationScores;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe eval}: the E2E challenge's BLEU, NIST, METEOR, ROUGE-L and CIDEr of a file of
 * predictions (one line per prompt, in reference order) against multi-reference segments.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score generated text: BLEU, NIST, METEOR, ROUGE-L, CIDEr (E2E NLG challenge conventions).")
final class EvalCommand implements Callable<Integer> {

    /** The {@code --references} value that names the vendored E2E test set. */
    static final String E2E_TEST = "e2e-test";

    @Option(names = "--predictions", required = true, paramLabel = "FILE",
            description = "One prediction per line, in the order of the references' segments (UTF-8).")
    Path predictions;

    @Option(names = "--references", required = true, paramLabel = "FILE|e2e-test",
            description = "e2e-test (data/e2e/testset_w_refs.csv, one segment per MR in file order), an E2E-style "
                    + "CSV (mr,ref), or JSONL lines {\"references\": [\"...\", ...]}.")
    String references;

    @Option(names = "--json", description = "Print one JSON object instead of one line per metric.")
    boolean json;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws IOException {
        List<List<String>> refs = loadReferences();
        List<String> hypotheses = loadPredictions();
        if (hypotheses.size() != refs.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s has %d lines but %s has %d segments; give one prediction per line, in the references' order",
                    predictions, hypotheses.size(), references, refs.size()));
        }
        GenerationScores scores = GenerationMetrics.score(hypotheses, refs);
        PrintWriter out = command.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(scores));
        } else {
            out.print(scores.table());
        }
        out.flush();
        return 0;
    }

    private List<List<String>> loadReferences() throws IOException {
        // STRICT: segments pair with prediction lines by position, so a skipped line would shift the rest.
        if (references.equals(E2E_TEST)) {
            return E2eCsvReader.read(E2eData.directory().resolve(E2eData.TESTSET), LoadPolicy.STRICT).dataset().references();
        }
        Path file = Path.of(references);
        if (references.toLowerCase(Locale.ROOT).endsWith(".csv")) {
            return E2eCsvReader.read(file, LoadPolicy.STRICT).dataset().references();
        }
        return JsonlReader.readReferences(file, LoadPolicy.STRICT).dataset();
    }

    private List<String> loadPredictions() throws IOException {
        if (!Files.isRegularFile(predictions)) {
            throw new NoSuchFileException(predictions.toString(), null, "predictions file does not exist");
        }
        return Files.readAllLines(predictions, StandardCharsets.UTF_8);
    }
}
