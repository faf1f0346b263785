package dev.loopflux.core.net;

import java.io.IOException;
import java.time.Duration;

/**
 * A connection was idle too long and was closed: nothing read nor written for
 * {@link TcpOptions#idleTimeout()}. The subclasses are the one-directional timeouts.
 */
public class IdleTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;
    private final Duration timeout;

    public IdleTimeoutException(String message, Duration timeout) {
        super(message);
        this.timeout = timeout;
    }

    /** The timeout that passed. */
    public Duration timeout() {
        return timeout;
    }
}
