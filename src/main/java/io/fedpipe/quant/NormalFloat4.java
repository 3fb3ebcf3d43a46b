package io.fedpipe.quant;

/**
 * The 4-bit NormalFloat (NF4) code book of QLoRA (Dettmers et al. 2023, §3).
 *
 * <p>The 16 levels are quantiles of N(0,1), normalized to [-1, 1]: 8 positive levels from the
 * upper half and 7 negative ones from the lower half, plus an exact zero, so that zero padding and
 * zero weights are represented without error. The values are bitsandbytes' published table
 * ({@code create_normal_map(offset=0.9677083)}), which the tests recompute from the quantile
 * function. Codes are the indices 0..15 of this ascending table; code {@value #ZERO_CODE} is 0.0.
 */
public final class NormalFloat4 {

    /** Number of levels. */
    public static final int LEVEL_COUNT = 16;
    /** The code of the exact zero level. */
    public static final int ZERO_CODE = 7;

    private static final float[] LEVELS = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** Decision thresholds: a value above {@code MIDPOINTS[i]} is closer to level i+1 than to level i. */
    private static final float[] MIDPOINTS = midpoints();

    private NormalFloat4() {}

    /** The 16 levels in code order (a copy). */
    public static float[] levels() {
        return LEVELS.clone();
    }

    /** The level of a code in 0..15. */
    public static float level(int code) {
        return LEVELS[code];
    }

    /**
     * The code of the level nearest to {@code normalized} (a value already divided by its block's
     * absmax, so in [-1, 1]); a value exactly between two levels takes the lower one.
     */
    public static int nearestCode(float normalized) {
        int low = 0;
        int high = MIDPOINTS.length;
        // Binary search for the number of thresholds strictly below the value.
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (normalized > MIDPOINTS[mid]) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    private static float[] midpoints() {
        float[] result = new float[LEVEL_COUNT - 1];
        for (int i = 0; i < result.length; i++) {
            result[i] = (LEVELS[i] + LEVELS[i + 1]) / 2f;
        }
        return result;
    }
}
