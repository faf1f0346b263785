package dev.loopflux.reactor;

import java.nio.ByteBuffer;
import reactor.core.publisher.Flux;

/**
 * The receiving side of a {@link Connection}. The socket is read only while the returned Flux has
 * demand. One of the {@code receive} methods may be subscribed, once: a connection's bytes go to
 * one reader. Cancelling it closes the connection.
 *
 * <p>Errors name the peer: a reset is a {@link dev.loopflux.core.net.ConnectionResetException},
 * an idle timeout an {@link dev.loopflux.core.net.IdleTimeoutException}, a frame over its limit a
 * {@link dev.loopflux.core.net.FrameTooLongException}, and the connection closes.
 */
public interface TcpInbound {

    /** The connection these bytes come from: its addresses, its TLS session, closing it. */
    Connection connection();

    /** The bytes as they arrive, in chunks; each buffer belongs to the subscriber. */
    Flux<ByteBuffer> receive();

    /** UTF-8 lines, without their {@code \n} or {@code \r\n}; a line over 8 KiB is an error. */
    Flux<String> receiveLines();

    /** UTF-8 lines of at most {@code maxLineLength} bytes. */
    Flux<String> receiveLines(int maxLineLength);

    /** Frames prefixed by a big-endian length of {@code fieldLength} (1, 2 or 4) bytes, each at most {@code maxFrameLength}. */
    Flux<ByteBuffer> receiveFrames(int fieldLength, int maxFrameLength);
}
