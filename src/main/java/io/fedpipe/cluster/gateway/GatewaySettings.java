package io.fedpipe.cluster.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** The {@code fedpipe.gateway} settings. @param askTimeout how long to wait for the scheduler's answer */
public record GatewaySettings(Duration askTimeout) {

    public static GatewaySettings fromConfig(Config c) {
        try {
            Duration d = c.getDuration("fedpipe.gateway.ask-timeout");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("fedpipe.gateway.ask-timeout must be positive, got " + d);
            }
            return new GatewaySettings(d);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("fedpipe.gateway.ask-timeout: " + e.getMessage(), e);
        }
    }
}
