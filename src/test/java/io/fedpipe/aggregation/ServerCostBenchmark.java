package io.fedpipe.aggregation;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Server cost of one matrix's aggregation on a realistic shape, [1536, 384] (MiniLM's ffn_in) with
 * four nodes of ranks 4/8/8/16: the SVD of the exact average from the stacked factors (what
 * FlexLoraSvd, FedPipe and FLoRIST all do here) against forming the dense average and decomposing
 * it (FlexLoRA as published), then each strategy's own math ({@link RoundDiagnostics#combineMillis()}).
 * A measurement to run by hand, not a test: timings depend on the machine and its load.
 *
 * <pre>java -cp target/classes:target/test-classes io.fedpipe.aggregation.ServerCostBenchmark</pre>
 */
public final class ServerCostBenchmark {

    private static final MatrixId UP = new MatrixId(0, LoraTarget.FFN_IN);
    private static final int REPEATS = 5;

    private ServerCostBenchmark() {}

    public static void main(String[] args) {
        int[] ranks = {4, 8, 8, 16};
        Random rnd = new Random(40);
        List<NodeUpdate> nodes = new ArrayList<>();
        List<Mat> bs = new ArrayList<>();
        List<Mat> as = new ArrayList<>();
        for (int n = 0; n < ranks.length; n++) {
            NodeUpdate u = Updates.node("n" + n, 100 + 50 * n, Map.of(UP, Updates.adapter(rnd, ranks[n], 1536, 384)), 16f);
            nodes.add(u);
            Factors f = new ScaledAdapter(u.adapters().get(UP), u.scales().get(UP)).factors();
            bs.add(f.b().scaled(0.25));
            as.add(f.a());
        }
        Mat b = Mat.hstack(bs);
        Mat a = Mat.vstack(as);
        double dense = best(() -> LowRankSvd.jacobi(b.times(a)));
        // Measured after the dense runs, which warm the shared QR and Jacobi code.
        double small = best(() -> LowRankSvd.ofProduct(b, a));
        System.out.printf(Locale.ROOT, "SVD of the average [1536, 384], R = 36: stacked factors %.1f ms, dense %.1f ms%n",
                small, dense);
        RoundContext ctx = new RoundContext(Map.of(UP, 16), 16f, Map.of(UP, new MatrixShape(1536, 384)), Map.of(),
                Map.of(), Map.of());
        for (StrategyKind k : StrategyKind.lora()) {
            AggregationStrategy s = k.create();
            double combine = Double.MAX_VALUE;
            RoundDiagnostics d = null;
            for (int i = 0; i < REPEATS; i++) {
                d = s.aggregate(nodes, List.of(), ctx).diagnostics();
                combine = Math.min(combine, d.combineMillis());
            }
            System.out.printf(Locale.ROOT, "%-12s combine %6.1f ms | %s%n", k.key(), combine, d.summaryLine());
        }
    }

    /** The best of {@link #REPEATS} runs, in milliseconds (the first ones warm the JIT). */
    private static double best(Runnable r) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < REPEATS; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }
}
