package io.fedpipe.aggregation;

import io.fedpipe.core.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Weighted FedAvg of dense tensors (McMahan et al. 2017): {@code Σ w_n T_n / Σ w_n} over the nodes
 * that sent a valid copy of each tensor. The expected shape is last round's, or, in the first round,
 * the shape most nodes sent (earliest node on a tie), so one malformed node cannot set it.
 */
final class DenseAverage {

    private DenseAverage() {}

    static Map<String, HostTensor> average(List<NodeUpdate> nodes, Map<String, HostTensor> previous,
            List<Rejection> rejected) {
        Map<String, List<NodeUpdate>> byName = new TreeMap<>();
        for (NodeUpdate n : nodes) {
            n.dense().keySet().forEach(k -> byName.computeIfAbsent(k, x -> new ArrayList<>()).add(n));
        }
        Map<String, HostTensor> out = new TreeMap<>(previous);
        for (Map.Entry<String, List<NodeUpdate>> e : byName.entrySet()) {
            String name = e.getKey();
            long[] expected = previous.containsKey(name) ? previous.get(name).shape() : commonShape(name, e.getValue());
            double[] sum = null;
            double total = 0;
            for (NodeUpdate n : e.getValue()) {
                HostTensor t = n.dense().get(name);
                String problem = !Arrays.equals(t.shape(), expected)
                        ? "shape " + Arrays.toString(t.shape()) + " differs from the expected " + Arrays.toString(expected)
                        : RoundAggregation.firstNonFinite(t, name);
                if (problem != null) {
                    rejected.add(new Rejection(n.nodeId(), name, problem));
                    continue;
                }
                if (sum == null) {
                    sum = new double[t.data().length];
                }
                float[] d = t.data();
                for (int i = 0; i < d.length; i++) {
                    sum[i] += n.weight() * d[i];
                }
                total += n.weight();
            }
            if (sum != null) {
                float[] avg = new float[sum.length];
                for (int i = 0; i < avg.length; i++) {
                    avg[i] = (float) (sum[i] / total);
                }
                out.put(name, new HostTensor(expected, avg));
            }
        }
        return out;
    }

    private static long[] commonShape(String name, List<NodeUpdate> nodes) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (NodeUpdate n : nodes) {
            long[] s = n.dense().get(name).shape();
            String key = Arrays.toString(s);
            shapes.putIfAbsent(key, s);
            counts.merge(key, 1, Integer::sum);
        }
        String best = null;
        for (Map.Entry<String, Integer> c : counts.entrySet()) {
            if (best == null || c.getValue() > counts.get(best)) {
                best = c.getKey();
            }
        }
        return shapes.get(best);
    }
}
