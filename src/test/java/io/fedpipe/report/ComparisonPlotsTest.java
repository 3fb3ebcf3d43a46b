package io.fedpipe.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PNGs: named per setting, of the fixed size, not blank, and the same bytes for the same input. */
class ComparisonPlotsTest {

    @TempDir
    Path dir;

    private MethodComparison comparison() throws IOException {
        List<RunLog> logs = new ArrayList<>();
        for (Path p : RunLogs.comparison(dir.resolve("logs"))) {
            logs.add(RunLog.read(p));
        }
        return MethodComparison.of(logs, 0.6);
    }

    @Test
    void twoNonBlankPngsPerSettingOfTheFixedSize() throws IOException {
        Path out = dir.resolve("results");
        List<Path> files = ComparisonPlots.write(comparison(), out);
        assertEquals(List.of(out.resolve("accuracy-vs-time-hetero.png"), out.resolve("bytes-per-round-hetero.png"),
                out.resolve("accuracy-vs-time-iid.png"), out.resolve("bytes-per-round-iid.png")), files);
        for (Path f : files) {
            BufferedImage image = ImageIO.read(f.toFile());
            assertEquals(Chart.WIDTH, image.getWidth(), f.toString());
            assertEquals(Chart.HEIGHT, image.getHeight(), f.toString());
            // Inside the plot area, away from frame and text: some pixel is neither background nor grid.
            assertTrue(coloured(image) > 500, f + ": " + coloured(image) + " coloured pixels");
        }
        // The first method's colour (Okabe–Ito blue) is in the line plot: the lines were drawn.
        BufferedImage lines = ImageIO.read(files.get(0).toFile());
        assertTrue(count(lines, Chart.PALETTE.get(0).getRGB()) > 100);
        assertTrue(count(lines, Chart.PALETTE.get(2).getRGB()) > 100, "third method (hetlora) drawn");
    }

    @Test
    void sameInputSameBytes() throws IOException {
        MethodComparison c = comparison();
        List<Path> first = ComparisonPlots.write(c, dir.resolve("one"));
        List<Path> second = ComparisonPlots.write(c, dir.resolve("two"));
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(Files.readAllBytes(first.get(i)), Files.readAllBytes(second.get(i)), first.get(i).toString());
        }
        assertNotEquals(Files.size(first.get(0)), Files.size(first.get(2)), "different settings, different plots");
    }

    @Test
    void axisTicksAreRound() {
        assertEquals(new Chart.Axis(1.0, 0.2), Chart.Axis.upTo(1.0));
        assertEquals(new Chart.Axis(30.0, 5.0), Chart.Axis.upTo(30.0));
        assertEquals(new Chart.Axis(100.0, 20.0), Chart.Axis.upTo(81.0));
        assertEquals(new Chart.Axis(15.0, 2.5), Chart.Axis.upTo(14.0));
        assertEquals("7.5", Chart.Axis.upTo(14.0).format(7.5));
        assertEquals("0.0025", new Chart.Axis(0.01, 0.0025).format(0.0025));
        assertEquals("0.4", Chart.Axis.upTo(1.0).format(0.4));
        assertEquals("25", Chart.Axis.upTo(30.0).format(25));
        assertEquals("hetero-2-nodes", ComparisonPlots.fileName("Hetero 2 nodes"));
    }

    private static int coloured(BufferedImage image) {
        int n = 0;
        for (int y = Chart.TOP + 2; y < Chart.BOTTOM - 2; y++) {
            for (int x = Chart.LEFT + 2; x < Chart.RIGHT - 2; x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                int r = rgb >> 16;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                if (!(r == g && g == b)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static int count(BufferedImage image, int argb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (image.getRGB(x, y) == argb) {
                    n++;
                }
            }
        }
        return n;
    }
}
