package io.fedpipe.cluster.scheduler;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.fedpipe.planning.DevicePreset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code fedpipe.scheduler} settings, read once and validated (one line per problem).
 *
 * @param persistenceId  the singleton's journal id (one per cluster; tests make it unique)
 * @param snapshotEvery  write a snapshot after this many events (recovery replays at most that many)
 * @param prepareTimeout a job's rounds start without the nodes that have not prepared it by then
 * @param recoveryGrace  after a restart, how long to wait for the current round's trainers to
 *                       register again before re-issuing the round without the missing ones
 * @param device         the device preset the planner scales by each node's compute scale
 */
public record SchedulerSettings(String persistenceId, int snapshotEvery, Duration prepareTimeout,
        Duration recoveryGrace, String device) {

    private static final String P = "fedpipe.scheduler.";

    public static SchedulerSettings fromConfig(Config c) {
        List<String> errors = new ArrayList<>();
        String id = "";
        int snapshots = 0;
        Duration prepare = Duration.ZERO;
        Duration grace = Duration.ZERO;
        String device = "";
        try {
            id = c.getString(P + "persistence-id");
            if (id.isBlank()) {
                errors.add(P + "persistence-id must not be empty");
            }
            snapshots = c.getInt(P + "snapshot-every");
            if (snapshots < 1) {
                errors.add(P + "snapshot-every must be >= 1, got " + snapshots);
            }
            prepare = c.getDuration(P + "prepare-timeout");
            grace = c.getDuration(P + "recovery-grace");
            if (prepare.isNegative() || prepare.isZero() || grace.isNegative()) {
                errors.add(P + "prepare-timeout must be positive and recovery-grace >= 0");
            }
            device = c.getString(P + "device");
            DevicePreset.preset(device);
        } catch (ConfigException | IllegalArgumentException e) {
            errors.add(P + ": " + e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", errors));
        }
        return new SchedulerSettings(id, snapshots, prepare, grace, device);
    }
}
