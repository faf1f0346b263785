package dev.loopflux.core.net;

import java.io.IOException;

/**
 * A datagram given to {@link UdpEndpoint#send} is larger than
 * {@link UdpOptions#maxDatagramSize()}. The send fails with it before the datagram reaches the
 * kernel; the endpoint stays open. The message names the size, the limit and the recipient:
 * {@code "datagram of 70000 bytes exceeds the limit of 65507 to 127.0.0.1:5555"}.
 */
public final class DatagramTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The datagram's payload length in bytes. */
    private final int size;
    /** The configured maximum payload length in bytes. */
    private final int limit;

    DatagramTooLargeException(int size, int limit, String recipient) {
        super("datagram of " + size + " bytes exceeds the limit of " + limit + " to " + recipient);
        this.size = size;
        this.limit = limit;
    }

    /** The offending datagram's payload length, in bytes. */
    public int size() {
        return size;
    }

    /** The configured maximum payload length ({@link UdpOptions#maxDatagramSize()}), in bytes. */
    public int limit() {
        return limit;
    }
}
