package dev.loopflux.core.net;

import java.net.ConnectException;

/** A connect did not finish within {@link TcpOptions#connectTimeout()}. Names the address. */
public final class ConnectTimeoutException extends ConnectException {
    private static final long serialVersionUID = 1L;

    public ConnectTimeoutException(String message) {
        super(message);
    }
}
