/**
 * Evaluation metrics as pure functions of predictions and gold labels (or token losses):
 * {@link io.fedpipe.eval.ClassificationMetrics} (accuracy, per-class and macro-F1, confusion) and
 * {@link io.fedpipe.eval.LanguageModelMetrics} (token-weighted mean loss, perplexity).
 */
package io.fedpipe.eval;
