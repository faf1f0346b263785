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
 * {@link #inbound()} and of the publishers returned by {@link #send} is delivered on
 * {@link #loop()}'s thread. {@code request} and {@code cancel} may come from any thread.
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
     */
    Publisher<Void> send(Publisher<ByteBuffer> data);

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
}
