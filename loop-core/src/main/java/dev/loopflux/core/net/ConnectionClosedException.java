package dev.loopflux.core.net;

import java.io.IOException;

/** An operation needed the connection open, and it was closed (locally or by an earlier error). Names the peer. */
public final class ConnectionClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    public ConnectionClosedException(String message) {
        super(message);
    }

    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
