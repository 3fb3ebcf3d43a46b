package io.fedpipe.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Lines with markers, one per series, over x from 0; y from 0 to a fixed maximum (accuracy: 1),
 * with a dashed horizontal reference line (the target). Series get colours and marker shapes
 * in order, so a method keeps its look when printed in black and white.
 *
 * @param reference the y of the dashed line; NaN for none
 */
public record LinePlot(String title, String xLabel, String yLabel, double yMax, List<Series> series,
                       double reference, String referenceLabel) {

    /** One line: points in x order. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length || x.length == 0) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x and " + y.length + " y values");
            }
            x = x.clone();
            y = y.clone();
        }
    }

    public LinePlot {
        series = List.copyOf(series);
        if (series.isEmpty() || !(yMax > 0)) {
            throw new IllegalArgumentException("a line plot needs at least one series and yMax > 0");
        }
    }

    public BufferedImage render() {
        BufferedImage image = Chart.canvas();
        Graphics2D g = Chart.graphics(image);
        double xMax = series.stream().flatMapToDouble(s -> Arrays.stream(s.x())).max().orElse(1);
        Chart.Axis x = Chart.Axis.upTo(xMax);
        Chart.Axis y = Chart.Axis.upTo(yMax);
        Chart.frame(g, title, xLabel, yLabel, y);
        Chart.xTicks(g, x);
        if (!Double.isNaN(reference)) {
            int py = Chart.yPixel(reference, y);
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
            g.drawLine(Chart.LEFT, py, Chart.RIGHT, py);
            g.setFont(Chart.TICK);
            // At the right end: curves that reach the target have flattened out there.
            g.drawString(referenceLabel, Chart.RIGHT - 6 - g.getFontMetrics().stringWidth(referenceLabel), py - 5);
        }
        List<String> names = new ArrayList<>();
        List<Chart.Sample> samples = new ArrayList<>();
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            Color color = Chart.PALETTE.get(i % Chart.PALETTE.size());
            int shape = i;
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            for (int k = 1; k < s.x().length; k++) {
                g.drawLine(Chart.xPixel(s.x()[k - 1], x), Chart.yPixel(s.y()[k - 1], y),
                        Chart.xPixel(s.x()[k], x), Chart.yPixel(s.y()[k], y));
            }
            for (int k = 0; k < s.x().length; k++) {
                marker(g, shape, Chart.xPixel(s.x()[k], x), Chart.yPixel(s.y()[k], y));
            }
            names.add(s.name());
            samples.add((gg, px, middle) -> {
                gg.setColor(color);
                gg.setStroke(new BasicStroke(2f));
                gg.drawLine(px, middle, px + 24, middle);
                marker(gg, shape, px + 12, middle);
            });
        }
        Chart.legend(g, names, samples, false);
        g.dispose();
        return image;
    }

    public void write(Path file) throws IOException {
        Chart.write(render(), file);
    }

    /** Filled circle, square, triangle, diamond, then the same hollow. */
    private static void marker(Graphics2D g, int index, int x, int y) {
        int r = 5;
        Polygon p = switch (index % 4) {
            case 1 -> new Polygon(new int[] {x - r, x + r, x + r, x - r}, new int[] {y - r, y - r, y + r, y + r}, 4);
            case 2 -> new Polygon(new int[] {x, x + r + 1, x - r - 1}, new int[] {y - r - 1, y + r, y + r}, 3);
            case 3 -> new Polygon(new int[] {x, x + r + 1, x, x - r - 1}, new int[] {y - r - 1, y, y + r + 1, y}, 4);
            default -> null;
        };
        boolean filled = (index / 4) % 2 == 0;
        g.setStroke(new BasicStroke(1.5f));
        if (p == null) {
            if (filled) {
                g.fillOval(x - r, y - r, 2 * r, 2 * r);
            } else {
                g.drawOval(x - r, y - r, 2 * r, 2 * r);
            }
        } else if (filled) {
            g.fillPolygon(p);
        } else {
            g.drawPolygon(p);
        }
    }

    /** The label of the target line, e.g. "target 0.60". */
    public static String targetLabel(double target) {
        return String.format(Locale.ROOT, "target %.2f", target);
    }
}
