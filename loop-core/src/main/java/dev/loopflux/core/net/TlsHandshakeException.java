package dev.loopflux.core.net;

/**
 * The TLS handshake failed: plain text where a TLS record was expected, a certificate not
 * trusted, expired or for another host, no protocol or cipher suite in common, a peer that closed
 * during the handshake. The cause is the engine's {@link javax.net.ssl.SSLException}, when there is one.
 */
public class TlsHandshakeException extends TlsException {
    private static final long serialVersionUID = 1L;

    public TlsHandshakeException(String message, Throwable cause) {
        super(message, cause);
    }
}
