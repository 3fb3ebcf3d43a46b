package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.pretrain.PretrainCorpus;
import io.fedpipe.pretrain.PretrainedBase;
import io.fedpipe.pretrain.Pretrainer;
import io.fedpipe.pretrain.TokenStream;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.tokenize.Gpt2TokenizerBuilder;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedpipe pretrain}: trains FedPipe's small base decoder from scratch, resumably. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pre-train a small Llama-architecture decoder from scratch on registry-served English text "
                + "(resumes from OUT/checkpoint when it exists; see docs/pretraining.md).")
final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--corpus", description = "Directory with gcide.dict.dz and .txt files (scripts/fetch-corpora.sh "
            + "fills one); WordNet glosses come from the classpath.")
    Path corpus;

    @Option(names = "--out", defaultValue = "out/pretrain", description = "Run directory. Default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--merges", defaultValue = "7935", description = "GPT-2 BPE merges kept (vocabulary 256 + merges + 1). Default: ${DEFAULT-VALUE}")
    int merges;

    @Option(names = "--hidden", defaultValue = "256", description = "Model width. Default: ${DEFAULT-VALUE}")
    int hidden;

    @Option(names = "--layers", defaultValue = "6", description = "Blocks. Default: ${DEFAULT-VALUE}")
    int layers;

    @Option(names = "--heads", defaultValue = "8", description = "Query heads. Default: ${DEFAULT-VALUE}")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "4", description = "Key/value heads (grouped-query attention). Default: ${DEFAULT-VALUE}")
    int kvHeads;

    @Option(names = "--intermediate", defaultValue = "688", description = "SwiGLU inner width. Default: ${DEFAULT-VALUE}")
    int intermediate;

    @Option(names = "--context", defaultValue = "512", description = "max_position_embeddings. Default: ${DEFAULT-VALUE}")
    int context;

    @Option(names = "--seq", defaultValue = "128", description = "Tokens per training window. Default: ${DEFAULT-VALUE}")
    int seq;

    @Option(names = "--batch", defaultValue = "16", description = "Windows per step. Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--steps", defaultValue = "3000", description = "Steps of the whole run. Default: ${DEFAULT-VALUE}")
    int steps;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate. Default: ${DEFAULT-VALUE}")
    float lr;

    @Option(names = "--warmup", defaultValue = "100", description = "Warm-up steps. Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW weight decay. Default: ${DEFAULT-VALUE}")
    float weightDecay;

    @Option(names = "--seed", defaultValue = "7", description = "Seed. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--minutes", defaultValue = "0", description = "Stop (with a checkpoint) after this long; 0 = run to the end.")
    double minutes;

    @Option(names = "--checkpoint-minutes", defaultValue = "5", description = "Checkpoint interval. Default: ${DEFAULT-VALUE}")
    double checkpointMinutes;

    @Option(names = "--eval-every", defaultValue = "100", description = "Held-out loss every N steps. Default: ${DEFAULT-VALUE}")
    int evalEvery;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads (0 = all cores).")
    int threads;

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.out;
        EngineSetup.start(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
        Files.createDirectories(out);
        byte[] tokenizerJson = Gpt2TokenizerBuilder.truncatedTokenizerJson(merges);
        int endOfText = 256 + merges;
        TransformerConfig config = TransformerConfig.llama(endOfText + 1, hidden, layers, heads, kvHeads, intermediate,
                context, 1e-5, 10000, null, true, false);
        Path tokensFile = out.resolve("tokens.bin");
        TokenStream stream;
        if (Files.isRegularFile(tokensFile)) {
            stream = TokenStream.read(tokensFile);
            if (stream.endOfText() != endOfText) {
                throw new IllegalArgumentException(tokensFile + " was tokenized with another vocabulary; use another --out");
            }
        } else {
            List<PretrainCorpus.Document> docs = PretrainCorpus.read(corpus);
            TokenStream.sourceCounts(docs).forEach(l -> log.println("corpus " + l));
            try (TextTokenizer tokenizer = TextTokenizer.fromJson(tokenizerJson, "fedpipe-bpe-" + merges, 1 << 20,
                    TextTokenizer.Overflow.REJECT)) {
                stream = TokenStream.build(docs, tokenizer, endOfText, 0.01, seed);
            }
            stream.write(tokensFile);
            Files.write(out.resolve("corpus-sources.txt"), TokenStream.sourceCounts(docs));
        }
        log.printf("tokens: %,d training, %,d held out; model %,d parameters%n", stream.train().length,
                stream.heldOut().length, io.fedpipe.model.TransformerWeights.random(config, 0).parameterCount());
        Pretrainer.Settings settings = new Pretrainer.Settings(seq, batch, steps, lr, warmup, weightDecay, seed,
                checkpointMinutes, evalEvery, 256, 20, minutes);
        Pretrainer trainer = new Pretrainer(config, settings, stream, out, log);
        Pretrainer.Progress p;
        try (NDManager manager = NDManager.newBaseManager()) {
            p = trainer.run(manager);
        }
        ObjectNode card = PretrainedBase.export(trainer.checkpointDir(), out.resolve("model"), tokenizerJson, endOfText);
        log.printf("step %d/%d, %,d tokens seen, held-out loss %.4f (perplexity %.1f); model (%s, F16) in %s%n",
                p.step(), steps, p.tokensSeen(), p.heldOutLoss(), Math.exp(p.heldOutLoss()),
                card.path("architectures").path(0).asText(), out.resolve("model"));
        return 0;
    }
}
