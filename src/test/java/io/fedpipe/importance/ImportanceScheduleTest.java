package io.fedpipe.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImportanceScheduleTest {

    @Test
    void refreshesEveryKRoundsFromRoundZero() {
        ImportanceSchedule s = new ImportanceSchedule(3);
        List<Integer> refreshes = new ArrayList<>();
        for (int r = 0; r < 10; r++) {
            if (s.refreshesAt(r)) {
                refreshes.add(r);
            }
        }
        assertEquals(List.of(0, 3, 6, 9), refreshes);
        assertEquals(3, s.sourceRound(5));
        assertEquals(6, s.sourceRound(6));
        assertEquals(true, new ImportanceSchedule(1).refreshesAt(7));
        assertThrows(IllegalArgumentException.class, () -> new ImportanceSchedule(0));
        assertThrows(IllegalArgumentException.class, () -> s.refreshesAt(-1));
    }

    @Test
    void holderKeepsTheSelectionUntilTheNextRefresh() {
        ImportanceSchedule.Holder<String> h = new ImportanceSchedule.Holder<>(new ImportanceSchedule(3));
        List<Integer> computed = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (int r = 0; r < 7; r++) {
            seen.add(h.forRound(r, round -> {
                computed.add(round);
                return "sel" + round;
            }));
        }
        assertEquals(List.of(0, 3, 6), computed);
        assertEquals(List.of("sel0", "sel0", "sel0", "sel3", "sel3", "sel3", "sel6"), seen);
        assertEquals("sel6", h.forRound(6, round -> "again"), "the same round is not recomputed");
        assertEquals(6, h.madeAt());
        assertThrows(IllegalArgumentException.class, () -> h.forRound(5, round -> "x"));
    }

    @Test
    void aHolderWithoutSelectionComputesAtOnce() {
        ImportanceSchedule.Holder<Integer> h = new ImportanceSchedule.Holder<>(new ImportanceSchedule(4));
        assertEquals(5, h.forRound(5, round -> round));
        assertEquals(5, h.forRound(7, round -> round));
        assertEquals(8, h.forRound(8, round -> round));
        assertThrows(IllegalStateException.class,
                () -> new ImportanceSchedule.Holder<Integer>(new ImportanceSchedule(2)).forRound(0, round -> null));
    }
}
