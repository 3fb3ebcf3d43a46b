package io.fedpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchSamplerTest {

    private static int[] lengths(int n, long seed) {
        Random r = new Random(seed);
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = 5 + r.nextInt(300);
        }
        return l;
    }

    @Test
    void oneEpochServesEveryExampleOnceInBatchesOfSimilarLength() {
        int[] lengths = lengths(3_200, 1);
        ClassifierFineTuning.BatchSampler sampler = new ClassifierFineTuning.BatchSampler(lengths, 32, 7);
        Set<Integer> seen = new HashSet<>();
        double spread = 0;
        for (int b = 0; b < 100; b++) {
            int[] batch = sampler.next();
            assertEquals(32, batch.length);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int i : batch) {
                assertTrue(seen.add(i), "index " + i + " served twice in one epoch");
                min = Math.min(min, lengths[i]);
                max = Math.max(max, lengths[i]);
            }
            spread += max - min;
        }
        assertEquals(3_200, seen.size());
        // Random batches of 32 from lengths uniform in [5, 305) span about 280; sorted windows of
        // 50 batches leave about 300/50 = 6 per batch.
        assertTrue(spread / 100 < 20, "mean length spread within a batch: " + spread / 100);
    }

    @Test
    void sameSeedSameBatchesDifferentSeedDifferentOrder() {
        int[] lengths = lengths(500, 2);
        var a = new ClassifierFineTuning.BatchSampler(lengths, 16, 3);
        var b = new ClassifierFineTuning.BatchSampler(lengths, 16, 3);
        var c = new ClassifierFineTuning.BatchSampler(lengths, 16, 4);
        boolean differs = false;
        for (int i = 0; i < 40; i++) {
            int[] x = a.next();
            assertArrayEquals(x, b.next());
            differs |= !java.util.Arrays.equals(x, c.next());
        }
        assertTrue(differs);
    }
}
