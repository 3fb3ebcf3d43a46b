package io.fedpipe.cluster.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.fedpipe.cluster.DataPlaneFixtures;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.FinishJob;
import io.fedpipe.cluster.protocol.JobProtocol.JobPrepared;
import io.fedpipe.cluster.protocol.JobProtocol.JobRefused;
import io.fedpipe.cluster.protocol.JobProtocol.PrepareJob;
import io.fedpipe.cluster.protocol.JobProtocol.SchedulerEvent;
import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundDeclined;
import io.fedpipe.cluster.protocol.RoundProtocol.TrainerReply;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The trainer without a cluster: probes play the scheduler and the aggregator partition; the job
 * is MiniLM-L6 on a private eight-line task in the node's data directory, one step of batch 2.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainerTest {

    private static final String NODE = "edge-t";
    private static final String TASK = "tiny-topics";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @JUnit5TestKit
    ActorTestKit testKit = DataPlaneFixtures.localTestKit("trainer-test");

    private final Path dataDir = dataDir();
    private final TestProbe<SchedulerEvent> scheduler = testKit.createTestProbe();
    private final TestProbe<TrainerReply> partition = testKit.createTestProbe();
    private final ActorRef<TrainerCommand> trainer = testKit.spawn(Trainer.create(new NodeProfile(NODE,
            EnumSet.of(NodeRole.EDGE), 2L << 30, 1000, 1000, 1.0, 1), dataDir, Device.cpu()), "trainer");

    private static Path dataDir() {
        try {
            Path dir = Files.createTempDirectory("trainer-test");
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                lines.add(i % 2 == 0 ? "{\"text\": \"the cat sat on the mat " + i + "\", \"label\": \"animals\"}"
                        : "{\"text\": \"stocks fell on the market " + i + "\", \"label\": \"finance\"}");
            }
            Files.createDirectories(dir.resolve(TASK));
            Files.write(dir.resolve(TASK).resolve("train.jsonl"), lines);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void prepare(JobSpec job) {
        trainer.tell(new PrepareJob(job, 0, 1, List.of(), "fp32", 2, scheduler.ref()));
    }

    private RoundAssignment assignment(String jobId, int round, String node) {
        NodeRoundPlan plan = new NodeRoundPlan(node, Map.of(new MatrixId(0, LoraTarget.Q), 2), 1, 2, "fp32");
        return new RoundAssignment(jobId, 0, new NodeAssignment(round, plan, Map.of(), Map.of()), partition.ref());
    }

    @Test
    void aJobForMissingDataIsRefusedWithItsReasonAndTheTrainerLivesOn() {
        prepare(DataPlaneFixtures.job("t-missing", "no-such-task", 1, 1.0, 60_000));
        JobRefused refused = scheduler.expectMessageClass(JobRefused.class, WAIT);
        assertEquals("t-missing", refused.jobId());
        assertEquals(NODE, refused.nodeId());
        assertTrue(refused.reason().startsWith("node " + NODE + " has no data for task 'no-such-task'"),
                refused.reason());

        trainer.tell(assignment("t-missing", 1, NODE));
        RoundDeclined declined = partition.expectMessageClass(RoundDeclined.class, WAIT);
        assertEquals("job t-missing is not prepared on node " + NODE, declined.failure().reason());
    }

    @Test
    void anAssignmentForAnUnknownJobOrAnotherNodeIsDeclined() {
        trainer.tell(assignment("t-unknown", 3, NODE));
        RoundDeclined declined = partition.expectMessageClass(RoundDeclined.class, WAIT);
        assertEquals(3, declined.round());
        assertEquals(NODE, declined.failure().nodeId());
        assertEquals("job t-unknown is not prepared on node " + NODE, declined.failure().reason());
    }

    @Test
    void aReissuedAssignmentOfATrainedRoundIsAnsweredFromTheCache() {
        JobSpec job = DataPlaneFixtures.job("t-cache", TASK, 1, 1.0, 60_000);
        prepare(job);
        assertEquals(8, scheduler.expectMessageClass(JobPrepared.class, WAIT).trainExamples());

        trainer.tell(assignment("t-cache", 1, "someone-else"));
        assertEquals("the slice is for node someone-else, this is node " + NODE,
                partition.expectMessageClass(RoundDeclined.class, WAIT).failure().reason());

        RoundAssignment a = assignment("t-cache", 1, NODE);
        trainer.tell(a);
        DeltaUpload first = partition.expectMessageClass(DeltaUpload.class, WAIT);
        assertEquals(1, first.round());
        assertEquals(NODE, first.update().nodeId());
        assertTrue(first.update().adapters().containsKey(new MatrixId(0, LoraTarget.Q)));

        trainer.tell(a);
        DeltaUpload again = partition.expectMessageClass(DeltaUpload.class, Duration.ofSeconds(5));
        assertSame(first.update(), again.update(), "the cached update, not a new training");
        assertEquals(first.trainMillis(), again.trainMillis(), "the first upload's train time is reported again");
        assertEquals(first.computeSeconds(), again.computeSeconds());
        trainer.tell(new FinishJob("t-cache", "test over"));
    }
}
