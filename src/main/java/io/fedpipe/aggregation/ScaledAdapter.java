package io.fedpipe.aggregation;

import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.Arrays;

/**
 * A LoRA adapter together with the scale it is applied with: {@code ΔW = scale·B·A},
 * {@code a [r, in]}, {@code b [out, r]}.
 *
 * <p>Strategies return adapters at the PEFT scale {@code α/r} of their rank, so a node or the
 * final merge uses them unchanged with {@code LoraConfig}'s scale; {@link #withScale(float)}
 * re-expresses the same update for another scale by rescaling B.
 */
public record ScaledAdapter(PeftAdapters.Adapter adapter, float scale) {

    public ScaledAdapter {
        if (adapter == null || adapter.a() == null || adapter.b() == null) {
            throw new IllegalArgumentException("adapter is missing");
        }
        HostTensor a = adapter.a();
        HostTensor b = adapter.b();
        if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(1)) {
            throw new IllegalArgumentException("adapter shapes do not chain: A " + Arrays.toString(a.shape())
                    + ", B " + Arrays.toString(b.shape()) + " (expected A [r, in], B [out, r])");
        }
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("adapter scale must be positive and finite: " + scale);
        }
    }

    public int rank() {
        return Math.toIntExact(adapter.a().dim(0));
    }

    public MatrixShape shape() {
        return new MatrixShape(Math.toIntExact(adapter.b().dim(0)), Math.toIntExact(adapter.a().dim(1)));
    }

    /** The dense update {@code scale·B·A [out, in]}, computed in double and rounded once. */
    public HostTensor delta() {
        return factors().product().toHost();
    }

    /** The same update at another scale: {@code B' = B·scale/newScale}. */
    public ScaledAdapter withScale(float newScale) {
        Mat b = Mat.of(adapter.b()).scaled((double) scale / newScale);
        return new ScaledAdapter(new PeftAdapters.Adapter(adapter.a(), b.toHost()), newScale);
    }

    /**
     * The first {@code r} directions at scale {@code newScale}. For adapters from the SVD strategies,
     * whose directions are ordered by singular value, this is the best rank-r part (Eckart–Young);
     * for zero padding it is HetLoRA's truncation.
     */
    public ScaledAdapter firstDirections(int r, float newScale) {
        if (r <= 0) {
            throw new IllegalArgumentException("rank must be positive: " + r);
        }
        return of(factors().firstDirections(r), newScale);
    }

    /** Update with the scale folded into B, in double. */
    Factors factors() {
        return new Factors(Mat.of(adapter.b()).scaled(scale), Mat.of(adapter.a()));
    }

    /** Expresses folded factors at {@code scale}: B is divided by it. */
    static ScaledAdapter of(Factors f, float scale) {
        return new ScaledAdapter(new PeftAdapters.Adapter(f.a().toHost(), f.b().divided(scale).toHost()), scale);
    }
}
