package io.fedpipe.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.SafetensorsFile;
import io.fedpipe.train.AdamW;
import io.fedpipe.train.Backprop;
import io.fedpipe.train.CausalLmObjective;
import io.fedpipe.train.LrSchedule;
import io.fedpipe.train.TokenBatch;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains every weight of a decoder from scratch on a {@link TokenStream}: random windows of
 * {@code seq + 1} tokens, next-token cross-entropy, AdamW with linear warm-up and decay, the
 * held-out loss every {@code evalEvery} steps.
 *
 * <p>Resumable: every {@code checkpointMinutes} the weights, the optimizer's moments and the step
 * go to {@code out/checkpoint/} (written to a temporary directory, then renamed, so a kill leaves
 * the previous checkpoint intact). A batch depends only on the seed and the step number, so a
 * resumed run trains on exactly the batches an uninterrupted one would have.
 */
public final class Pretrainer {

    /**
     * @param steps             optimizer steps of the whole run (fixes the learning-rate schedule)
     * @param maxMinutes        stop this invocation after this long (a checkpoint is written); 0 = no limit
     */
    public record Settings(int seq, int batch, int steps, float lr, int warmup, float weightDecay, long seed,
                           double checkpointMinutes, int evalEvery, int evalWindows, int logEvery, double maxMinutes) {
        public Settings {
            if (seq < 2 || batch < 1 || steps < 1 || evalWindows < 1 || logEvery < 1 || evalEvery < 1) {
                throw new IllegalArgumentException("seq >= 2, batch, steps, eval windows and intervals >= 1 needed");
            }
        }
    }

    /** Where a run stands; written with every checkpoint and log line. */
    public record Progress(int step, long tokensSeen, double trainLoss, double heldOutLoss, double seconds) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TransformerConfig config;
    private final Settings settings;
    private final TokenStream stream;
    private final Path out;
    private final PrintStream log;

    public Pretrainer(TransformerConfig config, Settings settings, TokenStream stream, Path out, PrintStream log) {
        if (!config.causal()) {
            throw new IllegalArgumentException("pre-training needs a decoder (gpt2 or llama), got " + config.family());
        }
        if (stream.vocabulary() > config.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + stream.vocabulary() + " tokens, the model "
                    + config.vocabSize());
        }
        if (stream.train().length <= settings.seq() + 1 || stream.heldOut().length <= settings.seq() + 1) {
            throw new IllegalArgumentException("the corpus is shorter than one window of " + (settings.seq() + 1)
                    + " tokens");
        }
        if (settings.seq() > config.maxPositions()) {
            throw new IllegalArgumentException("--seq " + settings.seq() + " exceeds the model's " + config.maxPositions()
                    + " positions");
        }
        this.config = config;
        this.settings = settings;
        this.stream = stream;
        this.out = out;
        this.log = log;
    }

    public Path checkpointDir() {
        return out.resolve("checkpoint");
    }

    /** Runs (or resumes) until the last step or the time limit; returns the final progress. */
    public Progress run(NDManager root) throws IOException {
        Path ckpt = checkpointDir();
        boolean resume = Files.isRegularFile(ckpt.resolve("state.json"));
        TransformerWeights initial = resume ? loadWeights(ckpt) : TransformerWeights.random(config, settings.seed());
        LrSchedule schedule = new LrSchedule(settings.lr(), settings.warmup(), settings.steps());
        long started = System.nanoTime();
        try (NDManager m = root.newSubManager();
                TransformerModel model = TransformerModel.create(m, initial, null, FrozenWeightFactory.dense(),
                        settings.seed())) {
            List<NDArray> params = model.unfreezeAll();
            AdamW opt = new AdamW(params, 0.9f, 0.95f, 1e-8f, settings.weightDecay(), 1.0f);
            int step = 0;
            long tokens = 0;
            double secondsBefore = 0;
            if (resume) {
                ObjectNode state = (ObjectNode) JSON.readTree(ckpt.resolve("state.json").toFile());
                step = state.get("step").asInt();
                tokens = state.get("tokens_seen").asLong();
                secondsBefore = state.get("seconds").asDouble();
                Map<String, HostTensor> moments = SafetensorsFile.read(ckpt.resolve("optimizer.safetensors"));
                List<float[]> first = new ArrayList<>();
                List<float[]> second = new ArrayList<>();
                for (int i = 0; i < params.size(); i++) {
                    first.add(require(moments, "m." + i).data());
                    second.add(require(moments, "v." + i).data());
                }
                opt.restore(step, first, second);
                log.printf("resumed at step %d of %d (%d tokens seen)%n", step, settings.steps(), tokens);
            }
            CausalLm lm = new CausalLm(model);
            CausalLmObjective objective = new CausalLmObjective(lm, false);
            long lastCheckpoint = System.nanoTime();
            double windowLoss = 0;
            int windowSteps = 0;
            long windowStart = System.nanoTime();
            double heldOut = Double.NaN;
            double lastTrain = Double.NaN;
            while (step < settings.steps()) {
                float loss;
                try (NDManager scope = m.newSubManager()) {
                    TokenBatch batch = batch(scope, step);
                    loss = Backprop.whole(objective, batch, settings.seed() + step);
                    opt.step(scope, schedule.at(step));
                }
                if (!Float.isFinite(loss)) {
                    throw new IllegalStateException("training loss is " + loss + " at step " + step
                            + "; lower --lr (the last checkpoint is intact)");
                }
                step++;
                tokens += (long) settings.batch() * settings.seq();
                windowLoss += loss;
                windowSteps++;
                boolean last = step == settings.steps();
                double seconds = secondsBefore + (System.nanoTime() - started) / 1e9;
                boolean outOfTime = settings.maxMinutes() > 0 && (System.nanoTime() - started) / 60e9 >= settings.maxMinutes();
                if (step % settings.evalEvery() == 0 || last || outOfTime) {
                    heldOut = heldOutLoss(model, lm);
                }
                if (step % settings.logEvery() == 0 || last || outOfTime) {
                    double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
                    double tps = windowSteps * (double) settings.batch() * settings.seq() / windowSeconds;
                    lastTrain = windowLoss / windowSteps;
                    double eta = (settings.steps() - step) * windowSeconds / windowSteps;
                    log.printf("step %d/%d  loss %.4f  held-out %.4f (ppl %.1f)  lr %.2e  %.0f tokens/s  ETA %.0f min%n",
                            step, settings.steps(), lastTrain, heldOut, Math.exp(heldOut), schedule.at(step - 1), tps,
                            eta / 60);
                    appendLog(new Progress(step, tokens, lastTrain, heldOut, seconds), schedule.at(step - 1), tps);
                    windowLoss = 0;
                    windowSteps = 0;
                    windowStart = System.nanoTime();
                }
                boolean due = (System.nanoTime() - lastCheckpoint) / 60e9 >= settings.checkpointMinutes();
                if (due || last || outOfTime) {
                    checkpoint(model, opt, new Progress(step, tokens, lastTrain, heldOut, seconds));
                    lastCheckpoint = System.nanoTime();
                }
                if (outOfTime && !last) {
                    log.printf("time limit reached at step %d; run again with the same options to resume%n", step);
                    break;
                }
            }
            return new Progress(step, tokens, lastTrain, heldOut, secondsBefore + (System.nanoTime() - started) / 1e9);
        }
    }

    /** Batch of step {@code step}: {@code batch} windows at offsets drawn from (seed, step) alone. */
    TokenBatch batch(NDManager scope, int step) {
        SeededRandom r = SeededRandom.forPurpose(settings.seed() + step * 0x9E3779B97F4A7C15L, "pretrain-batch");
        int[] train = stream.train();
        int window = settings.seq() + 1;
        long[] ids = new long[settings.batch() * window];
        for (int b = 0; b < settings.batch(); b++) {
            int offset = r.nextInt(train.length - window);
            for (int j = 0; j < window; j++) {
                ids[b * window + j] = train[offset + j];
            }
        }
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1L);
        Shape shape = new Shape(settings.batch(), window);
        return new TokenBatch(scope.create(ids, shape), scope.create(mask, shape), null, ids.length);
    }

    /** Mean next-token loss on fixed held-out windows (evenly spaced, the same every time). */
    double heldOutLoss(TransformerModel model, CausalLm lm) {
        int[] val = stream.heldOut();
        int window = settings.seq() + 1;
        int n = settings.evalWindows();
        long stride = Math.max(1, (val.length - window) / n);
        double sum = 0;
        int done = 0;
        for (int start = 0; start < n; start += settings.batch()) {
            int count = Math.min(settings.batch(), n - start);
            long[] ids = new long[count * window];
            for (int b = 0; b < count; b++) {
                int offset = (int) Math.min((long) (start + b) * stride, val.length - window);
                for (int j = 0; j < window; j++) {
                    ids[b * window + j] = val[offset + j];
                }
            }
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray input = scope.create(ids, new Shape(count, window));
                NDArray logits = lm.logits(input, null, false);
                sum += CausalLm.loss(logits, input, null).getFloat() * count;
                done += count;
            }
        }
        return sum / done;
    }

    private void checkpoint(TransformerModel model, AdamW opt, Progress p) throws IOException {
        Path dir = checkpointDir();
        Path tmp = out.resolve("checkpoint.tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        SafetensorsFile.write(tmp.resolve("model.safetensors"), HfWeightNames.toHf(model.toHostWeights()),
                Map.of("format", "pt"));
        Files.writeString(tmp.resolve("config.json"), HfConfigs.toJson(config).toPrettyString());
        Map<String, HostTensor> moments = new LinkedHashMap<>();
        List<NDArray> first = opt.firstMoments();
        List<NDArray> second = opt.secondMoments();
        for (int i = 0; i < first.size(); i++) {
            moments.put("m." + i, new HostTensor(first.get(i).getShape().getShape(), first.get(i).toFloatArray()));
            moments.put("v." + i, new HostTensor(second.get(i).getShape().getShape(), second.get(i).toFloatArray()));
        }
        SafetensorsFile.write(tmp.resolve("optimizer.safetensors"), moments, Map.of());
        ObjectNode state = JSON.createObjectNode();
        state.put("step", p.step());
        state.put("tokens_seen", p.tokensSeen());
        state.put("seconds", p.seconds());
        state.put("train_loss", p.trainLoss());
        state.put("held_out_loss", p.heldOutLoss());
        state.put("total_steps", settings.steps());
        state.put("seed", settings.seed());
        Files.writeString(tmp.resolve("state.json"), state.toPrettyString());
        Path old = out.resolve("checkpoint.old");
        deleteTree(old);
        if (Files.exists(dir)) {
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        log.printf("checkpoint at step %d -> %s%n", p.step(), dir);
    }

    private void appendLog(Progress p, float lr, double tokensPerSecond) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("step", p.step());
        line.put("tokens_seen", p.tokensSeen());
        line.put("train_loss", p.trainLoss());
        line.put("held_out_loss", p.heldOutLoss());
        line.put("lr", lr);
        line.put("tokens_per_s", Math.round(tokensPerSecond));
        line.put("seconds", Math.round(p.seconds()));
        Files.writeString(out.resolve("pretrain-log.jsonl"), line + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private TransformerWeights loadWeights(Path ckpt) throws IOException {
        TransformerConfig saved = HfConfigs.fromJson(JSON.readTree(ckpt.resolve("config.json").toFile()),
                ckpt.resolve("config.json").toString());
        if (!saved.equals(config)) {
            throw new IllegalArgumentException("the checkpoint in " + ckpt + " is of another model (" + saved
                    + "); use another --out or the same model options");
        }
        return HfWeightNames.fromHf(config, SafetensorsFile.read(ckpt.resolve("model.safetensors")));
    }

    private static HostTensor require(Map<String, HostTensor> tensors, String name) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("optimizer checkpoint lacks " + name);
        }
        return t;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
