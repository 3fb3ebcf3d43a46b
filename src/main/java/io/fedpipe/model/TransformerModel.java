package io.fedpipe.model;

import io.fedpipe.core.DenseWeight;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A transformer on the DJL device: frozen base weights (any storage format) plus LoRA
 * adapters, with the exact Hugging Face semantics of BERT (post-LN, erf GELU), GPT-2
 * (pre-LN, tanh GELU, causal attention) and Llama (pre-RMSNorm, rotary positions,
 * grouped-query attention, SwiGLU MLP). The formulas, with their sources, are in
 * docs/model-formulas.md.
 *
 * <p>The forward pass is exposed per stage ({@link #embed}, {@link #block}, {@link #finish})
 * so a trainer can recompute one block at a time and never hold more than one block's
 * dequantized weights and activations graph (STACK.md rule 15). Every array an operation
 * creates belongs to the manager of its input, i.e. to the caller's step scope; the model's
 * own manager only ever holds weights and adapters.
 */
public final class TransformerModel implements AutoCloseable {

    /** Added to attention scores of masked positions: exp() of it is exactly 0 in float32. */
    static final float MASKED = -1e9f;

    private final TransformerConfig config;
    private final NDManager manager;
    private final NDArray wordEmbeddings;
    private final NDArray positionEmbeddings;
    private final NDArray typeEmbeddings;
    private final NDArray embeddingNormGain;
    private final NDArray embeddingNormBias;
    private final NDArray finalNormGain;
    private final NDArray finalNormBias;
    private final NDArray lmHead;
    // Llama: cos and sin of every position's rotation angles, [maxPositions, headDim] each.
    private final NDArray ropeCos;
    private final NDArray ropeSin;
    private final List<Block> blocks;
    // Scalar factors used inside autograd graphs live as long as the model (see scalar()).
    private final NDArray attentionScale;
    private final NDArray geluCubic;
    private final NDArray geluSqrt2OverPi;
    private final NDArray half;

    private record Block(Map<LoraTarget, LoraLinear> linears, NDArray n1g, NDArray n1b, NDArray n2g, NDArray n2b) {}

    private TransformerModel(TransformerConfig config, NDManager manager, TransformerWeights w, LoraConfig lora,
            FrozenWeightFactory freezer, long seed) {
        this.config = config;
        this.manager = manager;
        this.wordEmbeddings = create(w.wordEmbeddings());
        this.positionEmbeddings = create(w.positionEmbeddings());
        this.typeEmbeddings = create(w.typeEmbeddings());
        this.embeddingNormGain = create(w.embeddingNormGain());
        this.embeddingNormBias = create(w.embeddingNormBias());
        this.finalNormGain = create(w.finalNormGain());
        this.finalNormBias = create(w.finalNormBias());
        this.lmHead = create(w.lmHead());
        if (config.family() == TransformerConfig.Family.LLAMA) {
            float[][] table = RotaryTable.cosSin(config);
            this.ropeCos = manager.create(table[0], new Shape(config.maxPositions(), config.headDim()));
            this.ropeSin = manager.create(table[1], new Shape(config.maxPositions(), config.headDim()));
        } else {
            this.ropeCos = null;
            this.ropeSin = null;
        }
        this.attentionScale = scalar(manager, 1.0 / Math.sqrt(config.headDim()));
        this.geluCubic = scalar(manager, 0.044715);
        this.geluSqrt2OverPi = scalar(manager, Math.sqrt(2 / Math.PI));
        this.half = scalar(manager, 0.5);
        Random random = new Random(seed);
        this.blocks = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            BlockWeights bw = w.blocks().get(i);
            Map<LoraTarget, LoraLinear> linears = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : config.targets()) {
                MatrixId id = new MatrixId(i, t);
                LinearWeights lw = bw.linear(t);
                int rank = lora == null ? 0 : lora.rank(id);
                float scale = lora == null ? 0 : lora.scale(id);
                float dropout = lora == null ? 0 : lora.dropout();
                linears.put(t, new LoraLinear(manager, freezer.freeze(manager, id, lw.weight()), create(lw.bias()),
                        rank, scale, dropout, random));
            }
            blocks.add(new Block(linears, create(bw.norm1Gain()), create(bw.norm1Bias()),
                    create(bw.norm2Gain()), create(bw.norm2Bias())));
        }
        if (lora != null) {
            for (MatrixId id : lora.ranks().keySet()) {
                if (id.layer() >= config.layers()) {
                    throw new IllegalArgumentException("LoRA config adapts " + id + " but the model has "
                            + config.layers() + " layers");
                }
                if (!config.targets().contains(id.target())) {
                    throw new IllegalArgumentException("LoRA config adapts " + id + " but " + config.family()
                            + " has no " + id.target().key() + " matrix");
                }
            }
        }
    }

    /**
     * Puts the weights on the device under a new sub-manager of {@code parent}.
     *
     * @param lora    adapters to add, or null for the plain model
     * @param freezer storage of the frozen linear weights
     * @param seed    seeds the adapters' initialisation
     */
    public static TransformerModel create(NDManager parent, TransformerWeights weights, LoraConfig lora,
            FrozenWeightFactory freezer, long seed) {
        NDManager m = parent.newSubManager();
        try {
            return new TransformerModel(weights.config(), m, weights, lora, freezer, seed);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * A float32 scalar owned by {@code manager}, for multiplications inside autograd graphs.
     *
     * <p>DJL's {@code NDArray.mul(Number)} wraps the number in a tensor that aliases a direct
     * ByteBuffer and closes it right after the operation. Autograd saves that tensor for the
     * backward pass of the product, and once the buffer is garbage-collected the backward pass
     * reads freed memory: gradients turn NaN at random (seen here every few hundred steps).
     * A scalar that lives as long as the model cannot be freed under the graph.
     */
    public static NDArray scalar(NDManager manager, double value) {
        return manager.create((float) value);
    }

    private NDArray create(HostTensor t) {
        return t == null ? null : manager.create(t.data(), new Shape(t.shape()));
    }

    public TransformerConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public int layers() {
        return blocks.size();
    }

    public LoraLinear linear(MatrixId id) {
        return blocks.get(id.layer()).linears().get(id.target());
    }

    /** The token embedding matrix {@code [vocab, d]}. */
    public NDArray wordEmbeddings() {
        return wordEmbeddings;
    }

    /** The LM head {@code [vocab, d]}: Llama's untied {@code lm_head}, else the token embeddings. */
    public NDArray outputEmbeddings() {
        return lmHead != null ? lmHead : wordEmbeddings;
    }

    /**
     * Token + position (+ token type) embeddings, and BERT's embedding LayerNorm.
     *
     * @param ids            {@code [B, T]} int64 token ids
     * @param typeIds        {@code [B, T]} token types (BERT), or null for all zeros
     * @param positionOffset position of the first token (cached prefix length in generation)
     */
    public NDArray embed(NDArray ids, NDArray typeIds, int positionOffset) {
        return embed(ids, typeIds, positionOffset, null);
    }

    /**
     * Position ids {@code [B, T]} of a left-padded batch: {@code offset + t − pads[b]}, clamped at
     * 0 for the padding itself (masked anyway).
     */
    private static NDArray paddedPositions(NDManager scope, long batch, long t, int offset, long[] pads) {
        long[] pos = new long[(int) (batch * t)];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < t; j++) {
                pos[(int) (b * t + j)] = Math.max(0, offset + j - pads[b]);
            }
        }
        return scope.create(pos, new Shape(batch, t));
    }

    private NDArray embed(NDArray ids, NDArray typeIds, int positionOffset, long[] pads) {
        long t = ids.getShape().get(1);
        if (positionOffset + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (positionOffset + t) + " tokens exceeds the model's "
                    + config.maxPositions() + " positions");
        }
        NDManager scope = ids.getManager();
        NDArray x = Embedding.embedding(ids, wordEmbeddings, SparseFormat.DENSE).singletonOrThrow();
        if (config.family() == TransformerConfig.Family.LLAMA) {
            return x; // positions enter through the rotation of q and k
        }
        NDArray positions = pads == null ? scope.arange(positionOffset, positionOffset + (int) t, 1, DataType.INT64)
                : paddedPositions(scope, ids.getShape().get(0), t, positionOffset, pads);
        x = x.addi(Embedding.embedding(positions, positionEmbeddings, SparseFormat.DENSE).singletonOrThrow());
        if (config.family() == TransformerConfig.Family.BERT) {
            NDArray types = typeIds != null ? typeIds : scope.zeros(ids.getShape(), DataType.INT64);
            x = x.addi(Embedding.embedding(types, typeEmbeddings, SparseFormat.DENSE).singletonOrThrow());
            x = layerNorm(x, embeddingNormGain, embeddingNormBias);
        }
        return x;
    }

    /**
     * One transformer block.
     *
     * @param x        {@code [B, T, d]}
     * @param mask     additive attention mask broadcastable to {@code [B, heads, T, T_total]}, or null
     * @param cache    keys/values of earlier positions to extend (generation), or null
     * @param training enables adapter dropout
     */
    public NDArray block(int layer, NDArray x, NDArray mask, KvCache cache, boolean training) {
        Block b = blocks.get(layer);
        if (config.family() == TransformerConfig.Family.BERT) {
            NDArray attn = attention(layer, b, x, mask, cache, training);
            NDArray h = layerNorm(attn.addi(x), b.n1g(), b.n1b());
            NDArray f = b.linears().get(LoraTarget.FFN_IN).forward(h, training).getNDArrayInternal().gelu();
            f = b.linears().get(LoraTarget.FFN_OUT).forward(f, training);
            return layerNorm(f.addi(h), b.n2g(), b.n2b());
        }
        if (config.family() == TransformerConfig.Family.LLAMA) {
            NDArray h = x.add(attention(layer, b, rmsNorm(x, b.n1g()), mask, cache, training));
            NDArray n = rmsNorm(h, b.n2g());
            NDArray gate = b.linears().get(LoraTarget.GATE).forward(n, training);
            NDArray up = b.linears().get(LoraTarget.FFN_IN).forward(n, training);
            NDArray f = b.linears().get(LoraTarget.FFN_OUT).forward(silu(gate).mul(up), training);
            return f.addi(h);
        }
        NDArray h = x.add(attention(layer, b, layerNorm(x, b.n1g(), b.n1b()), mask, cache, training));
        NDArray f = b.linears().get(LoraTarget.FFN_IN).forward(layerNorm(h, b.n2g(), b.n2b()), training);
        f = b.linears().get(LoraTarget.FFN_OUT).forward(geluTanh(f), training);
        return f.addi(h);
    }

    /** After the last block: GPT-2's final LayerNorm, Llama's final RMSNorm; identity for BERT. */
    public NDArray finish(NDArray x) {
        return switch (config.family()) {
            case BERT -> x;
            case GPT2 -> layerNorm(x, finalNormGain, finalNormBias);
            case LLAMA -> rmsNorm(x, finalNormGain);
        };
    }

    /** The whole stack: embeddings, every block, final norm. */
    public NDArray forward(NDArray ids, NDArray typeIds, NDArray mask, KvCache cache, boolean training) {
        int offset = cache == null ? 0 : cache.length();
        NDArray x = embed(ids, typeIds, offset, cache == null ? null : cache.leftPads());
        for (int i = 0; i < blocks.size(); i++) {
            x = block(i, x, mask, cache, training);
        }
        return finish(x);
    }

    private NDArray attention(int layer, Block b, NDArray x, NDArray mask, KvCache cache, boolean training) {
        Shape s = x.getShape();
        long batch = s.get(0);
        long t = s.get(1);
        int heads = config.heads();
        int d = config.headDim();
        int offset = cache == null ? 0 : cache.length();
        // Scaling q (B·T·d values) is cheaper than scaling the scores (B·h·T·T values); it
        // commutes with the rotation, which is linear.
        NDArray q = splitHeads(b.linears().get(LoraTarget.Q).forward(x, training).muli(attentionScale), batch, t, heads);
        NDArray k = splitHeads(b.linears().get(LoraTarget.K).forward(x, training), batch, t, config.kvHeads());
        NDArray v = splitHeads(b.linears().get(LoraTarget.V).forward(x, training), batch, t, config.kvHeads());
        if (ropeCos != null) {
            long[] pads = cache == null ? null : cache.leftPads();
            q = rotate(q, offset, t, pads);
            k = rotate(k, offset, t, pads);
        }
        if (cache != null) {
            if (cache.keys(layer) != null) {
                k = NDArrays.concat(new ai.djl.ndarray.NDList(cache.keys(layer), k), 2);
                v = NDArrays.concat(new ai.djl.ndarray.NDList(cache.values(layer), v), 2);
            }
            cache.put(layer, k, v);
        }
        if (config.kvHeads() != heads) {
            // Grouped-query attention: query head i reads key/value head i / (heads / kvHeads).
            k = k.repeat(1, heads / config.kvHeads());
            v = v.repeat(1, heads / config.kvHeads());
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.addi(mask);
        }
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, t, (long) heads * d);
        return b.linears().get(LoraTarget.O).forward(context, training);
    }

    private NDArray splitHeads(NDArray x, long batch, long t, int heads) {
        return x.reshape(batch, t, heads, config.headDim()).transpose(0, 2, 1, 3);
    }

    /**
     * Rotary position embedding in Hugging Face's layout (dimension i pairs with i + d/2):
     * {@code x·cos + rotate_half(x)·sin} with {@code rotate_half(x) = [−x₂, x₁]}.
     *
     * @param x {@code [B, heads, T, d]} for positions {@code offset .. offset + T − 1}
     */
    private NDArray rotate(NDArray x, int offset, long t, long[] pads) {
        if (offset + t > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + (offset + t) + " tokens exceeds the model's "
                    + config.maxPositions() + " positions");
        }
        NDArray cos;
        NDArray sin;
        if (pads == null) {
            ai.djl.ndarray.index.NDIndex rows = new ai.djl.ndarray.index.NDIndex("{}:{}", offset, offset + t);
            cos = ropeCos.get(rows);
            sin = ropeSin.get(rows);
            cos.attach(x.getManager());
            sin.attach(x.getManager());
        } else {
            // Each row has its own positions: [B, T, d] tables, broadcast over the heads.
            long batch = x.getShape().get(0);
            NDArray positions = paddedPositions(x.getManager(), batch, t, offset, pads);
            cos = Embedding.embedding(positions, ropeCos, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
            sin = Embedding.embedding(positions, ropeSin, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        }
        return rotate(x, cos, sin);
    }

    /**
     * {@code x·cos + rotate_half(x)·sin} (Hugging Face's {@code apply_rotary_pos_emb}), the pure
     * form of the rotation: {@code x} is {@code [..., T, d]}, {@code cos} and {@code sin} are the
     * {@code [T, d]} rows of {@link RotaryTable#cosSin} for the T positions.
     */
    static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(x.getShape().dimension() - 1) / 2;
        NDArray x1 = x.get(new ai.djl.ndarray.index.NDIndex("..., :{}", half));
        NDArray x2 = x.get(new ai.djl.ndarray.index.NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new ai.djl.ndarray.NDList(x2.neg(), x1), -1);
        return x.mul(cos).addi(rotated.mul(sin));
    }

    /** {@code x / √(mean(x²) + ε) · g} over the last axis (Zhang &amp; Sennrich 2019). */
    private NDArray rmsNorm(NDArray x, NDArray gain) {
        NDArray rms = x.square().mean(new int[] {-1}, true).add((float) config.layerNormEps()).sqrt();
        return x.div(rms).mul(gain);
    }

    /** SiLU (swish) {@code x·σ(x)}, the gate activation of Llama's SwiGLU MLP (Shazeer 2020). */
    private static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }

    private NDArray layerNorm(NDArray x, NDArray gain, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hidden()), gain, bias, (float) config.layerNormEps())
                .singletonOrThrow();
    }

    /** GPT-2's GELU: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))} (Hendrycks & Gimpel). */
    NDArray geluTanh(NDArray x) {
        // pow and tanh save their outputs for the backward pass: neither output may be changed in
        // place, hence x·x·x and the out-of-place ops after tanh. Adding a Number is safe (the
        // backward of an addition saves nothing); multiplying needs the model-owned scalars.
        NDArray inner = x.mul(x).mul(x).muli(geluCubic).addi(x).muli(geluSqrt2OverPi).tanh();
        return inner.add(1).mul(x).muli(half);
    }

    /**
     * Additive mask {@code [B, 1, 1, T]} that hides padding keys: 0 where
     * {@code attentionMask} is 1, {@link #MASKED} where it is 0.
     */
    public static NDArray paddingMask(NDArray attentionMask) {
        Shape s = attentionMask.getShape();
        NDArray keep = attentionMask.toType(DataType.FLOAT32, false);
        return keep.neg().addi(1).muli(MASKED).reshape(s.get(0), 1, 1, s.get(1));
    }

    /**
     * Additive causal mask {@code [1, 1, T, P + T]} for T new positions after P cached ones:
     * position {@code P + i} sees keys {@code 0 .. P + i}.
     */
    public static NDArray causalMask(NDManager scope, int newTokens, int cached) {
        int total = cached + newTokens;
        float[] m = new float[newTokens * total];
        for (int i = 0; i < newTokens; i++) {
            for (int j = cached + i + 1; j < total; j++) {
                m[i * total + j] = MASKED;
            }
        }
        return scope.create(m, new Shape(1, 1, newTokens, total));
    }

    /** Adapted matrices with their layers, in layer order. */
    public List<MatrixId> adaptedMatrices() {
        List<MatrixId> ids = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            for (Map.Entry<LoraTarget, LoraLinear> e : blocks.get(i).linears().entrySet()) {
                if (e.getValue().rank() > 0) {
                    ids.add(new MatrixId(i, e.getKey()));
                }
            }
        }
        return ids;
    }

    /**
     * The adapters' A and B arrays (and λ in SVD form), in {@link #adaptedMatrices()} order: what
     * training updates.
     */
    public List<NDArray> adapterParameters() {
        List<NDArray> params = new ArrayList<>();
        for (MatrixId id : adaptedMatrices()) {
            params.add(linear(id).loraA());
            params.add(linear(id).loraB());
            if (linear(id).singularValues() != null) {
                params.add(linear(id).singularValues());
            }
        }
        return params;
    }

    /**
     * Full fine-tuning: makes every weight of the model trainable in place and returns them: the
     * embeddings and their LayerNorm, per block the six linear weights with their biases and the two
     * LayerNorms, and GPT-2's final LayerNorm. Each array requires gradients from now on, and a
     * forward pass under a gradient collector reaches it (a dense weight materializes as itself).
     *
     * <p>Only a plain float32 model qualifies: a quantized base has no float32 array to train, and
     * adapters on top of trained weights would be two ways of learning the same matrix. The LoRA
     * path never calls this, so its frozen weights keep costing nothing in autograd.
     *
     * @throws IllegalStateException if a linear weight is not dense float32 or carries an adapter
     */
    public List<NDArray> unfreezeAll() {
        List<NDArray> params = new ArrayList<>();
        addTrainable(params, wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingNormGain, embeddingNormBias);
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            for (Map.Entry<LoraTarget, LoraLinear> e : b.linears().entrySet()) {
                LoraLinear l = e.getValue();
                MatrixId id = new MatrixId(i, e.getKey());
                if (l.rank() > 0) {
                    throw new IllegalStateException("full fine-tuning trains the weights themselves, but " + id
                            + " carries a rank-" + l.rank() + " adapter");
                }
                if (!(l.weight() instanceof DenseWeight dense)) {
                    throw new IllegalStateException("full fine-tuning needs float32 weights, but " + id + " is stored as "
                            + l.weight().format());
                }
                addTrainable(params, dense.value(), l.bias());
            }
            addTrainable(params, b.n1g(), b.n1b(), b.n2g(), b.n2b());
        }
        addTrainable(params, finalNormGain, finalNormBias, lmHead);
        return params;
    }

    private static void addTrainable(List<NDArray> params, NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.setRequiresGradient(true);
                params.add(a);
            }
        }
    }

    /** Puts every adapter in AdaLoRA's SVD form (see {@link LoraLinear#useSvdForm}). */
    public void useSvdForm(long seed) {
        Random random = new Random(seed);
        for (MatrixId id : adaptedMatrices()) {
            linear(id).useSvdForm(random);
        }
    }

    /** Folds every adapter into its base weight (which becomes dense float32). */
    public void mergeAdapters() {
        for (Block b : blocks) {
            for (LoraLinear l : b.linears().values()) {
                l.merge();
            }
        }
    }

    /** Bytes of all frozen linear weights as stored (what the bit-width changes). */
    public long frozenLinearBytes() {
        long n = 0;
        for (Block b : blocks) {
            for (LoraLinear l : b.linears().values()) {
                n += l.weight().storedBytes();
            }
        }
        return n;
    }

    /** The current weights on the host; adapters are not included (merge first to include them). */
    public TransformerWeights toHostWeights() {
        List<BlockWeights> bws = new ArrayList<>();
        for (Block b : blocks) {
            Map<LoraTarget, LinearWeights> l = new EnumMap<>(LoraTarget.class);
            for (Map.Entry<LoraTarget, LoraLinear> e : b.linears().entrySet()) {
                LoraLinear ll = e.getValue();
                l.put(e.getKey(), new LinearWeights(ll.weight().toHost(), host(ll.bias())));
            }
            bws.add(new BlockWeights(l, host(b.n1g()), host(b.n1b()), host(b.n2g()), host(b.n2b())));
        }
        return new TransformerWeights(config, host(wordEmbeddings), host(positionEmbeddings), host(typeEmbeddings),
                host(embeddingNormGain), host(embeddingNormBias), bws, host(finalNormGain), host(finalNormBias),
                host(lmHead));
    }

    private static HostTensor host(NDArray a) {
        return a == null ? null : new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
    }
}
