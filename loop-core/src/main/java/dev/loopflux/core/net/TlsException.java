package dev.loopflux.core.net;

import java.io.IOException;

/**
 * TLS failed on a connection: the message names the peer and what went wrong; the cause is the
 * {@link javax.net.ssl.SSLException} the engine threw, when there is one. The connection is
 * closed.
 */
public class TlsException extends IOException {
    private static final long serialVersionUID = 1L;

    public TlsException(String message, Throwable cause) {
        super(message, cause);
    }
}
