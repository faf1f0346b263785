package dev.loopflux.core.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The receiving side of a {@link UdpSocket}: a publisher of one subscriber at a time, whose demand
 * is the socket's {@code OP_READ} interest. Each datagram is received into the loop's scratch
 * buffer and copied out at its exact size, so no datagram is held between reads.
 *
 * <p>Each subscriber has its own {@link Receiver} (its subscription), so that a late
 * {@code request} from a subscriber that cancelled never feeds the next one.
 *
 * <p>Threading: loop thread only; {@link #subscribe}, {@code request} and {@code cancel} hop
 * onto it. A {@code request} made inside {@code onNext} only adds demand: the receive loop that
 * called {@code onNext} does the reading, so there is no recursion. A terminal signal caused
 * from inside {@code onNext} (the endpoint closed there) is delivered after {@code onNext}
 * returns, never nested in it.
 */
final class UdpReceive implements Publisher<Datagram> {
    private final UdpSocket socket;
    /** The subscriber's subscription, while one is subscribed and not terminated. */
    private Receiver current;
    /** True while {@link #readable()} runs: terminal signals wait in {@link #deferred} until it ends. */
    private boolean emitting;
    private Receiver deferred;
    private Throwable deferredCause;
    /** Why the endpoint closed (null: closed locally), for subscribers that come later. */
    private Throwable closedCause;
    /**
     * Readiness events still to come that read one datagram and go back to the selector without
     * trying another receive; set after a readiness event found a datagram alone. See {@link #readable()}.
     */
    private int singleReadsLeft;
    /** Receives that came back empty (nothing queued); written on the loop thread, for tests. */
    long emptyReceives;

    /**
     * After a readiness event found a datagram alone, this many more read one datagram each; the
     * one after them reads on again (up to {@link UdpOptions#maxReadsPerReadiness()}). A peer that
     * has one datagram in flight (a request, then wait for the reply) then costs an empty receive
     * once per 8 datagrams instead of once per datagram; a burst after such a stretch waits at
     * most this many readiness events (each one more select, which returns at once) to be read in
     * batches again.
     */
    static final int SINGLE_READS_AFTER_A_LONE_DATAGRAM = 7;

    UdpReceive(UdpSocket socket) {
        this.socket = socket;
    }

    @Override
    public void subscribe(Subscriber<? super Datagram> s) {
        Objects.requireNonNull(s, "subscriber");
        if (socket.loop.inLoop()) {
            subscribeNow(s);
            return;
        }
        try {
            socket.loop.execute(() -> subscribeNow(s));
        } catch (RejectedExecutionException e) {
            TcpConnection.reject(s, new ConnectionClosedException("UDP endpoint " + socket.local + " closed: its loop shut down"));
        }
    }

    private void subscribeNow(Subscriber<? super Datagram> s) {
        if (current != null) {
            TcpConnection.reject(s, new IllegalStateException(
                    "receive of UDP endpoint " + socket.local + " already has a subscriber; it allows one at a time"));
            return;
        }
        Receiver r = new Receiver(s);
        if (!socket.isOpen()) {
            s.onSubscribe(r);
            if (!r.done) { // not cancelled from onSubscribe
                r.done = true;
                s.onError(closedCause != null ? closedCause : new ConnectionClosedException("UDP endpoint " + socket.local + " is closed"));
            }
            return;
        }
        current = r;
        s.onSubscribe(r);
    }

    boolean wantsRead() {
        return current != null && current.demand > 0;
    }

    /**
     * Loop thread, on OP_READ: receives while there is demand, at most the configured count.
     *
     * <p>Whether more datagrams wait cannot be told from one received (unlike a short stream
     * read), so reading on until a receive comes back empty costs one system call per readiness
     * event for nothing, and at one datagram in flight that is one per datagram (Netty pays it
     * too). So after an event that found a datagram alone, the next
     * {@link #SINGLE_READS_AFTER_A_LONE_DATAGRAM} events read one datagram only: if more waited,
     * the selector (level-triggered) reports the socket again at once. An event that finds two
     * or more ends that.
     */
    void readable() {
        Receiver r = current;
        int max = socket.options.maxDatagramSize();
        int limit = socket.options.maxReadsPerReadiness();
        if (singleReadsLeft > 0) {
            singleReadsLeft--;
            limit = 1;
        }
        int delivered = 0;
        boolean foundEmpty = false;
        emitting = true;
        try {
            for (int reads = 0; reads < limit && r != null && r == current && r.demand > 0 && socket.isOpen(); reads++) {
                ByteBuffer buffer = IoScratch.get().readBuffer(max + 1); // one more byte: tells an oversize datagram
                SocketAddress sender;
                try {
                    sender = socket.channel.receive(buffer);
                } catch (IOException e) {
                    // An ICMP error on a connected socket, reported on this read: this subscriber
                    // hears it; the endpoint stays open for the next one.
                    terminate(r, socket.ioFailure(e, false, socket.peer()));
                    break;
                }
                if (sender == null) {
                    emptyReceives++;
                    foundEmpty = true;
                    break; // nothing more for now
                }
                buffer.flip();
                int n = buffer.remaining();
                if (n > max) {
                    socket.droppedOversize(sender, n);
                    continue;
                }
                Datagram datagram = new Datagram(ByteBuffer.allocate(n).put(buffer).flip(), (InetSocketAddress) sender);
                if (r.demand != Long.MAX_VALUE) {
                    r.demand--;
                }
                delivered++;
                r.subscriber.onNext(datagram);
            }
        } finally {
            emitting = false;
            Receiver d = deferred;
            if (d != null) {
                deferred = null;
                signal(d, deferredCause);
            }
        }
        if (delivered > 1) {
            singleReadsLeft = 0;
        } else if (delivered == 1 && foundEmpty) {
            singleReadsLeft = SINGLE_READS_AFTER_A_LONE_DATAGRAM;
        }
        socket.updateInterest();
    }

    /**
     * Loop thread: the endpoint closed. The subscriber, if any, gets {@code onComplete} for a
     * local close ({@code cause == null}), else {@code onError(cause)}.
     */
    void closed(Throwable cause) {
        closedCause = cause;
        Receiver r = current;
        if (r != null) {
            terminate(r, cause);
        }
    }

    /** Loop thread: ends {@code r} with {@code cause} (null: complete), now or after the current {@code onNext}. */
    private void terminate(Receiver r, Throwable cause) {
        if (r.done) {
            return;
        }
        r.done = true;
        r.demand = 0;
        if (current == r) {
            current = null;
        }
        if (emitting && deferred == null) {
            deferred = r;
            deferredCause = cause;
        } else {
            signal(r, cause);
        }
    }

    private static void signal(Receiver r, Throwable cause) {
        if (cause == null) {
            r.subscriber.onComplete();
        } else {
            r.subscriber.onError(cause);
        }
    }

    /** One subscriber's subscription. Fields on the loop thread; its methods hop onto it. */
    private final class Receiver implements Subscription {
        final Subscriber<? super Datagram> subscriber;
        /** Datagrams requested and not yet delivered; {@code Long.MAX_VALUE} means unbounded. */
        long demand;
        /** A terminal signal went out (or is about to), or the subscriber cancelled. */
        boolean done;

        Receiver(Subscriber<? super Datagram> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (!socket.loop.inLoop()) {
                socket.onLoop(() -> request(n));
                return;
            }
            if (done) {
                return;
            }
            if (n <= 0) {
                terminate(this, new IllegalArgumentException(
                        "§3.9 violated: request(" + n + ") on the receive of UDP " + socket.local + "; it must be positive"));
                socket.updateInterest();
                return;
            }
            long d = demand + n;
            demand = d < 0 ? Long.MAX_VALUE : d;
            socket.updateInterest();
        }

        @Override
        public void cancel() {
            if (!socket.loop.inLoop()) {
                socket.onLoop(this::cancel);
                return;
            }
            if (done) {
                return;
            }
            done = true;
            demand = 0;
            if (current == this) {
                current = null;
            }
            socket.updateInterest();
        }
    }
}
