package io.fedpipe.planning;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fedpipe.quant.QuantFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What every node does in one round, with the predictions that justify it.
 *
 * @param model          the model shape's name
 * @param roundSeconds   T: the round's predicted length
 * @param shortestRound  T_lo: the shortest round in which every node does its minimum steps
 * @param nodes          the planned nodes, in input order
 * @param excluded       nodes left out by policy, with reasons
 * @param classes        distinct node profiles the solver saw (nodes of one profile share a plan)
 * @param solveMillis    wall time of planning
 */
public record Plan(String model, double roundSeconds, double shortestRound, List<NodePlan> nodes,
                   List<Excluded> excluded, int classes, double solveMillis) {

    public Plan {
        nodes = List.copyOf(nodes);
        excluded = List.copyOf(excluded);
    }

    /**
     * One node's plan.
     *
     * @param ranks           rank per adapted target (the same in every layer)
     * @param samples         steps × batch: examples trained this round
     * @param finishSeconds   compute + transfer: when the node's update reaches the aggregator
     */
    public record NodePlan(String node, String device, QuantFormat bits, int batch, Map<String, Integer> ranks,
                           int steps, long samples, double computeSeconds, double transferSeconds,
                           double finishSeconds, MemoryModel.Breakdown memory, long memoryBudget) {
        public NodePlan {
            ranks = Map.copyOf(ranks);
        }
    }

    /** A node the plan leaves out, and why (e.g. the memory it lacks). */
    public record Excluded(String node, String reason) {}

    public NodePlan node(String name) {
        return nodes.stream().filter(n -> n.node().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no planned node '" + name + "'"));
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plan is not serializable", e);
        }
    }

    /** A fixed-width table, one row per node, then the excluded nodes. */
    public String table() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "plan for %s: round T = %.1f s (shortest possible %.1f s), %d nodes, "
                + "%d excluded, %d classes, solved in %.1f ms%n", model, roundSeconds, shortestRound, nodes.size(),
                excluded.size(), classes, solveMillis));
        s.append(String.format(Locale.ROOT, "%-14s %-17s %-5s %5s %-22s %6s %8s %9s %9s %9s %9s %9s %9s%n",
                "node", "device", "bits", "batch", "ranks", "steps", "samples", "compute", "transfer", "finish",
                "base", "act+lora", "budget"));
        for (NodePlan n : nodes) {
            s.append(String.format(Locale.ROOT, "%-14s %-17s %-5s %5d %-22s %6d %8d %8.1fs %8.1fs %8.1fs %8.2fG %8.2fG %8.2fG%n",
                    n.node(), n.device(), n.bits().configName(), n.batch(), ranksText(n.ranks()), n.steps(), n.samples(),
                    n.computeSeconds(), n.transferSeconds(), n.finishSeconds(), n.memory().baseBytes() / 1e9,
                    (n.memory().activationBytes() + n.memory().adapterBytes()) / 1e9, n.memoryBudget() / 1e9));
        }
        for (Excluded e : excluded) {
            s.append("excluded ").append(e.node()).append(": ").append(e.reason()).append(System.lineSeparator());
        }
        return s.toString();
    }

    private static String ranksText(Map<String, Integer> ranks) {
        var distinct = ranks.values().stream().distinct().toList();
        String keys = String.join(",", new java.util.TreeSet<>(ranks.keySet()));
        return distinct.size() == 1 ? keys + "=" + distinct.get(0) : new java.util.TreeMap<>(ranks).toString();
    }
}
