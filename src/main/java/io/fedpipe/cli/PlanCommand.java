package io.fedpipe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.planning.ClusterFile;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.NodeSpec;
import io.fedpipe.planning.Plan;
import io.fedpipe.planning.Planner;
import io.fedpipe.planning.PlanningPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpipe plan}: a per-node plan for a cluster "on paper", without loading any weights. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Plan bits, batch, ranks and local steps per node for a cluster (no weights are loaded).")
final class PlanCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "minilm-l6",
            description = "A preset (minilm-l6, gpt2-small, gpt2-medium, llama-2-7b) or a Hugging Face model directory. Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--cluster", description = "Cluster file (HOCON list of nodes), e.g. cluster-configs/plans/mixed-gpus.conf.")
    Path cluster;

    @Option(names = "--synthetic-nodes", description = "Plan a generated cluster of this many nodes instead (for timing).")
    Integer syntheticNodes;

    @Option(names = "--seq", defaultValue = "128", description = "Tokens per training example. Default: ${DEFAULT-VALUE}")
    int seq;

    @Option(names = "--targets", defaultValue = "q,k,v,o", description = "Adapted matrices in every layer. Default: ${DEFAULT-VALUE}")
    String targets;

    @Option(names = "--on-no-fit", defaultValue = "fail",
            description = "A node for which nothing fits: fail (name it and the shortfall) or exclude (plan without it). Default: ${DEFAULT-VALUE}")
    String onNoFit;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws IOException {
        ModelShape shape = shape(model);
        PlanningPolicy policy = PlanningPolicy.defaults(seq).withTargets(LoraTarget.parseList(targets))
                .withNoFit(noFit(onNoFit));
        List<NodeSpec> nodes = nodes();
        Plan plan = Planner.plan(shape, nodes, policy);
        PrintWriter out = command.commandLine().getOut();
        out.print(json ? plan.toJson() + System.lineSeparator() : plan.table());
        out.flush();
        return 0;
    }

    private List<NodeSpec> nodes() throws IOException {
        if ((cluster == null) == (syntheticNodes == null)) {
            throw new IllegalArgumentException("give exactly one of --cluster FILE or --synthetic-nodes N");
        }
        if (syntheticNodes != null) {
            if (syntheticNodes <= 0) {
                throw new IllegalArgumentException("--synthetic-nodes must be positive: " + syntheticNodes);
            }
            return ClusterFile.synthetic(syntheticNodes, 42);
        }
        return ClusterFile.read(cluster);
    }

    private static PlanningPolicy.NoFit noFit(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "fail" -> PlanningPolicy.NoFit.FAIL;
            case "exclude" -> PlanningPolicy.NoFit.EXCLUDE;
            default -> throw new IllegalArgumentException("--on-no-fit must be fail or exclude: '" + text + "'");
        };
    }

    /** A preset name, or a directory whose config.json gives the shape (only the config is read). */
    private static ModelShape shape(String model) throws IOException {
        Path dir = Path.of(model);
        if (Files.isDirectory(dir)) {
            Path config = dir.resolve("config.json");
            var json = new ObjectMapper().readTree(Files.readAllBytes(config));
            return ModelShape.of(dir.getFileName().toString(), HfConfigs.fromJson(json, config.toString()));
        }
        return ModelShape.preset(model);
    }
}
