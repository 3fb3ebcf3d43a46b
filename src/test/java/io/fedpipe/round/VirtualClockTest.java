package io.fedpipe.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VirtualClockTest {

    @Test
    void nodeTimeIsScaledComputePlusBothTransfers() {
        // 2 s measured at compute-scale 0.25 → 8 s; 1,000,000 B down at 20 Mbit/s → 0.4 s;
        // 250,000 B up at 10 Mbit/s → 0.2 s. Total 8.6 s.
        Emulation e = new Emulation(0.25, 10e6, 20e6);
        assertEquals(8.6, VirtualClock.nodeSeconds(2.0, 1_000_000, 250_000, e), 1e-12);
    }

    @Test
    void defaultsAreTheMeasuredTime() {
        assertEquals(1.5, VirtualClock.nodeSeconds(1.5, 123_456, 654_321, Emulation.NONE), 0);
    }

    @Test
    void symmetricLinkInMegabits() {
        // 1 s at scale 0.5 → 2 s; (500,000 + 125,000) B · 8 / 50e6 bit/s = 0.1 s.
        assertEquals(2.1, VirtualClock.nodeSeconds(1.0, 500_000, 125_000, Emulation.of(0.5, 50)), 1e-12);
    }

    @Test
    void aTrainerThatReallyComputedWaitsTheRest() {
        // Same node as above: 8.6 s in all, 2 s of it really spent training → waits 6.6 s.
        Emulation e = new Emulation(0.25, 10e6, 20e6);
        assertEquals(6.6, VirtualClock.remainingSeconds(2.0, 1_000_000, 250_000, e), 1e-12);
        assertEquals(VirtualClock.nodeSeconds(2.0, 1_000_000, 250_000, e) - 2.0,
                VirtualClock.remainingSeconds(2.0, 1_000_000, 250_000, e), 1e-12);
        assertEquals(0, VirtualClock.remainingSeconds(1.5, 123_456, 654_321, Emulation.NONE), 0);
        assertThrows(IllegalArgumentException.class, () -> VirtualClock.remainingSeconds(1, -1, 0, e));
    }

    @Test
    void remainingSecondsAreTheClusterTrainersFormerFigureBitForBit() {
        // The trainer computed c·(1/scale − 1) + 8·down/(downMbps·1e6) + 8·up/(upMbps·1e6) itself.
        double c = 0.7310423;
        double scale = 0.3;
        double upMbps = 12.5;
        double downMbps = 47;
        double down = 1_234_567;
        long up = 89_012;
        double former = c * (1 / scale - 1) + 8 * down / (downMbps * 1e6) + 8.0 * up / (upMbps * 1e6);
        assertEquals(former, VirtualClock.remainingSeconds(c, (long) down, up,
                new Emulation(scale, upMbps * 1e6, downMbps * 1e6)), 0);
    }

    @Test
    void clockAccumulatesRounds() {
        VirtualClock clock = new VirtualClock();
        assertEquals(8.6, clock.advance(8.6), 1e-12);
        assertEquals(10.7, clock.advance(2.1), 1e-12);
        assertEquals(10.7, clock.elapsed(), 1e-12);
        assertEquals("emulated", VirtualClock.LABEL);
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Emulation(0, 1e6, 1e6));
        assertThrows(IllegalArgumentException.class, () -> new Emulation(1, -1, 1e6));
        assertThrows(IllegalArgumentException.class, () -> VirtualClock.nodeSeconds(-1, 0, 0, Emulation.NONE));
        assertThrows(IllegalArgumentException.class, () -> new VirtualClock().advance(Double.NaN));
    }
}
