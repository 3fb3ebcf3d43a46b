package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a partition spreads examples over nodes: per-node label counts, node sizes, and two skew
 * measures.
 *
 * <ul>
 *   <li>{@link #labelSkew()}: mean over non-empty nodes of the total-variation distance
 *       ½·Σ_c |p_node(c) − p_global(c)| between a node's label distribution and the global one.
 *       0 for identical mixes; near 1 when every node holds classes that are rare overall.</li>
 *   <li>{@link #sizeCoefficientOfVariation()}: population standard deviation of node sizes
 *       divided by their mean; 0 when all nodes are equally large.</li>
 * </ul>
 *
 * <p>{@link #of} checks that the parts are a partition (each example exactly once) and fails
 * naming the first index that is missing, repeated or out of range.
 */
public final class PartitionSummary {

    private final int[][] counts;
    private final int[] nodeTotals;
    private final int[] labelTotals;
    private final int examples;

    private PartitionSummary(int[][] counts, int numLabels) {
        this.counts = counts;
        this.nodeTotals = new int[counts.length];
        this.labelTotals = new int[numLabels];
        int total = 0;
        for (int node = 0; node < counts.length; node++) {
            for (int label = 0; label < numLabels; label++) {
                nodeTotals[node] += counts[node][label];
                labelTotals[label] += counts[node][label];
            }
            total += nodeTotals[node];
        }
        this.examples = total;
    }

    public static PartitionSummary of(List<int[]> parts, int[] labels, int numLabels) {
        int[] owner = new int[labels.length];
        Arrays.fill(owner, -1);
        int[][] counts = new int[parts.size()][numLabels];
        for (int node = 0; node < parts.size(); node++) {
            for (int index : parts.get(node)) {
                if (index < 0 || index >= labels.length) {
                    throw new IllegalArgumentException("node " + node + " holds index " + index
                            + ", outside [0, " + labels.length + ")");
                }
                if (owner[index] >= 0) {
                    throw new IllegalArgumentException("example " + index + " is on node " + owner[index]
                            + " and on node " + node);
                }
                owner[index] = node;
                counts[node][labels[index]]++;
            }
        }
        for (int i = 0; i < owner.length; i++) {
            if (owner[i] < 0) {
                throw new IllegalArgumentException("example " + i + " is on no node");
            }
        }
        return new PartitionSummary(counts, numLabels);
    }

    public int nodes() {
        return counts.length;
    }

    public int numLabels() {
        return labelTotals.length;
    }

    /** Examples of {@code label} on {@code node}. */
    public int count(int node, int label) {
        return counts[node][label];
    }

    public int[] nodeTotals() {
        return nodeTotals.clone();
    }

    public int[] labelTotals() {
        return labelTotals.clone();
    }

    public int emptyNodes() {
        int empty = 0;
        for (int total : nodeTotals) {
            empty += total == 0 ? 1 : 0;
        }
        return empty;
    }

    /** Total-variation distance of one node's label distribution from the global one; NaN if empty. */
    public double totalVariation(int node) {
        if (nodeTotals[node] == 0) {
            return Double.NaN;
        }
        double distance = 0;
        for (int label = 0; label < labelTotals.length; label++) {
            distance += Math.abs((double) counts[node][label] / nodeTotals[node]
                    - (double) labelTotals[label] / examples);
        }
        return distance / 2;
    }

    /** Mean {@link #totalVariation} over the non-empty nodes; 0 when every node is empty. */
    public double labelSkew() {
        double sum = 0;
        int nonEmpty = 0;
        for (int node = 0; node < counts.length; node++) {
            if (nodeTotals[node] > 0) {
                sum += totalVariation(node);
                nonEmpty++;
            }
        }
        return nonEmpty == 0 ? 0 : sum / nonEmpty;
    }

    public double sizeCoefficientOfVariation() {
        double mean = (double) examples / counts.length;
        if (mean == 0) {
            return 0;
        }
        double squares = 0;
        for (int total : nodeTotals) {
            squares += (total - mean) * (total - mean);
        }
        return Math.sqrt(squares / counts.length) / mean;
    }

    /**
     * A fixed-width table: one row per node with its count of each label, its total and its
     * total-variation distance, then a totals row and the skew measures.
     */
    public String toTable(List<String> labelNames) {
        if (labelNames.size() != labelTotals.length) {
            throw new IllegalArgumentException(labelNames.size() + " label names for " + labelTotals.length + " labels");
        }
        List<String> header = new ArrayList<>();
        header.add("node");
        header.addAll(labelNames);
        header.add("total");
        header.add("TV");
        List<List<String>> rows = new ArrayList<>();
        for (int node = 0; node < counts.length; node++) {
            List<String> row = new ArrayList<>();
            row.add(Integer.toString(node));
            for (int count : counts[node]) {
                row.add(Integer.toString(count));
            }
            row.add(Integer.toString(nodeTotals[node]));
            row.add(nodeTotals[node] == 0 ? "-" : String.format(Locale.ROOT, "%.3f", totalVariation(node)));
            rows.add(row);
        }
        List<String> totals = new ArrayList<>();
        totals.add("all");
        for (int total : labelTotals) {
            totals.add(Integer.toString(total));
        }
        totals.add(Integer.toString(examples));
        totals.add("");
        rows.add(totals);
        int[] widths = new int[header.size()];
        for (int column = 0; column < widths.length; column++) {
            widths[column] = header.get(column).length();
            for (List<String> row : rows) {
                widths[column] = Math.max(widths[column], row.get(column).length());
            }
        }
        StringBuilder out = new StringBuilder();
        appendRow(out, header, widths);
        for (List<String> row : rows) {
            appendRow(out, row, widths);
        }
        out.append(String.format(Locale.ROOT, "label skew (mean TV from global) %.3f; node size CV %.3f;"
                + " empty nodes %d", labelSkew(), sizeCoefficientOfVariation(), emptyNodes()))
                .append(System.lineSeparator());
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> cells, int[] widths) {
        for (int column = 0; column < cells.size(); column++) {
            String cell = cells.get(column);
            out.append(column == 0 ? "" : "  ").append(" ".repeat(widths[column] - cell.length())).append(cell);
        }
        out.append(System.lineSeparator());
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        for (int label = 0; label < labelTotals.length; label++) {
            names.add("c" + label);
        }
        return toTable(names);
    }
}
