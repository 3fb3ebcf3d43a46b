package io.fedpipe.cluster.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.node.ControlPlane;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * The data plane as the control plane's tests see it: stand-in trainers (registered under
 * {@link ServiceKeys#TRAINER}, registering with the scheduler found under
 * {@link ServiceKeys#SCHEDULER}, answering PrepareJob with fixed importance scores) and a
 * stand-in aggregator entity that hands every message to a probe; plus a one-node cluster with
 * the control plane started through {@link ControlPlane#init}.
 */
public final class StandIns {

    /** The 4 matrices every stand-in scores highest: the importance selection of a 4-matrix budget. */
    public static final Set<MatrixId> TOP = Set.of(new MatrixId(0, LoraTarget.Q), new MatrixId(1, LoraTarget.V),
            new MatrixId(4, LoraTarget.K), new MatrixId(5, LoraTarget.O));

    private StandIns() {}

    public static String jobText(int rounds) {
        return String.join("\n", "model = minilm-l6", "task = wordnet-topics", "limit-train = 2000",
                "partition { kind = dirichlet, alpha = 0.5 }", "strategy = fedpipe", "rounds = " + rounds,
                "max-length = 32", "partitions = 2", "quorum = 0.75", "round-timeout = 60s",
                "importance { matrices = 4, probe-steps = 5 }",
                "planner { formats = \"fp32,int8,nf4\", batches = [8, 16], ranks = [4, 8, 16], min-steps = 5, max-steps = 40 }");
    }

    /** A one-node cluster's config: H2 journal under {@code dir} unless {@code journal} overrides it. */
    public static Config config(Path dir, String persistenceId, Config journal) {
        return journal.withFallback(NodeConfig.layered(ConfigFactory.parseString(String.join("\n",
                "fedpipe.node.data-dir = \"" + dir + "\"",
                "pekko.remote.artery.canonical.port = 0",
                "pekko.cluster.roles = [scheduler, gateway, aggregator, edge]",
                "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
                "pekko.loglevel = WARNING",
                "fedpipe.scheduler.persistence-id = \"" + persistenceId + "\"",
                "fedpipe.scheduler.recovery-grace = 5s",
                "fedpipe.scheduler.prepare-timeout = 20s"))));
    }

    /** Starts a cluster node with the control plane; {@code aggregator} receives what partitions get. */
    public static ActorTestKit node(Config config, boolean h2, TestProbe<JobProtocol.AggregatorCommand>[] aggregator)
            throws Exception {
        ActorTestKit kit = ActorTestKit.create("fedpipe", config);
        if (h2) {
            SchemaUtils.createIfNotExists(kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        Cluster cluster = Cluster.get(kit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        TestProbe<JobProtocol.AggregatorCommand> probe = kit.createTestProbe();
        aggregator[0] = probe;
        ClusterSharding.get(kit.system()).init(Entity.of(ServiceKeys.AGGREGATOR, ctx -> Behaviors.receiveMessage(m -> {
            probe.ref().tell(m);
            return Behaviors.same();
        })));
        ControlPlane.init(kit.system(), EnumSet.allOf(NodeRole.class));
        return kit;
    }

    public static NodeProfile profile(String id, double scale) {
        return new NodeProfile(id, EnumSet.of(NodeRole.EDGE), 2L << 30, 100, 50, scale, 1);
    }

    /** A trainer that prepares every job with {@code examples} examples and scores {@link #TOP} highest. */
    public static Behavior<Object> trainer(NodeProfile profile, int examples, ActorRef<Object> inbox) {
        return Behaviors.setup(ctx -> {
            ActorRef<JobProtocol.TrainerCommand> self = ctx.getSelf().narrow();
            ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.TRAINER, self));
            // Subscribing through a child: one reference must not both register and subscribe (the
            // cluster receptionist fails on it).
            ActorRef<Object> me = ctx.getSelf();
            ActorRef<Receptionist.Listing> listener = ctx.spawn(Behaviors.<Receptionist.Listing>receiveMessage(l -> {
                me.tell(l);
                return Behaviors.same();
            }), "scheduler-listener");
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(ServiceKeys.SCHEDULER, listener));
            return Behaviors.receiveMessage(m -> {
                if (m instanceof Receptionist.Listing l) {
                    for (ActorRef<NodeProtocol.Register> s : l.getServiceInstances(ServiceKeys.SCHEDULER)) {
                        s.tell(new NodeProtocol.Register(profile, ctx.getSelf().narrow(), self));
                    }
                } else if (m instanceof JobProtocol.PrepareJob p) {
                    Map<MatrixId, Double> scores = new TreeMap<>();
                    p.probeCandidates().forEach(id -> scores.put(id, TOP.contains(id) ? 5.0 : 0.1));
                    p.replyTo().tell(new JobProtocol.JobPrepared(p.job().jobId(), profile.nodeId(), examples, scores, 0.2));
                    inbox.tell(p);
                } else if (!(m instanceof NodeProtocol.Registered)) {
                    inbox.tell(m);
                }
                return Behaviors.same();
            });
        });
    }

    /** The partition's answer: every planned node trained ({@code seconds} each) with loss {@code loss}. */
    public static JobProtocol.RoundClosed closed(JobProtocol.OpenRound o, double seconds, double loss) {
        List<JobProtocol.NodeRoundStats> stats = o.plans().stream().map(p -> new JobProtocol.NodeRoundStats(p.nodeId(),
                4000, 1000, seconds, loss, seconds * 1000)).toList();
        return new JobProtocol.RoundClosed(o.job().jobId(), o.partition(), o.round(), stats, List.of(), List.of(),
                System.currentTimeMillis());
    }

    public static final Duration WAIT = Duration.ofSeconds(30);
}
