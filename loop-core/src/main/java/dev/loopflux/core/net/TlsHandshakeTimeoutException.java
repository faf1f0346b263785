package dev.loopflux.core.net;

import java.time.Duration;

/** The TLS handshake was not done within {@link TlsOptions#handshakeTimeout()}; the connection is closed. */
public final class TlsHandshakeTimeoutException extends TlsHandshakeException {
    private static final long serialVersionUID = 1L;
    private final transient Duration timeout;

    public TlsHandshakeTimeoutException(String message, Duration timeout) {
        super(message, null);
        this.timeout = timeout;
    }

    /** The timeout that passed. */
    public Duration timeout() {
        return timeout;
    }
}
