package dev.loopflux.core.net;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One UDP datagram: its bytes, and the other end's address. Received from
 * {@link UdpEndpoint#receive()}, {@code address} is the sender; given to
 * {@link UdpEndpoint#send}, it is the recipient, and may be {@code null} on a connected endpoint
 * (the datagram goes to the connected peer).
 *
 * <p>{@code content} holds the datagram between its position and limit. A received datagram's
 * buffer belongs to the subscriber (a fresh heap buffer of exactly the bytes received); a sent
 * one belongs to the endpoint from the moment it is handed over: do not touch it again.
 *
 * @param content the payload, between position and limit; never null
 * @param address the sender (received) or the recipient (sent); null only for a send on a
 *     connected endpoint
 */
public record Datagram(ByteBuffer content, InetSocketAddress address) {

    public Datagram {
        Objects.requireNonNull(content, "content");
    }

    /** A datagram for {@code recipient}. */
    public static Datagram to(InetSocketAddress recipient, ByteBuffer content) {
        return new Datagram(content, Objects.requireNonNull(recipient, "recipient"));
    }

    /** A datagram for the peer of a connected endpoint. */
    public static Datagram toPeer(ByteBuffer content) {
        return new Datagram(content, null);
    }

    /** The payload's length in bytes. */
    public int size() {
        return content.remaining();
    }
}
