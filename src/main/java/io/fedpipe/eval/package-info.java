/**
 * Evaluation metrics as pure functions of predictions and gold labels (or token losses):
 * {@link io.fedpipe.eval.ClassificationMetrics} (accuracy, per-class and macro-F1, confusion) and
 * {@link io.fedpipe.eval.LanguageModelMetrics} (token-weighted mean loss, perplexity) and the E2E
 * challenge's corpus-level generation metrics through {@link io.fedpipe.eval.GenerationMetrics}
 * (BLEU, NIST, METEOR, ROUGE-L, CIDEr; definitions in {@code docs/generation-metrics.md}).
 */
package io.fedpipe.eval;
