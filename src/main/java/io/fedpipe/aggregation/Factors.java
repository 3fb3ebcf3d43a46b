package io.fedpipe.aggregation;

/**
 * An update in factored form {@code ΔW = b·a} with the LoRA scale already folded into {@code b}:
 * {@code b [out, r]}, {@code a [r, in]}.
 */
record Factors(Mat b, Mat a) {

    Factors {
        if (b.cols() != a.rows()) {
            throw new IllegalArgumentException("B has " + b.cols() + " columns but A has " + a.rows() + " rows");
        }
    }

    int rank() {
        return a.rows();
    }

    Mat product() {
        return b.times(a);
    }

    /** The first {@code r} directions (columns of B, rows of A), zero-padded when {@code r > rank()}. */
    Factors firstDirections(int r) {
        return new Factors(b.leftColumns(r), a.topRows(r));
    }
}
