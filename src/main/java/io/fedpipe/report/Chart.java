package io.fedpipe.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * What {@link LinePlot} and {@link BarChart} share: a fixed-size white canvas, the plot area,
 * axes with "nice" ticks (1, 2, 2.5 or 5 × 10ᵏ), a legend and PNG output. Everything is drawn
 * from the data alone (no clock, no randomness), so the same data gives the same image.
 */
final class Chart {

    static {
        // Plots are drawn off-screen; without this a JVM with a DISPLAY would try to open it.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    static final int WIDTH = 960;
    static final int HEIGHT = 600;
    static final Color BACKGROUND = Color.WHITE;
    /** Okabe–Ito colours (readable with colour-blindness), yellow left out: too light on white. */
    static final List<Color> PALETTE = List.of(new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73),
            new Color(0xCC79A7), new Color(0xE69F00), new Color(0x56B4E9), Color.BLACK);

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    /** The plot area inside the margins, in pixels. */
    static final int LEFT = 90;
    static final int RIGHT = WIDTH - 30;
    static final int TOP = 60;
    static final int BOTTOM = HEIGHT - 80;

    private Chart() {}

    /** An axis from 0 to {@code max} with ticks every {@code step}. */
    record Axis(double max, double step) {

        /** From 0 to at least {@code dataMax}, in 3 to 6 intervals. */
        static Axis upTo(double dataMax) {
            double range = dataMax > 0 && Double.isFinite(dataMax) ? dataMax : 1;
            double raw = range / 6;
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = magnitude * 10;
            for (double m : new double[] {1, 2, 2.5, 5, 10}) {
                if (m * magnitude >= raw) {
                    step = m * magnitude;
                    break;
                }
            }
            return new Axis(Math.ceil(range / step - 1e-9) * step, step);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            for (int i = 0; i * step <= max + step * 1e-9; i++) {
                t.add(i * step);
            }
            return t;
        }

        String format(double v) {
            int decimals = 0;
            while (decimals < 6 && Math.abs(step * Math.pow(10, decimals) - Math.rint(step * Math.pow(10, decimals))) > 1e-9) {
                decimals++;
            }
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }

    static BufferedImage canvas() {
        return new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    }

    static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        return g;
    }

    static int xPixel(double x, Axis axis) {
        return (int) Math.round(LEFT + x / axis.max() * (RIGHT - LEFT));
    }

    static int yPixel(double y, Axis axis) {
        return (int) Math.round(BOTTOM - y / axis.max() * (BOTTOM - TOP));
    }

    /** Title, axis labels, light grid at the y ticks, the y axis ticks and the frame. */
    static void frame(Graphics2D g, String title, String xLabel, String yLabel, Axis y) {
        g.setFont(TITLE);
        g.setColor(Color.BLACK);
        centered(g, title, (LEFT + RIGHT) / 2, TOP - 25);
        g.setFont(LABEL);
        centered(g, xLabel, (LEFT + RIGHT) / 2, HEIGHT - 25);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        centered(g, yLabel, -(TOP + BOTTOM) / 2, 25);
        g.setTransform(saved);
        g.setFont(TICK);
        FontMetrics fm = g.getFontMetrics();
        for (double t : y.ticks()) {
            int py = yPixel(t, y);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(LEFT, py, RIGHT, py);
            g.setColor(Color.BLACK);
            g.drawLine(LEFT - 5, py, LEFT, py);
            String s = y.format(t);
            g.drawString(s, LEFT - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
    }

    /** Ticks and numbers on the x axis. */
    static void xTicks(Graphics2D g, Axis x) {
        g.setFont(TICK);
        g.setColor(Color.BLACK);
        for (double t : x.ticks()) {
            int px = xPixel(t, x);
            g.drawLine(px, BOTTOM, px, BOTTOM + 5);
            centered(g, x.format(t), px, BOTTOM + 20);
        }
    }

    /** One legend entry: what {@code sample} draws in a 24×12 box, then the name. */
    interface Sample {
        void draw(Graphics2D g, int x, int yMiddle);
    }

    /** A boxed legend in a corner of the plot area: lower right, or upper right when {@code top}. */
    static void legend(Graphics2D g, List<String> names, List<Sample> samples, boolean top) {
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        int lineHeight = fm.getHeight() + 4;
        int width = 24 + 8 + names.stream().mapToInt(fm::stringWidth).max().orElse(0) + 20;
        int height = names.size() * lineHeight + 10;
        int x = RIGHT - 10 - width;
        int y = top ? TOP + 10 : BOTTOM - 10 - height;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x, y, width, height);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, width, height);
        for (int i = 0; i < names.size(); i++) {
            int middle = y + 5 + i * lineHeight + lineHeight / 2;
            samples.get(i).draw(g, x + 10, middle);
            g.setColor(Color.BLACK);
            g.setFont(LABEL);
            g.drawString(names.get(i), x + 10 + 24 + 8, middle + fm.getAscent() / 2 - 2);
        }
    }

    static void centered(Graphics2D g, String text, int x, int baseline) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    static void write(BufferedImage image, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }
}
