package io.fedpipe.importance;

import java.util.function.IntFunction;

/**
 * When stage 1 runs again: the probe and selection are refreshed every {@code every} rounds,
 * round 0 always included (rounds 0, K, 2K, …); in between, the last selection is kept.
 */
public record ImportanceSchedule(int every) {

    public ImportanceSchedule {
        if (every < 1) {
            throw new IllegalArgumentException("importance refresh interval must be >= 1 round: " + every);
        }
    }

    /** Whether round {@code round} (0-based) probes afresh. */
    public boolean refreshesAt(int round) {
        requireRound(round);
        return round % every == 0;
    }

    /** The round whose probe the selection of {@code round} comes from. */
    public int sourceRound(int round) {
        requireRound(round);
        return round - round % every;
    }

    private static void requireRound(int round) {
        if (round < 0) {
            throw new IllegalArgumentException("round must be >= 0: " + round);
        }
    }

    /**
     * Keeps the current selection of type {@code T} and recomputes it at refresh rounds only.
     * Rounds must not go backwards; a holder that has none yet (e.g. after a restart in the
     * middle of an interval) computes one at once rather than running without a selection.
     */
    public static final class Holder<T> {
        private final ImportanceSchedule schedule;
        private T current;
        private int madeAt = -1;
        private int lastRound = -1;

        public Holder(ImportanceSchedule schedule) {
            if (schedule == null) {
                throw new IllegalArgumentException("no importance schedule given");
            }
            this.schedule = schedule;
        }

        /** The selection for {@code round}; {@code compute} runs only when a refresh is due. */
        public T forRound(int round, IntFunction<T> compute) {
            if (round < lastRound) {
                throw new IllegalArgumentException("round " + round + " comes after round " + lastRound);
            }
            lastRound = round;
            if (current == null || (schedule.refreshesAt(round) && madeAt != round)) {
                T next = compute.apply(round);
                if (next == null) {
                    throw new IllegalStateException("importance computation for round " + round + " returned nothing");
                }
                current = next;
                madeAt = round;
            }
            return current;
        }

        /** The round the current selection was computed in, or -1 before the first. */
        public int madeAt() {
            return madeAt;
        }
    }
}
