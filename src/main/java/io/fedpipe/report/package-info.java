/**
 * The method comparison's report (issue 3 §6), from the run logs of {@code fedpipe simulate
 * --json}: {@link io.fedpipe.report.RunLog} reads one log, {@link io.fedpipe.report.MethodComparison}
 * computes the figures per (setting, method), {@link io.fedpipe.report.ComparisonTable} renders the
 * Markdown table and JSON, {@link io.fedpipe.report.ComparisonPlots} the PNGs (drawn by
 * {@link io.fedpipe.report.LinePlot} and {@link io.fedpipe.report.BarChart} with java.awt only).
 * Pure Java: nothing here loads a model or starts an actor.
 */
package io.fedpipe.report;
