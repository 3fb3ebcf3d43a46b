package io.fedpipe.planning;

/**
 * One edge server as the planner sees it.
 *
 * @param name          unique node name
 * @param device        its device kind
 * @param memoryBytes   memory budget for training (the device's memory unless overridden)
 * @param computeScale  share of the device's speed this node really gets (DESIGN §5: 0.25 takes 4× as long)
 * @param uplinkMbps    upload speed, Mbit/s
 * @param downlinkMbps  download speed, Mbit/s
 * @param dataSize      local training examples; weights the node's work in the objective
 */
public record NodeSpec(String name, DevicePreset device, long memoryBytes, double computeScale,
                       double uplinkMbps, double downlinkMbps, long dataSize) {

    public NodeSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("node name is missing");
        }
        if (device == null) {
            throw new IllegalArgumentException("node '" + name + "': device is missing");
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("node '" + name + "': memory must be positive: " + memoryBytes + " bytes");
        }
        if (!(computeScale > 0) || !Double.isFinite(computeScale)) {
            throw new IllegalArgumentException("node '" + name + "': compute-scale must be positive: " + computeScale);
        }
        if (!(uplinkMbps > 0) || !(downlinkMbps > 0)) {
            throw new IllegalArgumentException("node '" + name + "': link speeds must be positive: up "
                    + uplinkMbps + ", down " + downlinkMbps + " Mbit/s");
        }
        if (dataSize < 0) {
            throw new IllegalArgumentException("node '" + name + "': data-size must be >= 0: " + dataSize);
        }
    }

    /** Bytes the planner may fill: the budget less the device's reserve. */
    public long usableBytes() {
        return (long) (memoryBytes * (1 - device.reserveFraction()));
    }

    /**
     * Nodes of one class get the same plan: for a fixed round time each node's choice depends
     * only on these fields, not on its name or data size (which only scales its objective weight).
     */
    record Profile(DevicePreset device, long memoryBytes, double computeScale, double uplinkMbps, double downlinkMbps) {}

    Profile profile() {
        return new Profile(device, memoryBytes, computeScale, uplinkMbps, downlinkMbps);
    }
}
