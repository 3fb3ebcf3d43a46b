package io.fedpipe.report;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Vertical bars, one per category, each stacked from its parts (e.g. MB up, then MB down) with
 * the total written above it; the y axis starts at 0 so bar heights compare honestly.
 *
 * @param parts     the stacked parts, bottom first; each holds one value per category
 */
public record BarChart(String title, String xLabel, String yLabel, List<String> categories, List<Part> parts) {

    /** One stacked part across all categories; values ≥ 0. */
    public record Part(String name, double[] values) {
        public Part {
            for (double v : values) {
                if (!(v >= 0) || !Double.isFinite(v)) {
                    throw new IllegalArgumentException("bar part " + name + ": values must be finite and >= 0: " + v);
                }
            }
            values = values.clone();
        }
    }

    public BarChart {
        categories = List.copyOf(categories);
        parts = List.copyOf(parts);
        if (categories.isEmpty() || parts.isEmpty()) {
            throw new IllegalArgumentException("a bar chart needs at least one category and one part");
        }
        for (Part p : parts) {
            if (p.values().length != categories.size()) {
                throw new IllegalArgumentException("bar part " + p.name() + ": " + p.values().length
                        + " values for " + categories.size() + " categories");
            }
        }
    }

    public BufferedImage render() {
        BufferedImage image = Chart.canvas();
        Graphics2D g = Chart.graphics(image);
        double[] totals = new double[categories.size()];
        for (Part p : parts) {
            for (int i = 0; i < totals.length; i++) {
                totals[i] += p.values()[i];
            }
        }
        // A quarter of headroom keeps the totals and the legend clear of the tallest bar.
        Chart.Axis y = Chart.Axis.upTo(Arrays.stream(totals).max().orElse(0) * 1.25);
        Chart.frame(g, title, xLabel, yLabel, y);
        int slot = (Chart.RIGHT - Chart.LEFT) / categories.size();
        int barWidth = Math.min(120, slot * 3 / 5);
        g.setFont(Chart.TICK);
        for (int i = 0; i < categories.size(); i++) {
            int middle = Chart.LEFT + slot * i + slot / 2;
            double base = 0;
            for (int k = 0; k < parts.size(); k++) {
                double top = base + parts.get(k).values()[i];
                int yTop = Chart.yPixel(top, y);
                int yBase = Chart.yPixel(base, y);
                g.setColor(Chart.PALETTE.get(k % Chart.PALETTE.size()));
                g.fillRect(middle - barWidth / 2, yTop, barWidth, yBase - yTop);
                base = top;
            }
            g.setColor(Color.BLACK);
            Chart.centered(g, total(totals[i]), middle, Chart.yPixel(totals[i], y) - 6);
            Chart.centered(g, categories.get(i), middle, Chart.BOTTOM + 20);
        }
        List<String> names = new ArrayList<>();
        List<Chart.Sample> samples = new ArrayList<>();
        for (int k = 0; k < parts.size(); k++) {
            Color color = Chart.PALETTE.get(k % Chart.PALETTE.size());
            names.add(parts.get(k).name());
            samples.add((gg, px, mid) -> {
                gg.setColor(color);
                gg.fillRect(px, mid - 6, 24, 12);
            });
        }
        Chart.legend(g, names, samples, true);
        g.dispose();
        return image;
    }

    /** Three significant digits for small totals, whole numbers from 1,000 on. */
    private static String total(double v) {
        return String.format(Locale.ROOT, v < 10 ? "%.3f" : v < 100 ? "%.2f" : v < 1000 ? "%.1f" : "%,.0f", v);
    }

    public void write(Path file) throws IOException {
        Chart.write(render(), file);
    }
}
