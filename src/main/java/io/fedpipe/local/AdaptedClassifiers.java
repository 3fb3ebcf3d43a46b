package io.fedpipe.local;

import io.fedpipe.round.GlobalModel;
import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.eval.ClassificationMetrics;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.LinearWeights;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.ClassifierFineTuning;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds encoder classifiers of one base model with given adapters and head, for the nodes' local
 * rounds and for scoring the global model. Holds the base weights once on the host; each model put
 * on the device is a fresh copy the caller closes (a MiniLM-L6 is about 90 MB in float32).
 *
 * <p>The head travels as the dense tensors {@value #HEAD_WEIGHT} {@code [classes, hidden]} and
 * {@value #HEAD_BIAS} {@code [classes]} (PEFT's {@code modules_to_save} name), averaged by FedAvg.
 */
public final class AdaptedClassifiers {

    public static final String HEAD_WEIGHT = "classifier.weight";
    public static final String HEAD_BIAS = "classifier.bias";

    private final TransformerWeights weights;
    private final TextTokenizer tokenizer;
    private final int classes;
    private final float alpha;
    private final long seed;

    /**
     * @param weights   the frozen base (an encoder)
     * @param tokenizer its tokenizer; the caller keeps ownership
     * @param classes   number of labels
     * @param alpha     the LoRA α shared by all nodes
     * @param seed      seeds the starting head and fresh adapters, the same on every node
     */
    public AdaptedClassifiers(TransformerWeights weights, TextTokenizer tokenizer, int classes, float alpha, long seed) {
        if (weights.config().family() != TransformerConfig.Family.BERT) {
            throw new IllegalArgumentException("classification rounds need an encoder (BERT family), got "
                    + weights.config().family());
        }
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.classes = classes;
        this.alpha = alpha;
        this.seed = seed;
    }

    /** The base weights every node holds. */
    public TransformerWeights base() {
        return weights;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public float alpha() {
        return alpha;
    }

    public long seed() {
        return seed;
    }

    /** The head every node starts from: Xavier-uniform weight, zero bias. */
    public Map<String, HostTensor> initialHead() {
        int hidden = weights.config().hidden();
        return Map.of(HEAD_WEIGHT, SequenceClassifier.initialHeadWeight(hidden, classes, seed),
                HEAD_BIAS, new HostTensor(new long[] {classes}, new float[classes]));
    }

    /** {@code [out, in]} of the given targets in every layer: what aggregation validates shapes against. */
    public Map<MatrixId, MatrixShape> shapes(Set<LoraTarget> targets) {
        Map<MatrixId, MatrixShape> out = new TreeMap<>();
        for (int layer = 0; layer < weights.blocks().size(); layer++) {
            for (LoraTarget t : targets) {
                LinearWeights w = weights.blocks().get(layer).linear(t);
                out.put(new MatrixId(layer, t), new MatrixShape(w.out(), w.in()));
            }
        }
        return out;
    }

    /**
     * A classifier with adapters of {@code ranks} (scale α/r), its base stored as {@code bits}, the
     * given starting adapters loaded (others keep the fresh init) and the head from {@code dense}.
     * Empty {@code ranks}: the plain base model.
     *
     * <p>Any other tensor in {@code dense} replaces the base tensor of that Hugging Face name
     * ({@link HfWeightNames}, e.g. {@code encoder.layer.0.attention.self.query.weight}): this is how
     * the averaged weights of full fine-tuning reach a node and the evaluation. A tensor not sent
     * keeps the base value every node already holds. Under LoRA only the head is sent, and the base
     * is used as it is.
     */
    public SequenceClassifier build(NDManager parent, Map<MatrixId, Integer> ranks, String bits,
            Map<MatrixId, ScaledAdapter> adapters, Map<String, HostTensor> dense) {
        LoraConfig lora = ranks.isEmpty() ? null : new LoraConfig(ranks, alpha, 0f);
        TransformerWeights start = HfWeightNames.replace(weights, encoderTensors(dense));
        TransformerModel encoder = TransformerModel.create(parent, start, lora, BaseQuantization.factory(bits), seed);
        try {
            for (Map.Entry<MatrixId, ScaledAdapter> e : adapters.entrySet()) {
                LoraLinear layer = encoder.linear(e.getKey());
                // Re-expressed at the layer's own scale, so the layer applies exactly the update sent.
                ScaledAdapter a = e.getValue().withScale(layer.scale());
                layer.setAdapter(a.adapter().a(), a.adapter().b());
            }
            HostTensor w = dense.get(HEAD_WEIGHT);
            HostTensor b = dense.get(HEAD_BIAS);
            if (w == null || b == null) {
                throw new IllegalArgumentException("the head (" + HEAD_WEIGHT + ", " + HEAD_BIAS + ") was not sent");
            }
            return new SequenceClassifier(encoder, w, b);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /** The entries of {@code dense} that are not the head: encoder weights by Hugging Face name. */
    public static Map<String, HostTensor> encoderTensors(Map<String, HostTensor> dense) {
        Map<String, HostTensor> out = new TreeMap<>(dense);
        out.remove(HEAD_WEIGHT);
        out.remove(HEAD_BIAS);
        return out;
    }

    /**
     * Accuracy and macro-F1 of the global model on {@code data}: the global adapters (each at its
     * own rank) are merged into an unquantized base, as the finished model is, and the global head
     * is applied. Under full fine-tuning the global dense weights replace the base's (see
     * {@link #build}) and there are no adapters to merge.
     */
    public ClassificationMetrics evaluate(NDManager parent, GlobalModel global, ClassificationDataset data) {
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        global.adapters().forEach((id, a) -> ranks.put(id, a.rank()));
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier classifier = build(scope, ranks, "fp32", global.adapters(), global.dense())) {
            classifier.encoder().mergeAdapters();
            return ClassifierFineTuning.evaluate(classifier, tokenizer, data, scope);
        }
    }
}
