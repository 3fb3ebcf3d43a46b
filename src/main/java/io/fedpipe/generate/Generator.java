package io.fedpipe.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.KvCache;
import io.fedpipe.model.TransformerModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes continuations of prompts with a {@link CausalLm} and its KV cache.
 *
 * <p>Greedy decoding runs a batch of prompts at once, left-padded: each row's real tokens keep
 * the positions 0, 1, … they had in training ({@link KvCache#KvCache(int, long[])}) and padding
 * keys are masked. Beam search runs one prompt at a time with its beams as the batch, and follows
 * Hugging Face's {@code BeamSearchScorer} (2K candidates per step, a hypothesis ends at EOS and is
 * scored {@code sum logprob / length^penalty}; the search stops when no live beam can beat the
 * worst of K finished ones).
 */
public final class Generator {

    private final CausalLm lm;

    public Generator(CausalLm lm) {
        this.lm = lm;
    }

    /** One prompt's result: the generated ids (EOS excluded) and whether it ended at EOS. */
    public record Output(long[] ids, boolean endedAtEos) {}

    public List<Output> generate(NDManager parent, List<long[]> prompts, DecodingSettings s) {
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("empty prompt");
            }
            int max = lm.decoder().config().maxPositions();
            if (p.length + s.maxNewTokens() > max) {
                throw new IllegalArgumentException("prompt of " + p.length + " tokens plus " + s.maxNewTokens()
                        + " new tokens exceeds the model's context of " + max + " positions");
            }
        }
        if (s.beams() == 1) {
            return greedy(parent, prompts, s);
        }
        List<Output> out = new ArrayList<>(prompts.size());
        for (long[] p : prompts) {
            out.add(beam(parent, p, s));
        }
        return out;
    }

    /** Batched greedy decoding. */
    List<Output> greedy(NDManager parent, List<long[]> prompts, DecodingSettings s) {
        int b = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        long pad = s.eosId() >= 0 ? s.eosId() : 0;
        long[] pads = new long[b];
        long[] ids = new long[b * longest];
        for (int i = 0; i < b; i++) {
            long[] p = prompts.get(i);
            pads[i] = longest - p.length;
            Arrays.fill(ids, i * longest, i * longest + (int) pads[i], pad);
            System.arraycopy(p, 0, ids, i * longest + (int) pads[i], p.length);
        }
        List<List<Long>> generated = new ArrayList<>();
        boolean[] done = new boolean[b];
        boolean[] eos = new boolean[b];
        for (int i = 0; i < b; i++) {
            generated.add(new ArrayList<>());
        }
        try (NDManager scope = parent.newSubManager()) {
            KvCache cache = new KvCache(lm.decoder().layers(), anyPositive(pads) ? pads : null);
            NDArray input = scope.create(ids, new Shape(b, longest));
            for (int step = 0; step < s.maxNewTokens(); step++) {
                NDArray logits = step(scope, input, cache, pads);
                long[] next = logits.get(new NDIndex(":, -1, :")).argMax(1).toLongArray();
                boolean all = true;
                for (int i = 0; i < b; i++) {
                    if (done[i]) {
                        next[i] = pad;
                        continue;
                    }
                    if (next[i] == s.eosId()) {
                        done[i] = true;
                        eos[i] = true;
                        next[i] = pad;
                    } else {
                        generated.get(i).add(next[i]);
                    }
                    all &= done[i];
                }
                if (all) {
                    break;
                }
                input = scope.create(next, new Shape(b, 1));
            }
        }
        List<Output> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(new Output(generated.get(i).stream().mapToLong(Long::longValue).toArray(), eos[i]));
        }
        return out;
    }

    private static boolean anyPositive(long[] a) {
        for (long v : a) {
            if (v > 0) {
                return true;
            }
        }
        return false;
    }

    /** Logits of the new positions; the mask hides later positions and, per row, the left padding. */
    private NDArray step(NDManager scope, NDArray input, KvCache cache, long[] pads) {
        int t = Math.toIntExact(input.getShape().get(1));
        int cached = cache.length();
        int total = cached + t;
        long b = input.getShape().get(0);
        float[] mask = new float[(int) (b * t * total)];
        for (int r = 0; r < b; r++) {
            long padCount = pads == null ? 0 : pads[r];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < total; j++) {
                    boolean future = j > cached + i;
                    if (future || j < padCount) {
                        mask[(r * t + i) * total + j] = -1e9f;
                    }
                }
            }
        }
        NDArray m = scope.create(mask, new Shape(b, 1, t, total));
        NDArray h = lm.decoder().forward(input, null, m, cache, false);
        return lm.head(h.get(new NDIndex(":, -1:, :")));
    }

    /** A beam: its tokens (generated only) and summed log-probability. */
    private record Beam(long[] tokens, double score) {}

    Output beam(NDManager parent, long[] prompt, DecodingSettings s) {
        int k = s.beams();
        List<Beam> finished = new ArrayList<>();
        try (NDManager scope = parent.newSubManager()) {
            KvCache cache = new KvCache(lm.decoder().layers());
            NDArray input = scope.create(prompt, new Shape(1, prompt.length));
            List<Beam> live = List.of(new Beam(new long[0], 0));
            for (int step = 0; step < s.maxNewTokens(); step++) {
                NDArray logits = step(scope, input, cache, null).get(new NDIndex(":, 0, :"));
                float[] logp = logits.logSoftmax(1).toFloatArray();
                int vocab = Math.toIntExact(logits.getShape().get(1));
                // Candidates: each live beam's continuation, 2K best overall.
                int candidates = Math.min(2 * k, live.size() * vocab);
                long[] bestIdx = new long[candidates];
                double[] bestScore = new double[candidates];
                Arrays.fill(bestScore, Double.NEGATIVE_INFINITY);
                for (int bi = 0; bi < live.size(); bi++) {
                    Beam beam = live.get(bi);
                    Set<Long> banned = bannedTokens(beam.tokens(), s.noRepeatNgram());
                    for (int v = 0; v < vocab; v++) {
                        double score = beam.score() + logp[bi * vocab + v];
                        if (score <= bestScore[candidates - 1] || banned.contains((long) v)) {
                            continue;
                        }
                        int pos = candidates - 1;
                        while (pos > 0 && bestScore[pos - 1] < score) {
                            bestScore[pos] = bestScore[pos - 1];
                            bestIdx[pos] = bestIdx[pos - 1];
                            pos--;
                        }
                        bestScore[pos] = score;
                        bestIdx[pos] = (long) bi * vocab + v;
                    }
                }
                List<Beam> next = new ArrayList<>(k);
                List<Long> parents = new ArrayList<>(k);
                List<Long> tokens = new ArrayList<>(k);
                for (int c = 0; c < candidates && next.size() < k; c++) {
                    if (bestScore[c] == Double.NEGATIVE_INFINITY) {
                        break;
                    }
                    int bi = (int) (bestIdx[c] / vocab);
                    long token = bestIdx[c] % vocab;
                    Beam from = live.get(bi);
                    if (token == s.eosId()) {
                        // HF adds an EOS hypothesis only if it ranks among the top K candidates.
                        if (c < k) {
                            finished.add(new Beam(from.tokens(), bestScore[c]));
                        }
                        continue;
                    }
                    long[] t = Arrays.copyOf(from.tokens(), from.tokens().length + 1);
                    t[t.length - 1] = token;
                    next.add(new Beam(t, bestScore[c]));
                    parents.add((long) bi);
                    tokens.add(token);
                }
                if (next.isEmpty() || isDone(finished, next, k, s.lengthPenalty(), step + 1)) {
                    live = next;
                    break;
                }
                cache.reorder(parents.stream().mapToLong(Long::longValue).toArray());
                input = scope.create(tokens.stream().mapToLong(Long::longValue).toArray(), new Shape(next.size(), 1));
                live = next;
                if (step == s.maxNewTokens() - 1) {
                    break;
                }
            }
            if (finished.size() < k) {
                for (Beam b : live) {
                    finished.add(new Beam(b.tokens(), b.score()));
                }
            }
        }
        Beam best = null;
        double bestRank = Double.NEGATIVE_INFINITY;
        for (Beam b : finished) {
            double rank = rank(b, s.lengthPenalty(), s.eosId() >= 0);
            if (best == null || rank > bestRank) {
                best = b;
                bestRank = rank;
            }
        }
        return new Output(best.tokens(), true);
    }

    /** HF: length = generated tokens, counting the EOS that ended the hypothesis. */
    private static double rank(Beam b, double lengthPenalty, boolean hasEos) {
        int length = Math.max(1, b.tokens().length + (hasEos ? 1 : 0));
        return b.score() / Math.pow(length, lengthPenalty);
    }

    private static boolean isDone(List<Beam> finished, List<Beam> live, int k, double lengthPenalty, int length) {
        if (finished.size() < k) {
            return false;
        }
        double worst = Double.POSITIVE_INFINITY;
        List<Double> ranks = new ArrayList<>();
        for (Beam b : finished) {
            ranks.add(rank(b, lengthPenalty, true));
        }
        ranks.sort(null);
        // The K best finished ones count.
        worst = ranks.get(ranks.size() - k);
        double bestLive = live.get(0).score() / Math.pow(length, lengthPenalty);
        return bestLive < worst;
    }

    /** Tokens that would repeat an n-gram already in {@code tokens}. */
    static Set<Long> bannedTokens(long[] tokens, int n) {
        if (n <= 0 || tokens.length < n - 1) {
            return Set.of();
        }
        Map<List<Long>, Set<Long>> seen = new HashMap<>();
        for (int i = 0; i + n <= tokens.length; i++) {
            List<Long> prefix = new ArrayList<>(n - 1);
            for (int j = i; j < i + n - 1; j++) {
                prefix.add(tokens[j]);
            }
            seen.computeIfAbsent(prefix, x -> new HashSet<>()).add(tokens[i + n - 1]);
        }
        List<Long> tail = new ArrayList<>(n - 1);
        for (int j = tokens.length - (n - 1); j < tokens.length; j++) {
            tail.add(tokens[j]);
        }
        return seen.getOrDefault(tail, Set.of());
    }

    /** The decoder (for callers that need its config). */
    public TransformerModel decoder() {
        return lm.decoder();
    }
}
