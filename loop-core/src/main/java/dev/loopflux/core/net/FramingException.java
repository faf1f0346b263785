package dev.loopflux.core.net;

import java.io.IOException;

/**
 * A peer sent bytes that do not form valid frames: the stream is failed with this exception and
 * the upstream (the connection) is cancelled.
 *
 * <p>It is an {@link IOException}, and a checked one, on purpose: like a connection reset or an
 * idle timeout it is caused by what is on the other end of the wire, not by a bug in the program,
 * and code that handles network failures ({@code onErrorResume(IOException.class, ...)}) should
 * handle it too. Reactive Streams delivers it through {@code onError}, so being checked costs the
 * subscriber nothing.
 *
 * <p>Only this package creates framing exceptions; the message always names the peer.
 */
public abstract class FramingException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Who sent the bad bytes, as given to the {@link Framing} factory. */
    private final String peer;

    FramingException(String message, String peer) {
        super(message);
        this.peer = peer;
    }

    /** The peer that sent the bad bytes, as given to the {@link Framing} factory (e.g. {@code "127.0.0.1:5555"}). */
    public String peer() {
        return peer;
    }
}
