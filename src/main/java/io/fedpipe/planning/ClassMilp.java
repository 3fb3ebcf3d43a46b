package io.fedpipe.planning;

import java.util.ArrayList;
import java.util.List;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * One node class's plan for a fixed round time T, as a MILP solved with ojAlgo:
 * <pre>
 *   max  Σ_c b_c·cap_c·s_c
 *   s.t. Σ_c x_c = 1;   s_min·x_c ≤ s_c ≤ u_c·x_c;   (1 − ε)·T ≤ Σ_c (t_c·s_c + tr_c·x_c) ≤ T
 * </pre>
 * with x binary and s integer (u_c = the most steps that fit in T after the transfer).
 */
final class ClassMilp {

    static {
        // ojAlgo prints a notice about its hardware profiles on stdout at first use, which would
        // corrupt `fedpipe plan --json`; this documented property silences it.
        if (System.getProperty("shut.up.ojAlgo") == null) {
            System.setProperty("shut.up.ojAlgo", "true");
        }
    }

    private ClassMilp() {}

    static Planner.Choice solve(List<Candidate> candidates, double round, PlanningPolicy policy) {
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Expression oneHot = model.addExpression("one").level(1);
        // The enumeration decides with the same bounds in floating point; a relative slack of 1e-9 keeps a
        // column whose finish lands on T (the straggler's at T_lo) from being cut off by rounding.
        double slack = 1e-9 * round;
        Expression finish = model.addExpression("finish").lower((1 - policy.idleTolerance()) * round - slack)
                .upper(round + slack);
        List<Variable[]> columns = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            Candidate cand = candidates.get(c);
            int upper = cand.stepsWithin(round, policy.maxSteps());
            if (upper < policy.minSteps()) {
                columns.add(null);
                continue;
            }
            Variable x = model.addVariable("x" + c).binary();
            Variable s = model.addVariable("s" + c).integer(true).lower(0).upper(upper)
                    .weight(cand.batch() * cand.capacity());
            oneHot.set(x, 1);
            model.addExpression("smax" + c).upper(0).set(s, 1).set(x, -upper);
            model.addExpression("smin" + c).lower(0).set(s, 1).set(x, -policy.minSteps());
            finish.set(s, cand.stepSeconds()).set(x, cand.transferSeconds());
            columns.add(new Variable[] {x, s});
        }
        Optimisation.Result result = model.maximise();
        if (!result.getState().isFeasible()) {
            throw new IllegalStateException("the class MILP has no solution at T = " + round + " s (" + result.getState() + ")");
        }
        for (int c = 0; c < columns.size(); c++) {
            Variable[] xs = columns.get(c);
            if (xs != null && result.doubleValue(model.indexOf(xs[0])) > 0.5) {
                return new Planner.Choice(candidates.get(c), (int) Math.round(result.doubleValue(model.indexOf(xs[1]))));
            }
        }
        throw new IllegalStateException("the class MILP chose no configuration at T = " + round + " s");
    }
}
