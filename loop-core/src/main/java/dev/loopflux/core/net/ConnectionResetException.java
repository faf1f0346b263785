package dev.loopflux.core.net;

import java.net.SocketException;

/** The peer reset the connection (RST), or the pipe broke under a write. Names the peer. */
public final class ConnectionResetException extends SocketException {
    private static final long serialVersionUID = 1L;

    public ConnectionResetException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
