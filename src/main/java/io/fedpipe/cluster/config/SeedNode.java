package io.fedpipe.cluster.config;

import org.apache.pekko.actor.Address;

/** A node to join, as {@code host:port} of its Artery endpoint. */
public record SeedNode(String host, int port) {

    public SeedNode {
        if (host == null || host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("seed node must be host:port with port 1..65535: " + host + ":" + port);
        }
    }

    /** Parses {@code host:port}; the host may be a name, an IPv4 address or a bracketed IPv6 address. */
    public static SeedNode parse(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + s + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not host:port (port is not a number)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + s + "': port must be 1..65535");
        }
        return new SeedNode(host, port);
    }

    public Address address(String clusterName) {
        return new Address("pekko", clusterName, host, port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
