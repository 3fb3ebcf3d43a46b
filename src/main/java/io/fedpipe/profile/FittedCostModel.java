package io.fedpipe.profile;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Step time of one node fitted to its own measurements, one linear model per base format.
 *
 * <p>Two forms, both linear in their coefficients (b batch, r rank, T the profile's sequence):
 * <ul>
 *   <li>{@link Form#FLOPS}: {@code t = c0 + c1·FLOPs(b, r)} with FLOPs from {@link CostModel#stepFlops}:
 *       a fixed per-step cost (optimizer, dispatch) plus an effective FLOP rate 1/c1. The FLOP
 *       count fixes how rank trades against batch.</li>
 *   <li>{@link Form#TOKENS_RANK}: {@code t = c0 + c1·b·T + c2·b·T·r}: the same span, but the cost of
 *       the adapters per token and rank is measured instead of taken from their FLOPs (small
 *       rank-r matmuls run far below the large base matmuls' rate).</li>
 * </ul>
 * Coefficients minimise the squared <em>relative</em> error (rows weighted by 1/t), because the
 * model is judged by relative error and small-batch steps would otherwise not count.
 */
public final class FittedCostModel {

    /** The feature set of the fit. */
    public enum Form {
        FLOPS("t = c0 + c1*FLOPs(b,r)"),
        TOKENS_RANK("t = c0 + c1*b*T + c2*b*T*r");

        private final String formula;

        Form(String formula) {
            this.formula = formula;
        }

        public String formula() {
            return formula;
        }

        double[] features(ModelShape shape, Set<LoraTarget> targets, int seq, int batch, int rank) {
            double tokens = (double) batch * seq;
            return switch (this) {
                case FLOPS -> new double[] {1, CostModel.stepFlops(shape, targets, rank, batch, seq)};
                case TOKENS_RANK -> new double[] {1, tokens, tokens * rank};
            };
        }
    }

    /** One configuration measured and predicted; error is (predicted − measured) / measured. */
    public record Row(ProfilePoint point, double measuredSeconds, double predictedSeconds) {
        public double errorPercent() {
            return 100 * (predictedSeconds - measuredSeconds) / measuredSeconds;
        }
    }

    /** Predictions against measurements the fit did not use. */
    public record Validation(List<Row> rows) {
        public Validation {
            rows = List.copyOf(rows);
        }

        /** Largest |error| in percent; 0 for no rows. */
        public double maxAbsErrorPercent() {
            return rows.stream().mapToDouble(r -> Math.abs(r.errorPercent())).max().orElse(0);
        }
    }

    private final ModelShape shape;
    private final int seq;
    private final Set<LoraTarget> targets;
    private final Form form;
    private final Map<QuantFormat, double[]> coefficients;

    private FittedCostModel(ModelShape shape, int seq, Set<LoraTarget> targets, Form form,
                            Map<QuantFormat, double[]> coefficients) {
        this.shape = shape;
        this.seq = seq;
        this.targets = Set.copyOf(targets);
        this.form = form;
        this.coefficients = new EnumMap<>(coefficients);
    }

    /** Fits each profiled format on its median step times. */
    public static FittedCostModel fit(NodeProfile profile, ModelShape shape, Form form) {
        Map<QuantFormat, double[]> coefficients = new EnumMap<>(QuantFormat.class);
        for (QuantFormat f : profile.formats()) {
            List<NodeProfile.StepTiming> timings = profile.timings(f);
            double[][] x = new double[timings.size()][];
            double[] y = new double[timings.size()];
            double[] w = new double[timings.size()];
            for (int i = 0; i < timings.size(); i++) {
                NodeProfile.StepTiming t = timings.get(i);
                x[i] = form.features(shape, profile.targets(), profile.seq(), t.batch(), t.rank());
                y[i] = t.medianSeconds();
                w[i] = 1 / y[i];
            }
            try {
                coefficients.put(f, LeastSquares.solve(x, y, w));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot fit " + f.configName() + " step times (" + form.formula()
                        + "): " + e.getMessage(), e);
            }
        }
        return new FittedCostModel(shape, profile.seq(), profile.targets(), form, coefficients);
    }

    public Form form() {
        return form;
    }

    public int seq() {
        return seq;
    }

    public List<QuantFormat> formats() {
        return List.copyOf(coefficients.keySet());
    }

    /** The fitted coefficients of {@code format}, in the order of its form's formula. */
    public double[] coefficients(QuantFormat format) {
        return coefficientsOf(format).clone();
    }

    private double[] coefficientsOf(QuantFormat format) {
        double[] c = coefficients.get(format);
        if (c == null) {
            throw new IllegalArgumentException("no step times were profiled for " + format.configName());
        }
        return c;
    }

    /** Predicted seconds of one training step at the profile's sequence length. */
    public double predictSeconds(QuantFormat format, int batch, int rank) {
        double[] c = coefficientsOf(format);
        double[] x = form.features(shape, targets, seq, batch, rank);
        double t = 0;
        for (int i = 0; i < c.length; i++) {
            t += c[i] * x[i];
        }
        return t;
    }

    /** Predicts each measured configuration (these must not be the fitting points to mean anything). */
    public Validation validate(List<NodeProfile.StepTiming> heldOut) {
        List<Row> rows = new ArrayList<>();
        for (NodeProfile.StepTiming t : heldOut) {
            rows.add(new Row(t.point(), t.medianSeconds(), predictSeconds(t.format(), t.batch(), t.rank())));
        }
        return new Validation(rows);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(form.formula());
        coefficients.forEach((f, c) -> {
            s.append(String.format(Locale.ROOT, "; %s:", f.configName()));
            for (double v : c) {
                s.append(String.format(Locale.ROOT, " %.4g", v));
            }
        });
        return s.toString();
    }
}
