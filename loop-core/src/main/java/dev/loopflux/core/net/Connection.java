package dev.loopflux.core.net;

import dev.loopflux.core.Loop;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import org.reactivestreams.Publisher;

/**
 * One stream connection (TCP or Unix domain), pinned to one {@link Loop} for its whole life.
 *
 * <h2>Threading</h2>
 * Every method may be called from any thread; off the loop, actions hop onto it. Every signal of
 * {@link #inbound()} and of the publishers returned by {@link #send} and {@link #sendFile} is
 * delivered on {@link #loop()}'s thread. {@code request} and {@code cancel} may come from any
 * thread.
 *
 * <h2>Backpressure</h2>
 * The socket is read only while {@link #inbound()} has demand: a slow subscriber slows the peer
 * through TCP flow control, and no inbound bytes pile up in the heap. A sender is asked for more
 * buffers only while the bytes the kernel has not yet taken are under
 * {@link TcpOptions#writeHighWaterMark()}.
 *
 * <h2>Buffers</h2>
 * A buffer handed to {@code onNext} belongs to the subscriber: no release, no reference count.
 * A buffer given to {@link #send} belongs to the connection from then on; do not touch it again.
 */
public interface Connection {

    /**
     * The bytes the peer sends, in chunks of at most {@link TcpOptions#readBufferSize()}. One
     * subscriber at a time; a second one gets {@code onError(IllegalStateException)}.
     * End of stream (the peer closed or half-closed) is {@code onComplete}; a reset is
     * {@code onError(}{@link ConnectionResetException}{@code )}; an idle timeout is
     * {@code onError(}{@link IdleTimeoutException}{@code )}.
     *
     * <p><b>Cancelling closes the connection</b> (as in Reactor Netty): a subscriber that wants
     * no more bytes is done with the peer. To pause reading, stop requesting instead.
     */
    Publisher<ByteBuffer> inbound();

    /**
     * Sends {@code data} after everything sent before. Nothing happens until the returned
     * publisher is subscribed; it emits no element and completes once every byte of
     * {@code data} was handed to the kernel, or errors (a write error, the connection closed,
     * {@code data} failed). Cancelling it stops requesting from {@code data}; bytes already
     * taken from it are still written. Several buffers go out in one gathering write.
     *
     * <p>A plain connection's {@link #inbound()} sent as it is, with nothing between, to this
     * connection or to another plain one on the same loop ({@code c.send(c.inbound())}, an echo;
     * {@code front.send(back.inbound())}, a proxy), is a pipe: no user code sees those bytes, so
     * each read is written straight from the loop's read buffer while nothing waits ahead of it,
     * with no copy and no allocation. Only the bytes the kernel refuses are copied, and queued as
     * any send's are; backpressure and the high-water mark are the same.
     */
    Publisher<Void> send(Publisher<ByteBuffer> data);

    /**
     * Sends {@code count} bytes of the file at {@code path} from {@code position}, after everything
     * sent before and before everything sent after, as {@link #send} does; {@code count} of
     * {@code Long.MAX_VALUE} sends to the end of the file. Nothing happens until the returned
     * publisher is subscribed; it emits no element and completes once the last byte was handed to
     * the kernel.
     *
     * <p>When its turn comes the file is opened on {@link dev.loopflux.core.BlockingPool#shared()}.
     * A regular file then goes from the page cache to the socket with
     * {@link java.nio.channels.FileChannel#transferTo} (sendfile on Linux), never through the heap,
     * only while the socket takes bytes ({@code OP_WRITE} in between), and only once the bytes
     * queued before it are written. Anything else (a device, a {@code /proc} file), or any file when
     * the system property {@code loopflux.sendfile} is {@code false}, is read on that pool and sent
     * as buffers under the high-water mark, like {@link #send}. Note that sendfile reads the file
     * inside the kernel, on the loop thread: pages not in the page cache are read from the disk
     * while the loop waits. For large files on slow storage that are unlikely to be cached, the
     * read-and-send path ({@code -Dloopflux.sendfile=false}) keeps the loop free.
     *
     * <p>Errors: a file that cannot be opened, or whose size is under {@code position + count},
     * fails this send with a {@link java.nio.file.FileSystemException} naming the path, before any
     * of its bytes is sent; the connection stays open. A file cut short while being sent closes the
     * connection with such an exception: the peer could not tell the truncated stream from a whole
     * one. The file is closed on every path. Cancelling before the file is open sends nothing of it;
     * after, its bytes are still sent, as for {@link #send}.
     *
     * @throws IllegalArgumentException if {@code position} or {@code count} is negative
     */
    Publisher<Void> sendFile(java.nio.file.Path path, long position, long count);

    /** {@code sendFile(path, 0, Long.MAX_VALUE)}: the whole file. */
    default Publisher<Void> sendFile(java.nio.file.Path path) {
        return sendFile(path, 0, Long.MAX_VALUE);
    }

    /**
     * Half-closes: after the bytes of every send subscribed before this call, the output is
     * shut down (the peer reads end of stream) while reading goes on. Sends subscribed after it
     * fail with {@link ConnectionClosedException}. Once the peer has half-closed too, the
     * connection closes.
     */
    void shutdownOutput();

    /**
     * Closes now: pending bytes are dropped, pending sends and the inbound subscriber get
     * {@link ConnectionClosedException}, and {@link #onClose()} completes. Idempotent.
     */
    void close();

    /** Completes (on the loop thread) once the connection is closed, for whatever reason. */
    CompletionStage<Void> onClose();

    /** True until the connection is closed. */
    boolean isOpen();

    /** The loop that owns this connection. */
    Loop loop();

    SocketAddress localAddress();

    SocketAddress remoteAddress();

    /**
     * The TLS session once the handshake is done (protocol, cipher suite, the peer's certificates);
     * null on a plain connection, and before the handshake is done. Any thread.
     */
    default javax.net.ssl.SSLSession tlsSession() {
        return null;
    }

    /**
     * Completes with the TLS session once the handshake is done, or with the
     * {@link TlsHandshakeException} (or whatever closed the connection) if it never is; on a plain
     * connection it is complete already, with null. Completes on the loop thread. A server emits a
     * TLS connection at accept: a handler that routes by {@link #applicationProtocol()} waits for
     * this first.
     */
    default java.util.concurrent.CompletionStage<javax.net.ssl.SSLSession> handshake() {
        return java.util.concurrent.CompletableFuture.completedStage(null);
    }

    /** The protocol ALPN agreed on ({@code "h2"}, say), or null: plain, no ALPN, or handshake not done. Any thread. */
    default String applicationProtocol() {
        return null;
    }
}
