package dev.loopflux.core.net;

import java.time.Duration;

/** Nothing was written for {@link TcpOptions#writeIdleTimeout()}; the connection was closed. */
public final class WriteIdleTimeoutException extends IdleTimeoutException {
    private static final long serialVersionUID = 1L;

    public WriteIdleTimeoutException(String message, Duration timeout) {
        super(message, timeout);
    }
}
