package dev.loopflux.reactor;

import java.nio.ByteBuffer;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * The sending side of a {@link Connection}. Each {@code send} completes when every byte it was
 * given has been handed to the kernel; sends go out in the order they are subscribed. The data
 * publisher is asked for more only while the connection's unwritten bytes are under its
 * high-water mark. Buffers given to a send belong to the connection from then on.
 */
public interface TcpOutbound {

    /** The connection these bytes go to. */
    Connection connection();

    /**
     * Sends {@code data}; nothing happens until the returned Mono is subscribed.
     * {@code out.send(in.receive())} with no operator in between (an echo), or
     * {@code out.send(other.receive())} of a connection on the same loop (a proxy), is a pipe that
     * copies nothing: the inbound is sent as it is, and what is read is written straight from the
     * loop's read buffer while the kernel takes it (see
     * {@link dev.loopflux.core.net.Connection#send}). Any operator after {@code receive()} sees each
     * chunk, a copy of its own, as usual; so does a {@code Hooks.onLastOperator} hook (tracing),
     * which keeps {@code receive()} from being sent as it is.
     */
    Mono<Void> send(Publisher<? extends ByteBuffer> data);

    /** Sends each string as UTF-8 bytes. */
    Mono<Void> sendString(Publisher<? extends String> data);

    /** Sends each buffer prefixed by its length in a big-endian field of {@code fieldLength} (1, 2 or 4) bytes. */
    Mono<Void> sendFrames(Publisher<? extends ByteBuffer> frames, int fieldLength);

    /**
     * Sends the whole file at {@code path}, in order with the other sends, from the page cache
     * straight to the socket where the platform allows (see
     * {@link dev.loopflux.core.net.Connection#sendFile}).
     */
    default Mono<Void> sendFile(java.nio.file.Path path) {
        return sendFile(path, 0, Long.MAX_VALUE);
    }

    /** Sends {@code count} bytes of the file at {@code path} from {@code position} ({@code Long.MAX_VALUE}: to its end). */
    Mono<Void> sendFile(java.nio.file.Path path, long position, long count);

    /** Half-closes after every send subscribed before: the peer reads end of stream; receiving goes on. */
    void shutdownOutput();
}
