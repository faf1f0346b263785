package dev.loopflux.core.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The read side of a {@link TcpConnection}: a single-subscriber publisher whose demand is the
 * connection's {@code OP_READ} interest. Reads go into the loop's scratch buffer and each read is
 * copied out at its exact size, so no inbound byte is held between reads.
 *
 * <p>When the subscriber is a {@link SendOperation} on this loop (the inbound sent as it is, to
 * this connection or another: an echo, a proxy), no user code sees the bytes: a read is written
 * from the scratch buffer straight to that send's socket when nothing waits ahead of it, and what
 * cannot be written yet is copied into the loop's spill buffers, which go back to the loop once
 * written ({@link Outbound#pipe}). No allocation either way; the demand is the same as with items.
 *
 * <p>Threading: state on the loop thread; {@link #subscribe}, {@link #request} and
 * {@link #cancel} hop onto it. A {@code request} made inside {@code onNext} only adds demand:
 * the read loop that called {@code onNext} does the reading, so there is no recursion.
 */
final class Inbound implements Publisher<ByteBuffer>, Subscription {
    private final TcpConnection connection;
    private Subscriber<? super ByteBuffer> subscriber;
    /** True once somebody subscribed: the inbound bytes go to one subscriber only. */
    private boolean subscribed;
    /** Chunks requested and not yet delivered; {@code Long.MAX_VALUE} means unbounded. */
    private long demand;
    /** End of stream was read. */
    private boolean inputDone;
    /** A terminal signal went out, or the subscriber cancelled: no more signals. */
    private boolean terminated;
    /** Why the connection closed, for subscribers that come later. */
    private Throwable closedCause;
    /** True while {@code onNext} runs. */
    private boolean emitting;
    /** The connection closed while {@code onNext} ran: the error to signal once it returns (§1.3). */
    private Throwable errorAfterOnNext;

    Inbound(TcpConnection connection) {
        this.connection = connection;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> s) {
        Objects.requireNonNull(s, "subscriber");
        if (connection.loop.inLoop()) {
            subscribeNow(s);
        } else {
            try {
                connection.loop.execute(() -> subscribeNow(s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                TcpConnection.reject(s, new ConnectionClosedException("connection to " + connection.peer() + " closed: its loop shut down"));
            }
        }
    }

    private void subscribeNow(Subscriber<? super ByteBuffer> s) {
        if (subscribed) {
            TcpConnection.reject(s, new IllegalStateException(
                    "inbound of connection to " + connection.peer() + " already has a subscriber; it allows one"));
            return;
        }
        subscribed = true;
        subscriber = s;
        s.onSubscribe(this);
        if (!connection.isOpen() && !terminated) {
            terminate().onError(closedCause != null ? closedCause
                    : new ConnectionClosedException("connection to " + connection.peer() + " is closed"));
        }
    }

    @Override
    public void request(long n) {
        if (!connection.loop.inLoop()) {
            connection.onLoop(() -> request(n));
            return;
        }
        if (terminated) {
            return;
        }
        if (n <= 0) {
            IllegalArgumentException error = new IllegalArgumentException(
                    "§3.9 violated: request(" + n + ") on the inbound of " + connection.peer() + "; it must be positive");
            connection.closeWith(error); // signals it to the subscriber (after onNext returns, if inside it)
            return;
        }
        long d = demand + n;
        demand = d < 0 ? Long.MAX_VALUE : d;
        connection.updateInterest();
        if (connection.tls != null) {
            connection.tls.demanded(); // records already read and decrypted need no OP_READ
        }
    }

    /** Cancelling the inbound closes the connection; see {@link Connection#inbound()}. */
    @Override
    public void cancel() {
        if (!connection.loop.inLoop()) {
            connection.onLoop(this::cancel);
            return;
        }
        if (terminated || errorAfterOnNext != null) {
            return; // (the connection closed already: the error why is told when onNext returns)
        }
        terminated = true;
        subscriber = null;
        connection.closeWith(ConnectionClosedException.routine("inbound of connection to " + connection.peer() + " cancelled"));
    }

    boolean wantsRead() {
        return demand > 0 && !terminated && !inputDone && subscriber != null;
    }

    boolean isInputDone() {
        return inputDone;
    }

    /** Loop thread, on OP_READ: reads while there is demand, at most the configured reads. */
    void readable() {
        IoScratch scratch = IoScratch.get();
        int size = connection.options.readBufferSize();
        int maxReads = connection.options.maxReadsPerReadiness();
        for (int reads = 0; reads < maxReads && wantsRead() && connection.isOpen(); reads++) {
            ByteBuffer buffer = scratch.readBuffer(size);
            int n;
            try {
                n = connection.channel.read(buffer);
            } catch (IOException e) {
                connection.closeWith(Peers.translate(e, "read from", connection.peer()));
                return;
            }
            if (n == 0) {
                break;
            }
            if (n < 0) {
                endOfInput();
                return;
            }
            connection.didRead();
            buffer.flip();
            int piped = subscriber instanceof SendOperation send ? send.pipe(buffer) : Outbound.NOT_PIPED;
            if (piped == Outbound.NOT_PIPED) {
                deliver(ByteBuffer.allocate(n).put(buffer).flip());
            } else if (piped == Outbound.SPILLED && demand > 0 && demand != Long.MAX_VALUE) {
                demand--; // the bytes stood for an item, as if delivered
            }
            if (n < size) {
                // The kernel had no more: go back to select rather than pay a read that returns 0,
                // and let the other connections have their turn (a peer that keeps sending would
                // otherwise be read maxReadsPerReadiness times in a row, as in Netty's allocator).
                break;
            }
        }
        connection.updateInterest();
    }

    /** Loop thread, with demand: one chunk to the subscriber (from a read, or from TLS). */
    void deliver(ByteBuffer chunk) {
        if (demand != Long.MAX_VALUE) {
            demand--;
        }
        emitting = true;
        try {
            subscriber.onNext(chunk);
        } finally {
            emitting = false;
        }
        Throwable error = errorAfterOnNext;
        if (error != null) {
            errorAfterOnNext = null;
            if (!terminated) {
                terminate().onError(error); // the connection closed inside onNext: told now, not nested in it
            }
        }
    }

    /** Loop thread: end of stream (or, with TLS, the peer's close_notify). */
    void endOfInput() {
        inputDone = true;
        Subscriber<? super ByteBuffer> s = terminate();
        connection.updateInterest();
        s.onComplete();
        connection.halfClosed();
    }

    /** Loop thread: the connection closed; the subscriber, if still listening, hears why. */
    void closed(Throwable cause) {
        closedCause = cause;
        if (!terminated && subscriber != null) {
            if (emitting) {
                errorAfterOnNext = cause; // §1.3: no signal nested inside onNext; deliver() sends it
            } else {
                terminate().onError(cause);
            }
        }
    }

    private Subscriber<? super ByteBuffer> terminate() {
        Subscriber<? super ByteBuffer> s = subscriber;
        terminated = true;
        subscriber = null;
        demand = 0;
        return s;
    }
}
