package dev.loopflux.core.net;

import java.time.Duration;

/** Nothing was read for {@link TcpOptions#readIdleTimeout()} while reading was wanted; the connection was closed. */
public final class ReadIdleTimeoutException extends IdleTimeoutException {
    private static final long serialVersionUID = 1L;

    public ReadIdleTimeoutException(String message, Duration timeout) {
        super(message, timeout);
    }
}
