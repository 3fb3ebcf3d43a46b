package io.fedpipe.simulation;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the global model scores after a round on the job's held-out data: accuracy and macro-F1 for
 * a classifier (NaN for a decoder), and further metrics by name.
 */
public record RoundScores(double accuracy, double macroF1, Map<String, Double> metrics) {

    /** Metric names a causal-LM job reports. */
    public static final String VALIDATION_LOSS = "validation_loss";
    public static final String PERPLEXITY = "perplexity";
    public static final String BLEU = "bleu";
    public static final String NIST = "nist";
    public static final String METEOR = "meteor";
    public static final String ROUGE_L = "rouge_l";
    public static final String CIDER = "cider";

    public RoundScores {
        metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    }
}
