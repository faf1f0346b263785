package dev.loopflux.core.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/** How addresses read in messages, and how IO errors become exceptions that name the peer. */
public final class Peers {
    private Peers() {
    }

    /**
     * An address as error messages name it: {@code 127.0.0.1:8080},
     * {@code [0:0:0:0:0:0:0:1]:8080} (the JDK's text of {@code ::1}), {@code unix:/run/app.sock}
     * (no host-name lookup). Thread-safe.
     */
    public static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        if (address instanceof UnixDomainSocketAddress unix) {
            return "unix:" + unix.getPath();
        }
        return String.valueOf(address);
    }

    /**
     * What a failed read or write means for the user: a reset (RST, broken pipe) becomes a
     * {@link ConnectionResetException}; anything else an {@link IOException} that says what
     * failed and with whom. The original is the cause.
     */
    static IOException translate(IOException error, String operation, String peer) {
        String message = String.valueOf(error.getMessage());
        if (message.contains("reset") || message.contains("Broken pipe")) {
            return new ConnectionResetException("connection reset by " + peer + " (" + message + ")", error);
        }
        return new IOException(operation + " " + peer + " failed: " + message, error);
    }
}
