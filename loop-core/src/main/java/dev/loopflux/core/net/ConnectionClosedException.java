package dev.loopflux.core.net;

import java.io.IOException;

/**
 * An operation needed the connection open, and it was closed (locally or by an earlier error). Names the peer.
 *
 * <p>A close that is part of a connection's normal life (closed locally, both sides shut down,
 * the inbound cancelled, the peer's TLS close_notify) carries no stack trace: it would show the
 * loop's task runner, not who closed, and making one on every close is most of what a close costs.
 */
public sealed class ConnectionClosedException extends IOException permits ConnectionClosedException.Routine {
    private static final long serialVersionUID = 1L;

    public ConnectionClosedException(String message) {
        super(message);
    }

    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The cause given to a connection's pending operations when it ends in the normal way. */
    static ConnectionClosedException routine(String message) {
        return new Routine(message);
    }

    /** Without a stack trace (Netty's {@code StacklessClosedChannelException} is the same idea). */
    static final class Routine extends ConnectionClosedException {
        private static final long serialVersionUID = 1L;

        Routine(String message) {
            super(message);
        }

        @Override
        public Throwable fillInStackTrace() {
            return this;
        }

        /** Named as the public type it is to its catchers, not as this nested class. */
        @Override
        public String toString() {
            return ConnectionClosedException.class.getName() + ": " + getLocalizedMessage();
        }
    }
}
