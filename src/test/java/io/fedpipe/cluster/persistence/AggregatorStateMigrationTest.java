package io.fedpipe.cluster.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.cluster.aggregator.AggregatorState;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.round.GlobalModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An aggregator checkpoint goes through Jackson and back unchanged, and one written while the data
 * plane counted rounds from 0 (version 2) reads back with its last closed round renumbered as the
 * job's: the partition answers a re-issued round with the number the scheduler waits for.
 */
class AggregatorStateMigrationTest {

    @TempDir
    Path dir;

    @Test
    void aCheckpointOfVersion2NumbersItsLastClosedRoundAsTheJobDoes() throws Exception {
        ActorTestKit kit = ActorTestKit.create("checkpoint-json", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"")));
        try {
            Serialization serialization = SerializationExtension.get(kit.system());
            MatrixId q = new MatrixId(0, LoraTarget.Q);
            GlobalModel global = new GlobalModel(2, Map.of(q, new ScaledAdapter(WireSamples.adapter(7, 4, 24, 24),
                    4.0f)), Map.of(), Map.of("edge-a", Map.of(q, new ScaledAdapter(WireSamples.adapter(3, 4, 24, 24),
                    4.0f))));
            JobProtocol.RoundClosed summary = new JobProtocol.RoundClosed("job-1", 0, 2,
                    List.of(new JobProtocol.NodeRoundStats("edge-a", 1000, 2000, 1.5, 0.7, 1600)), List.of(),
                    List.of(new Failure("edge-b", "timed out")), 1_700_000_000_000L);
            AggregatorState state = AggregatorState.closed(WireSamples.job("job-1"), 0, global, summary);

            Serializer s = serialization.findSerializerFor(state);
            String manifest = Serializers.manifestFor(s, state);
            assertTrue(manifest.endsWith("#3"), manifest);
            byte[] bytes = serialization.serialize(state).get();
            assertEquals(state, serialization.deserialize(bytes, s.identifier(), manifest).get());

            // As version 2 wrote it: the same checkpoint, its last closed round counted from 0.
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode old = (ObjectNode) mapper.readTree(bytes);
            ((ObjectNode) old.get("lastClosed")).put("round", 1);
            String v2 = manifest.substring(0, manifest.length() - 1) + "2";
            AggregatorState back = (AggregatorState) serialization.deserialize(mapper.writeValueAsBytes(old),
                    s.identifier(), v2).get();
            assertEquals(state, back);
            assertEquals(back.roundsDone(), back.lastClosed().round(), "the summary is of round roundsDone");
        } finally {
            kit.shutdownTestKit();
        }
    }
}
