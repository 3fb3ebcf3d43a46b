package io.fedpipe.planning;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Stage 2 of FedPipe: per node, the base format, batch size, LoRA rank and local steps, with one
 * round time T. The formulation and its constants are written down in docs/algorithm.md ("The
 * plan"); in short:
 * <pre>
 *   min  T / T_lo − λ · Σ_k W_k Σ_c b_c·cap_c·s_kc / Work_ref
 *   s.t. Σ_c x_kc = 1                                   one configuration per class
 *        s_min·x_kc ≤ s_kc ≤ u_kc·x_kc                   steps only on the chosen one
 *        (1 − ε)·T ≤ Σ_c (t_kc·s_kc + tr_kc·x_kc) ≤ T    no straggler, no idle node
 *        T_lo ≤ T ≤ T_hi,  x binary,  s integer
 * </pre>
 * Memory enters as column generation: only configurations with m_kc ≤ M_k exist. Nodes with the
 * same device, budget, compute scale and links form a class k and share one plan: for a fixed T
 * a node's best choice does not depend on its data size, which only weighs its work (W_k), so the
 * grouping is exact and a 1,000-node cluster is a problem of its few distinct profiles.
 *
 * <p>Solved by decomposition, because ojAlgo's branch-and-bound did not finish the joint model in
 * minutes: T is searched on a grid of [T_lo, T_hi] (for fixed T the classes are independent and
 * each class's optimum is its best column), then each class's MILP at the chosen T is solved with
 * ojAlgo ({@link ClassMilp}).
 */
public final class Planner {

    /** Per rank, keep the best configurations by work rate; the rest cannot win with the same transfer. */
    private static final int KEEP_PER_RANK = 2;

    private Planner() {}

    public static Plan plan(ModelShape shape, List<NodeSpec> nodes, PlanningPolicy policy) {
        long start = System.nanoTime();
        requireUniqueNames(nodes);
        Map<NodeSpec.Profile, List<NodeSpec>> byProfile = new LinkedHashMap<>();
        for (NodeSpec n : nodes) {
            byProfile.computeIfAbsent(n.profile(), p -> new ArrayList<>()).add(n);
        }
        List<NodeClass> classes = new ArrayList<>();
        List<Plan.Excluded> excluded = new ArrayList<>();
        for (List<NodeSpec> members : byProfile.values()) {
            NodeSpec first = members.get(0);
            List<Candidate> fitting = candidates(shape, first, policy);
            if (fitting.isEmpty()) {
                String reason = noFitReason(shape, first, policy);
                if (policy.onNoFit() == PlanningPolicy.NoFit.FAIL) {
                    throw new NoFitException(first.name(), shortfall(shape, first, policy),
                            "node '" + first.name() + "'" + (members.size() > 1 ? " (and " + (members.size() - 1)
                                    + " like it)" : "") + ": " + reason);
                }
                members.forEach(m -> excluded.add(new Plan.Excluded(m.name(), reason)));
            } else {
                classes.add(new NodeClass(members, prune(fitting, policy)));
            }
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("no node can train " + shape.name() + ": " + excluded);
        }
        Solution solution = solve(classes, policy);
        Map<NodeSpec, Integer> classOf = new IdentityHashMap<>();
        for (int k = 0; k < classes.size(); k++) {
            for (NodeSpec member : classes.get(k).members()) {
                classOf.put(member, k);
            }
        }
        List<Plan.NodePlan> planned = new ArrayList<>();
        for (NodeSpec n : nodes) {
            Integer k = classOf.get(n);
            if (k != null) {
                planned.add(nodePlan(n, solution.chosen()[k], solution.steps()[k], policy));
            }
        }
        double millis = (System.nanoTime() - start) / 1e6;
        return new Plan(shape.name(), solution.roundSeconds(), solution.shortestRound(), planned, excluded,
                classes.size(), millis);
    }

    private record NodeClass(List<NodeSpec> members, List<Candidate> candidates) {
        NodeSpec first() {
            return members.get(0);
        }

        long dataSize() {
            return members.stream().mapToLong(NodeSpec::dataSize).sum();
        }
    }

    private record Solution(double roundSeconds, double shortestRound, Candidate[] chosen, int[] steps) {}

    private static void requireUniqueNames(List<NodeSpec> nodes) {
        Set<String> seen = new HashSet<>();
        for (NodeSpec n : nodes) {
            if (!seen.add(n.name())) {
                throw new IllegalArgumentException("node name '" + n.name() + "' appears twice");
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("the cluster has no nodes");
        }
    }

    /** Every configuration of the policy with its coefficients; those that fit memory only when {@code fitOnly}. */
    private static List<Candidate> allCandidates(ModelShape shape, NodeSpec node, PlanningPolicy policy, boolean fitOnly) {
        List<Candidate> out = new ArrayList<>();
        for (int rank : policy.ranks()) {
            long adapterParams = CostModel.adapterParameters(shape, policy, rank);
            double transfer = CostModel.transferSeconds(node, adapterParams);
            for (QuantFormat format : policy.formats()) {
                for (int batch : policy.batches()) {
                    MemoryModel.Breakdown memory = MemoryModel.of(shape, node.device(), format, batch, policy.seq(), adapterParams);
                    if (fitOnly && memory.total() > node.usableBytes()) {
                        continue;
                    }
                    double step = CostModel.stepSeconds(shape, node, format, adapterParams, batch, policy.seq());
                    out.add(new Candidate(format, batch, rank, memory, step, transfer, (double) rank / policy.maxRank()));
                }
            }
        }
        return out;
    }

    private static List<Candidate> candidates(ModelShape shape, NodeSpec node, PlanningPolicy policy) {
        return allCandidates(shape, node, policy, true);
    }

    private static Candidate smallest(ModelShape shape, NodeSpec node, PlanningPolicy policy) {
        return allCandidates(shape, node, policy, false).stream()
                .min(Comparator.comparingLong((Candidate c) -> c.memory().total())).orElseThrow();
    }

    private static long shortfall(ModelShape shape, NodeSpec node, PlanningPolicy policy) {
        return smallest(shape, node, policy).memory().total() - node.usableBytes();
    }

    private static String noFitReason(ModelShape shape, NodeSpec node, PlanningPolicy policy) {
        Candidate c = smallest(shape, node, policy);
        return String.format(Locale.ROOT, "nothing fits in %.2f GB usable (%s, budget %.2f GB): the smallest "
                        + "configuration (%s base, batch %d, rank %d, seq %d) needs %.2f GB (base %.2f GB), %.2f GB more",
                node.usableBytes() / 1e9, node.device().name(), node.memoryBytes() / 1e9, c.format().configName(),
                c.batch(), c.rank(), policy.seq(), c.memory().total() / 1e9, c.memory().baseBytes() / 1e9,
                (c.memory().total() - node.usableBytes()) / 1e9);
    }

    /**
     * For a fixed T a class's best choice maximizes b·cap·⌊(T − tr)/t⌋; with equal rank (equal tr
     * and cap) that is, up to rounding, the highest rate b·cap/t. Keep the best two per rank (the
     * second covers rounding) and the configuration that reaches the minimum steps soonest, which
     * sets T_lo when this class is the straggler.
     */
    private static List<Candidate> prune(List<Candidate> fitting, PlanningPolicy policy) {
        Map<Integer, List<Candidate>> byRank = new TreeMap<>();
        for (Candidate c : fitting) {
            byRank.computeIfAbsent(c.rank(), r -> new ArrayList<>()).add(c);
        }
        List<Candidate> kept = new ArrayList<>();
        for (List<Candidate> sameRank : byRank.values()) {
            sameRank.sort(Comparator.comparingDouble(Candidate::rate).reversed());
            kept.addAll(sameRank.subList(0, Math.min(KEEP_PER_RANK, sameRank.size())));
        }
        Candidate fastest = fastestToMinimum(fitting, policy);
        if (!kept.contains(fastest)) {
            kept.add(fastest);
        }
        return kept;
    }

    private static Candidate fastestToMinimum(List<Candidate> candidates, PlanningPolicy policy) {
        return candidates.stream().min(Comparator.comparingDouble(c -> c.finishSeconds(policy.minSteps()))).orElseThrow();
    }

    private static Solution solve(List<NodeClass> classes, PlanningPolicy policy) {
        // T_lo: the straggler bound. The slowest class needs this long for its minimum steps.
        double shortest = 0;
        for (NodeClass k : classes) {
            shortest = Math.max(shortest, fastestToMinimum(k.candidates(), policy).finishSeconds(policy.minSteps()));
        }
        double longest = policy.maxRoundSeconds() > 0 ? policy.maxRoundSeconds() : policy.maxRoundStretch() * shortest;
        if (longest < shortest) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "round limit %.1f s is shorter than the "
                    + "shortest feasible round %.1f s (%d steps on the slowest node)", longest, shortest, policy.minSteps()));
        }
        double[] weights = classWeights(classes);
        // 1-D search over T: for a fixed T the joint MILP separates by class (its only coupling is T),
        // and each class's one-hot choice is decided exactly by enumerating its ≤ 9 columns.
        // Work_ref is the weighted work of the shortest feasible round, so both terms start near 1.
        double workRef = Double.NaN;
        double bestObjective = Double.POSITIVE_INFINITY;
        double bestRound = Double.NaN;
        Choice[] best = null;
        for (int i = 0; i <= ROUND_GRID; i++) {
            double round = shortest + (longest - shortest) * i / ROUND_GRID;
            Choice[] choices = bestAt(classes, round, policy);
            if (choices == null) {
                continue;
            }
            double work = weightedWork(choices, weights);
            if (Double.isNaN(workRef)) {
                workRef = work > 0 ? work : 1;
            }
            double objective = round / shortest - policy.workWeight() * work / workRef;
            if (objective < bestObjective - 1e-12) {
                bestObjective = objective;
                bestRound = round;
                best = choices;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no round time between " + shortest + " and " + longest
                    + " s lets every node finish within the idle tolerance; try a larger one");
        }
        Candidate[] chosen = new Candidate[classes.size()];
        int[] steps = new int[classes.size()];
        double finish = 0;
        for (int k = 0; k < classes.size(); k++) {
            // The chosen round's per-class problem, solved as the MILP it is (ojAlgo); it must agree
            // with the enumeration, which the tests check.
            Choice c = ClassMilp.solve(classes.get(k).candidates(), bestRound, policy);
            chosen[k] = c.candidate();
            steps[k] = c.steps();
            finish = Math.max(finish, c.candidate().finishSeconds(c.steps()));
        }
        return new Solution(finish, shortest, chosen, steps);
    }

    /** Grid points of the round-time search between T_lo and T_hi. */
    private static final int ROUND_GRID = 32;

    /** A class's configuration and steps for one round time. */
    record Choice(Candidate candidate, int steps) {
        double work() {
            return steps * candidate.batch() * candidate.capacity();
        }
    }

    private static double weightedWork(Choice[] choices, double[] weights) {
        double w = 0;
        for (int k = 0; k < choices.length; k++) {
            w += weights[k] * choices[k].work();
        }
        return w;
    }

    /** Each class's best choice for round {@code round}, or null when some class cannot fill [(1 − ε)T, T]. */
    private static Choice[] bestAt(List<NodeClass> classes, double round, PlanningPolicy policy) {
        Choice[] out = new Choice[classes.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = bestChoice(classes.get(k).candidates(), round, policy);
            if (out[k] == null) {
                return null;
            }
        }
        return out;
    }

    /** The optimum of the class MILP by enumeration: per column the most steps that fit, then the most work. */
    static Choice bestChoice(List<Candidate> candidates, double round, PlanningPolicy policy) {
        Choice best = null;
        for (Candidate c : candidates) {
            int s = c.stepsWithin(round, policy.maxSteps());
            if (s < policy.minSteps() || c.finishSeconds(s) < (1 - policy.idleTolerance()) * round) {
                continue;
            }
            Choice choice = new Choice(c, s);
            if (best == null || choice.work() > best.work()) {
                best = choice;
            }
        }
        return best;
    }

    /** W_k: the class's share of all data; equal shares when no node declares its data size. */
    private static double[] classWeights(List<NodeClass> classes) {
        double total = classes.stream().mapToLong(NodeClass::dataSize).sum();
        double nodes = classes.stream().mapToInt(k -> k.members().size()).sum();
        double[] w = new double[classes.size()];
        for (int k = 0; k < w.length; k++) {
            NodeClass cls = classes.get(k);
            w[k] = total > 0 ? cls.dataSize() / total : cls.members().size() / nodes;
        }
        return w;
    }

    private static Plan.NodePlan nodePlan(NodeSpec n, Candidate c, int steps, PlanningPolicy policy) {
        Map<String, Integer> ranks = new TreeMap<>();
        for (LoraTarget t : policy.targets()) {
            ranks.put(t.key(), c.rank());
        }
        double compute = steps * c.stepSeconds();
        return new Plan.NodePlan(n.name(), n.device().name(), c.format(), c.batch(), ranks, steps,
                (long) steps * c.batch(), compute, c.transferSeconds(), compute + c.transferSeconds(), c.memory(),
                n.usableBytes());
    }
}
